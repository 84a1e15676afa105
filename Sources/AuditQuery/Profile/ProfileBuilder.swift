import AuditContainers
import AuditProfile
import AuditRecords
import AuditStore
import Foundation
import GRDB

/// What `auditq profile` asks about: a container, a host program or a
/// cgroup, over a window.
public struct ProfileRequest: Sendable {
    public enum Subject: Sendable, Equatable {
        /// A container's id, unique id prefix, or name.
        case container(String)
        /// A host program's path.
        case exe(String)
        /// A cgroup's path below the v2 root ("/system.slice/cron.service").
        case cgroup(String)
    }
    public var subject: Subject
    public var startMs: Int64?
    public var endMs: Int64?
    public init(subject: Subject, startMs: Int64? = nil, endMs: Int64? = nil) {
        self.subject = subject; self.startMs = startMs; self.endMs = endMs
    }
}

/// Why no profile can be made: one line for the user, exit status 1.
public struct ProfileFailure: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Builds a `UsageProfile` from the store: the `learned` ledger rows
/// (syscalls and capability checks, from the kernel's bitmaps) of the
/// subject's cgroups or executable inside the window, what its bundle
/// granted, the evidence its events hold (execs, files written, sockets),
/// and every loss the ledger records in the window.
public enum ProfileBuilder {
    public static func build(_ store: EventStore, _ request: ProfileRequest,
                             runtimeVersion: (String) -> String? = RuntimeVersion.installed) throws -> UsageProfile {
        try store.pool.read { db in try build(db, request, runtimeVersion: runtimeVersion) }
    }

