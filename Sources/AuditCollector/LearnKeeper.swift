import AuditRecords
import AuditSensor
import AuditStore
import Foundation
import Logging

/// Moves least-privilege learning from the kernel's maps into the ledger:
/// every `intervalMs`, and at stop, one `learned` row with the syscalls and
/// capability checks that are new since the previous row of this boot (rows
/// a previous run wrote count as stored, so programs taken over after a
/// restart are not written twice). A rise of the maps' failure counters is
/// a `learn_full` row: a profile learned across it says so.
struct LearnKeeper {
    static let intervalMs: Int64 = 5_000
    static let source = "kernel"
    private let maps: LearnMaps
    private let bootID: String
    private let capabilitySource: String
    private let logger: Logger
    private var stored: [LearnedProgram.Key: Set<Int>] = [:]
    private var storedChecks: [LearnedCapability: UInt64] = [:]
    private var names: [String: String] = [:]
    private var lastFlushMs: Int64
    private var lastFailures: (programs: UInt64, capabilities: UInt64) = (0, 0)

    init(maps: LearnMaps, mode: Sensor.Mode, bootID: String, store: EventStore, logger: Logger) throws {
        self.maps = maps
        self.bootID = bootID
        self.logger = logger
        capabilitySource = mode == .lsm ? "lsm" : "tracepoint"
        lastFlushMs = Clock.wallMs()
        let rows = try store.pool.read { db in try Ledger.rows(db, kinds: [.learned], bootID: bootID) }
        for row in rows {
            guard let learned = row.payload(Ledger.Learned.self) else { continue }
            for p in learned.programs {
                let key = LearnedProgram.Key(cgroupID: p.cgroupID, exeInode: p.exeInode, exeDevice: p.exeDevice,
                                             arch: UInt32(Ledger.Learned.archNames.firstIndex(of: p.arch) ?? 0))
                stored[key, default: []].formUnion(p.syscalls)
                if !p.exe.isEmpty { names[p.exeDevice + "/\(p.exeInode)"] = p.exe }
            }
            for c in learned.capabilities {
                let key = LearnedCapability(cgroupID: c.cgroupID, exeInode: c.exeInode, exeDevice: c.exeDevice,
                                            capability: c.capability, syscall: c.syscall,
                                            arch: UInt32(Ledger.Learned.archNames.firstIndex(of: c.arch) ?? 0), denied: c.denied)
                storedChecks[key, default: 0] += c.checks
            }
        }
    }

    mutating func flushIfDue(into ingest: Ingest) {
        guard Clock.wallMs() - lastFlushMs >= Self.intervalMs else { return }
        flush(into: ingest)
    }

    /// Writes what is new since the last row (nothing when nothing is).
    mutating func flush(into ingest: Ingest) {
        let now = Clock.wallMs()
        let since = lastFlushMs
        lastFlushMs = now
        let snapshot = maps.snapshot()
        var programs: [Ledger.Learned.Program] = []
        for p in snapshot.programs {
            let new = p.syscalls.subtracting(stored[p.key] ?? [])
            guard !new.isEmpty else { continue }
            stored[p.key, default: []].formUnion(new)
            programs.append(.init(cgroupID: p.key.cgroupID, exe: name(p.key.exeDevice, p.key.exeInode, tgid: p.tgid),
                                  exeDevice: p.key.exeDevice, exeInode: p.key.exeInode, arch: Self.arch(p.key.arch),
                                  comm: p.comm, uid: p.uid, capEffective: p.capEffective, capPermitted: p.capPermitted,
                                  syscalls: new.sorted()))
        }
        var capabilities: [Ledger.Learned.Capability] = []
        for (c, count) in snapshot.capabilities {
            let before = storedChecks[c] ?? 0
            guard count > before else { continue }
            storedChecks[c] = count
            capabilities.append(.init(cgroupID: c.cgroupID, exe: name(c.exeDevice, c.exeInode, tgid: nil),
                                      exeDevice: c.exeDevice, exeInode: c.exeInode, capability: c.capability,
                                      syscall: c.syscall, arch: Self.arch(c.arch), denied: c.denied, checks: count - before))
        }
        if !programs.isEmpty || !capabilities.isEmpty {
            programs.sort { ($0.cgroupID, $0.exeInode, $0.arch) < ($1.cgroupID, $1.exeInode, $1.arch) }
            capabilities.sort { ($0.cgroupID, $0.exeInode, $0.capability, $0.syscall ?? -1) < ($1.cgroupID, $1.exeInode, $1.capability, $1.syscall ?? -1) }
            let payload = Ledger.Learned(bootID: bootID, capabilitySource: capabilitySource, programs: programs, capabilities: capabilities)
            ingest.record(CoverageRow(payload, source: Self.source, firstTimeMs: since, lastTimeMs: now,
                                      count: Int64(programs.reduce(0) { $0 + $1.syscalls.count })))
        }
        let lost = (snapshot.failedPrograms - min(snapshot.failedPrograms, lastFailures.programs),
                    snapshot.failedCapabilities - min(snapshot.failedCapabilities, lastFailures.capabilities))
        lastFailures = (snapshot.failedPrograms, snapshot.failedCapabilities)
        if lost.0 + lost.1 > 0 {
            logger.warning("learning: the kernel's maps are full: \(lost.0) syscall(s) of new programs and \(lost.1) capability check(s) not kept")
            ingest.record(CoverageRow(kind: .learnFull, source: Self.source, firstTimeMs: since, lastTimeMs: now,
                                      count: Int64(lost.0 + lost.1),
                                      detail: "learning maps full: \(lost.0) syscall(s) of (cgroup, executable, ABI) keys not kept, \(lost.1) capability check(s) not kept"))
        }
    }

    /// The executable's name: as exec'd while learning ran, else where its
    /// first caller's /proc/PID/exe points (when that is still the same file).
    private mutating func name(_ device: String, _ inode: UInt64, tgid: UInt32?) -> String {
        let id = device + "/\(inode)"
        if let known = names[id] { return known }
        var found = maps.exeName(inode: inode, device: device)
        if found == nil, let tgid, tgid > 0 {
            let link = "/proc/\(tgid)/exe"
            var st = stat()
            if stat(link, &st) == 0, UInt64(st.st_ino) == inode, DeviceNumber(stDev: UInt64(st.st_dev)).description == device {
                found = try? FileManager.default.destinationOfSymbolicLink(atPath: link)
            }
        }
        guard let found else { return "" }
        names[id] = found
        return found
    }

    static func arch(_ n: UInt32) -> String {
        Int(n) < Ledger.Learned.archNames.count ? Ledger.Learned.archNames[Int(n)] : "arch\(n)"
    }
}