    static func build(_ db: Database, _ request: ProfileRequest, runtimeVersion: (String) -> String?) throws -> UsageProfile {
        let start = request.startMs ?? Int64.min, end = request.endMs ?? Int64.max
        let learning = try Ledger.rows(db, kinds: [.sensor]).compactMap { $0.payload(Ledger.SensorState.self)?.learning }
        guard learning.contains(where: { $0.hasPrefix("syscalls") }) else {
            throw ProfileFailure("no syscall learning in this store: run auditqd with --learn (and the BPF sensor) while the workload runs")
        }
        let rows = try Ledger.rows(db, kinds: [.learned], from: start, to: end)
        guard !rows.isEmpty else {
            throw ProfileFailure("nothing was learned in this window: auditqd --learn was not running, or nothing ran")
        }
        let subject = try Subject.resolve(db, request.subject)
        var syscalls: [UsageProfile.Arch: Set<String>] = [:]
        var runtimeSeen = false
        var used: [String: (syscalls: Set<String>, checks: Int)] = [:]
        var denied: [String: (syscalls: Set<String>, checks: Int)] = [:]
        var binaries: Set<String> = []
        var cgroupsSeen: Set<String> = []
        var permitted: UInt64 = 0
        var wrote = false
        var firstMs = Int64.max, lastMs = Int64.min
        let payloads = rows.map { ($0, $0.payload(Ledger.Learned.self)) }
        // The runtime's executables, by file: runc's init runs from a copy
        // of itself (a memfd named "/" or "/proc/self/exe"), known by the
        // comm of whoever first ran it.
        var runtimeFiles: Set<String> = []
        if subject.isContainer {
            for case let (_, learned?) in payloads {
                for p in learned.programs where Runtimes.isRuntime(exe: p.exe, comm: p.comm) { runtimeFiles.insert("\(p.exeDevice)/\(p.exeInode)") }
            }
        }
        func isRuntime(_ exe: String, _ device: String, _ inode: UInt64, comm: String) -> Bool {
            subject.isContainer && (runtimeFiles.contains("\(device)/\(inode)") || Runtimes.isRuntime(exe: exe, comm: comm))
        }
        for case let (row, learned?) in payloads {
            var matched = false
            for p in learned.programs where subject.matches(boot: learned.bootID, cgroup: p.cgroupID, exe: p.exe, device: p.exeDevice, inode: p.exeInode) {
                if isRuntime(p.exe, p.exeDevice, p.exeInode, comm: p.comm) { runtimeSeen = true; continue }
                matched = true
                let arch = UsageProfile.Arch(rawValue: p.arch) ?? .x86_64
                if p.syscalls.contains(Self.wroteBit) { wrote = true }
                syscalls[arch, default: []].formUnion(p.syscalls.filter { $0 != Self.wroteBit }.map { SyscallNames.name($0, arch: arch) ?? "#\($0)" })
                binaries.insert(p.exe.isEmpty ? "(\(p.comm))" : p.exe)
                cgroupsSeen.insert("\(learned.bootID):\(p.cgroupID)")
                permitted |= p.capPermitted
            }
            for c in learned.capabilities where subject.matches(boot: learned.bootID, cgroup: c.cgroupID, exe: c.exe, device: c.exeDevice, inode: c.exeInode) {
                if isRuntime(c.exe, c.exeDevice, c.exeInode, comm: "") { continue }
                let arch = UsageProfile.Arch(rawValue: c.arch) ?? .x86_64
                let call = c.syscall.map { SyscallNames.name($0, arch: arch) ?? "#\($0)" }
                if learned.capabilitySource == "tracepoint" && Probes.isProbe(capability: c.capability, syscall: call) { continue }
                let name = CapabilityNames.name(c.capability) ?? "CAP_\(c.capability)"
                matched = true
                if c.denied {
                    denied[name, default: ([], 0)].syscalls.formUnion(call.map { [$0] } ?? [])
                    denied[name]!.checks += Int(c.checks)
                } else {
                    used[name, default: ([], 0)].syscalls.formUnion(call.map { [$0] } ?? [])
                    used[name]!.checks += Int(c.checks)
                }
            }
            if matched {
                firstMs = min(firstMs, row.timeMs)
                lastMs = max(lastMs, row.lastTimeMs ?? row.timeMs)
            }
        }
        guard !syscalls.isEmpty else {
            throw ProfileFailure("\(subject.label): nothing learned in this window\(runtimeSeen ? " (only its runtime's own setup ran)" : "")")
        }
        let windowStart = max(start, firstMs), windowEnd = min(end, lastMs)
        var profile = UsageProfile(subject: subject.profileSubject, syscalls: syscalls,
                                   window: .init(startMs: windowStart, endMs: windowEnd, runs: max(1, cgroupsSeen.count),
                                                 execs: 0, binaries: binaries.sorted(), losses: []))
        profile.wroteFiles = wrote || syscalls.values.contains { !$0.isDisjoint(with: ProfileEvidence.writing) }
        profile.capabilitiesUsed = used.map { .init(capability: $0.key, syscalls: $0.value.syscalls.sorted(), checks: $0.value.checks) }
            .sorted { $0.capability < $1.capability }
        profile.capabilitiesDenied = denied.filter { used[$0.key] == nil }
            .map { .init(capability: $0.key, syscalls: $0.value.syscalls.sorted(), checks: $0.value.checks) }
            .sorted { $0.capability < $1.capability }
        switch subject {
        case .container(let entry, _, _):
            if let runtime = Runtimes.ociRuntime(of: entry.container),
               let (baseline, exact) = RuntimeBaseline.find(runtime: runtime, version: runtimeVersion(runtime)) {
                profile.runtimeSyscalls = [.x86_64: baseline.all]
                if runtime == "runc", let v = runtimeVersion(runtime), v.compare("1.2", options: .numeric) == .orderedAscending {
                    profile.runtimeTakesSeccompFlags = false
                    profile.notes.append("runc \(v) takes no seccomp flags (runc 1.2 does), so calls this filter refuses leave no record: the kernel logs a refusal only for a filter that asks, and audit never sees the refused call. Capabilities it refuses are recorded by an audit rule such as `-a always,exit -F arch=b64 -S all -F exit=-EPERM -k auditq-denied`; try the profile first with --mode log, whose records --check reads")
                }
                profile.runtimeBaseline = baseline.label + (exact ? "" : " (nearest measured; \(runtime) \(runtimeVersion(runtime) ?? "?") installed)")
            }
            profile.granted = granted(entry.container.grants)
        case .exe, .cgroup:
            profile.granted = .init(capabilities: CapabilityNames.ordered((0..<64).filter { permitted & (1 << UInt64($0)) != 0 }
                                                                            .compactMap(CapabilityNames.name)),
                                    seccomp: "unknown")
        }
        try ProfileEvidence.add(db, subject: subject, window: (windowStart, windowEnd), to: &profile)
        if learning.contains(where: { $0.contains("no capabilities") }) {
            profile.notes.append("capabilities were not learned (the kernel has neither BPF-LSM nor the cap_capable tracepoint): the capability lists are empty, not known")
        } else if rows.contains(where: { $0.payload(Ledger.Learned.self)?.capabilitySource == "tracepoint" }) {
            profile.notes.append("capabilities came from the cap_capable tracepoint, which cannot tell a probe from a use: CAP_SYS_ADMIN checks in calls that map memory, fork or exec are taken for the kernel's memory-reserve probe and left out")
        }
        profile.window.losses = try losses(db, from: windowStart, to: windowEnd)
        return profile
    }

    /// learn.bpf.c's bit for "opened a file for writing" (events.h AUDITQ_LEARN_WROTE_BIT).
    static let wroteBit = 639

    static func granted(_ grants: Container.Grants?) -> UsageProfile.Granted {
        guard let g = grants else { return .init() }
        return .init(capabilities: g.capabilities, seccompAllowed: g.seccompAllowed,
                     seccomp: g.seccompOff ? "none" : (g.seccompAllowed == nil ? "unknown" : "filter"),
                     hostMounts: g.hostMounts, hostNamespaces: g.hostNamespaces, privileged: g.privileged)
    }

    /// The ledger's losses inside the window: what the kernel, the socket,
    /// the ring buffer or the learning maps dropped, serials missing, and
    /// collectors that died without a stop row.
    static func losses(_ db: Database, from start: Int64, to end: Int64) throws -> [UsageProfile.Loss] {
        let kinds: [Ledger.Kind] = [.kernelLost, .socketOverrun, .sensorDrop, .learnFull, .serialGap, .uncleanStop, .storeFull, .followGap]
        return try Ledger.rows(db, kinds: kinds, from: start, to: end).map { row in
            UsageProfile.Loss(kind: row.kind.rawValue, timeMs: row.timeMs, count: row.count ?? 0, detail: row.detail ?? "")
        }
    }

    /// Who the profile is about, resolved against the store.
    enum Subject {
        case container(ContainerIndex.Entry, cgroups: Set<String>, scope: ContainerScope)
        case exe(path: String, device: String?, inode: UInt64?)
        case cgroup(path: String, cgroups: Set<String>)

        var isContainer: Bool { if case .container = self { true } else { false } }

        var label: String {
            switch self {
            case .container(let e, _, _): "container \(e.container.name ?? String(e.container.id.prefix(12)))"
            case .exe(let path, _, _): path
            case .cgroup(let path, _): "cgroup \(path)"
            }
        }

        var profileSubject: UsageProfile.Subject {
            switch self {
            case .container(let e, _, _): .container(id: e.container.id, name: e.container.name, runtime: e.container.runtime.rawValue)
            case .exe(let path, _, _): .exe(path: path)
            case .cgroup(let path, _): .cgroup(path: path)
            }
        }

        func matches(boot: String, cgroup: UInt64, exe: String, device: String, inode: UInt64) -> Bool {
            switch self {
            case .container(_, let set, _), .cgroup(_, let set): set.contains("\(boot):\(cgroup)")
            case .exe(let path, let dev, let ino): (dev == device && ino == inode) || (!exe.isEmpty && exe == path)
            }
        }

        static func resolve(_ db: Database, _ wanted: ProfileRequest.Subject) throws -> Subject {
            switch wanted {
            case .container(let word):
                let index = try ContainerIndex.load(db)
                let hits = index.matching(word)
                guard let first = hits.first else { throw ProfileFailure("no container \(word) in this store") }
                guard hits.count == 1 else {
                    throw ProfileFailure("\(word) names \(hits.count) containers (\(hits.map { String(index.entries[$0].container.id.prefix(12)) }.joined(separator: ", "))): give more of the id")
                }
                let entry = index.entries[first]
                return .container(entry, cgroups: try withDescendants(db, entry.cgroups.map { ($0.bootID, $0.id, $0.path) }),
                                  scope: index.scope([first]))
            case .cgroup(let path):
                let clean = "/" + path.split(separator: "/").joined(separator: "/")
                let own = try Ledger.rows(db, kinds: [.cgroup]).compactMap { $0.payload(Ledger.Cgroup.self) }
                    .filter { $0.path == clean }.map { ($0.bootID, $0.id, $0.path) }
                guard !own.isEmpty else { throw ProfileFailure("no cgroup \(clean) on record in this store") }
                return .cgroup(path: clean, cgroups: try withDescendants(db, own))
            case .exe(let path):
                var st = stat()
                if stat(path, &st) == 0 {
                    return .exe(path: path, device: DeviceNumber(stDev: UInt64(st.st_dev)).description, inode: UInt64(st.st_ino))
                }
                return .exe(path: path, device: nil, inode: nil)
            }
        }

        /// The cgroups and every cgroup below them in the same boot (a
        /// container that makes its own sub-cgroups).
        static func withDescendants(_ db: Database, _ roots: [(String, UInt64, String)]) throws -> Set<String> {
            var out = Set(roots.map { "\($0.0):\($0.1)" })
            let all = try Ledger.rows(db, kinds: [.cgroup]).compactMap { $0.payload(Ledger.Cgroup.self) }
            for c in all where roots.contains(where: { $0.0 == c.bootID && !$0.2.isEmpty && c.path.hasPrefix($0.2 + "/") }) {
                out.insert("\(c.bootID):\(c.id)")
            }
            return out
        }
    }
}

/// Container runtimes' own processes, which run in the container's cgroup
/// before its process does, and the OCI runtime each engine runs.
enum Runtimes {
    static let binaries: Set<String> = ["runc", "crun", "conmon", "youki", "runsc", "containerd-shim", "containerd-shim-runc-v2"]

    static func isRuntime(exe: String, comm: String) -> Bool {
        let base = exe.split(separator: "/").last.map(String.init) ?? exe
        // runc 1.1 re-runs itself from a sealed memfd copy through fexecve:
        // exec'd as /dev/fd/N (or /proc/self/fd/N), its d_path "/".
        return binaries.contains(base) || exe.hasPrefix("/memfd:runc") || comm.hasPrefix("runc")
            || exe.hasPrefix("/dev/fd/") || exe.hasPrefix("/proc/self/fd/") || exe == "/" || exe == "/proc/self/exe"
    }

    /// The low-level runtime that installs the filter: runc for docker and
    /// containerd, crun for podman (Debian's default); nil when unknown.
    static func ociRuntime(of c: Container) -> String? {
        switch c.runtime {
        case .runc, .docker, .containerd: "runc"
        case .crun, .podman: "crun"
        case .crio: "runc"
        case .nspawn, .lxc: nil
        }
    }
}

/// The version of an installed runtime, from `<runtime> --version`.
public enum RuntimeVersion {
    public static func installed(_ runtime: String) -> String? {
        for dir in ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"] where FileManager.default.isExecutableFile(atPath: "\(dir)/\(runtime)") {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "\(dir)/\(runtime)")
            p.arguments = ["--version"]
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            guard (try? p.run()) != nil else { return nil }
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            // "runc version 1.1.5+ds1", "crun version 1.8.1"
            let first = String(decoding: data, as: UTF8.self).split(separator: "\n").first ?? ""
            guard let word = first.split(separator: " ").last else { return nil }
            return String(word.prefix { $0.isNumber || $0 == "." })
        }
        return nil
    }
}

/// Capability checks the kernel makes without CAP_OPT_NOAUDIT's flag being
/// visible to the cap_capable tracepoint: it asks whether the caller holds a
/// capability for a benefit it does not need. In LSM mode the hook sees the
/// flag and these are never counted.
enum Probes {
    /// security_vm_enough_memory (CAP_SYS_ADMIN: root may dip into the
    /// memory reserve) runs in every call that maps or grows memory, in fork
    /// (copying the mappings) and in execve (the new stack), and on a stack
    /// growing outside a syscall. A real CAP_SYS_ADMIN use in these calls
    /// (clone with a new namespace) is not told apart: the profile leaves it
    /// out, and the workload fails closed with EPERM.
    static let vmAccounting: Set<String> = [
        "mmap", "mmap2", "brk", "mprotect", "pkey_mprotect", "mremap", "munmap", "clone", "clone3", "fork", "vfork",
        "execve", "execveat", "shmget", "shmat", "io_setup", "io_uring_setup", "swapoff",
    ]

    static func isProbe(capability: Int, syscall: String?) -> Bool {
        capability == 21 /* CAP_SYS_ADMIN */ && (syscall.map(vmAccounting.contains) ?? true)
    }
}
