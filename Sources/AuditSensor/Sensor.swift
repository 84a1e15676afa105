import AuditRecords
import BPFPrograms
import CBPFEvents
import CLibbpf
import Foundation
import Logging

/// The BPF sensor of auditqd. Tries, in order: BPF-LSM programs (when `bpf`
/// is among the active LSMs and the kernel lets them load), the BTF
/// tracepoint fallback, and nothing (audit only) — and says which, and why.
/// Programs only observe. All objects share one ring buffer, polled on its
/// own thread; decoded events go to `onEvents` on that thread.
public final class Sensor: @unchecked Sendable {
    public enum Mode: String, Sendable { case lsm, tracepoint, auditOnly = "audit only" }

    public struct Program: Sendable, Codable, Equatable {
        public var name: String
        public var section: String
        public var id: UInt32
    }

    public struct Options: Sendable {
        /// Paths whose opens are reported (a trailing "/" watches a tree).
        public var watchPaths: [String] = []
        public var ringBufferBytes: UInt32 = 8 << 20
        /// `--protect`: files no other process may write, truncate, rename or
        /// unlink (the store and its WAL); the collector may not be killed or
        /// traced. Empty: observe only. Needs BPF-LSM.
        public var protectPaths: [String] = []
        /// `--learn`: keep which syscalls and capabilities each cgroup's
        /// executables use (learn.bpf.c), for `auditq profile`.
        public var learn = false
        public init() {}
    }

    public private(set) var mode: Mode = .auditOnly
    /// Why the sensor is not in LSM mode (empty when it is).
    public private(set) var reason = ""
    public private(set) var programs: [Program] = []
    public private(set) var watchCount = 0
    /// The cgroup programs are attached: every cgroup made from now on has
    /// its path reported. False: only what a walk of the cgroup filesystem
    /// finds (`cgroupReason` says why).
    public private(set) var cgroupsReported = false
    public private(set) var cgroupReason = ""
    /// What learning runs: "syscalls, capabilities (lsm/capable)", …; empty
    /// when not asked for; "off: why" when asked for and not loaded.
    public private(set) var learning = ""
    /// The learning maps, when learn.bpf.c runs.
    public var learnMaps: LearnMaps? {
        guard learning.hasPrefix("syscalls"), let s = maps["learn_syscalls"], let c = maps["learn_caps"],
              let e = maps["learn_exes"], let f = maps["learn_fails"] else { return nil }
        return LearnMaps(syscalls: s, caps: c, exes: e, fails: f, wallOffsetNs: Self.wallOffsetNs())
    }

    private let options: Options
    private let logger: Logger
    private var objects: [BPFObject] = []
    private var links: [BPFLink] = []
    /// The shared maps' fds (owned by `objects`, or by this type when taken over from pins).
    private var maps: [String: Int32] = [:]
    private var ownedMaps: [Int32] = []
    private var ring: RingBuffer?
    private var decoder: SensorEventDecoder
    private let decoderLock = NSLock()

    public init(options: Options, logger: Logger) {
        self.options = options
        self.logger = logger
        let bootID = ((try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8)) ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        decoder = SensorEventDecoder(wallOffsetNs: Self.wallOffsetNs(), bootID: bootID)
    }

    deinit { stop() }

    /// Loads and attaches what this kernel allows; never fails for lack of
    /// BPF — `mode` and `reason` say what runs. Programs a killed collector
    /// left pinned are taken over, not attached twice.
    public func start(onEvents: @escaping ([AuditEvent]) -> Void) {
        KernelFilesystems.mountIfNeeded()
        var reasons: [String] = []
        let lsmWhy = Self.lsmUnavailable()
        let protect = !options.protectPaths.isEmpty
        let lsmFamilies = BPFPrograms.lsmFamilies + (protect ? [BPFPrograms.protectFamily] : [])
        for (candidate, families) in [(Mode.lsm, lsmFamilies), (.tracepoint, [BPFPrograms.fallbackFamily])] {
            if candidate == .lsm, let lsmWhy { reasons.append(lsmWhy); continue }
            // Loaded beside each set when the kernel allows; a failure costs only them.
            let optional = (candidate == .lsm ? [BPFPrograms.cgroupFamily, BPFPrograms.lifecycleFamily] : [BPFPrograms.cgroupFamily])
                + (options.learn ? [BPFPrograms.learnFamily] : [])
            let pins = SensorPins(mode: candidate.rawValue)
            if takeOver(pins, families: families + optional, mode: candidate) {
                mode = candidate
                resumed = true
                break
            }
            do {
                try load(families: families, optional: optional, pins: pins)
                mode = candidate
                break
            } catch {
                reasons.append(candidate == .lsm ? "\(error)" : "tracepoint fallback: \(error)")
                unload()
            }
        }
        reason = mode == .lsm ? "" : reasons.joined(separator: "; ")
        guard mode != .auditOnly, let fd = maps["events"] else { return }
        do {
            // Decoded on the ring-buffer thread into one batch per poll round.
            var batch: [AuditEvent] = []
            let ring = try RingBuffer(mapFD: fd, onSample: { [weak self] record in
                guard let self else { return }
                self.decoderLock.lock()
                self.decoder.decode(record, into: &batch)
                self.decoderLock.unlock()
            }, afterPoll: {
                guard !batch.isEmpty else { return }
                let events = batch
                batch.removeAll(keepingCapacity: true)
                onEvents(events)
            })
            ring.start()
            self.ring = ring
        } catch {
            reason += (reason.isEmpty ? "" : "; ") + "\(error)"
            SensorPins(mode: mode.rawValue).remove()
            unload()
            mode = .auditOnly
        }
    }

    /// True when this run took over programs a previous one left attached.
    public private(set) var resumed = false

    /// Takes over a pinned set whose programs are exactly the ones this run
    /// would attach. Anything else pinned there is removed (detached): in
    /// particular `--protect` programs guard the previous collector's pid, so
    /// they are never taken over.
    private func takeOver(_ pins: SensorPins, families: [String], mode: Mode) -> Bool {
        let present = pins.entries()
        guard !present.isEmpty else { return false }
        guard !families.contains(BPFPrograms.protectFamily) else { pins.remove(); return false }
        var names: [String: String] = [:]
        for family in families {
            guard let object = try? BPFObject(name: family, elf: BPFPrograms.object(named: family)) else { return false }
            let skipped = Self.skipped(family: family, mode: mode)
            for p in object.programs where !skipped.contains(p.name) { names[p.name] = p.section }
        }
        let expected = Set(names.keys).union(SensorPins.sharedMaps.map(pins.mapName))
        guard Set(present).isSubset(of: expected), let pinned = pins.open(programs: names.keys.sorted()) else {
            pins.remove()
            return false
        }
        links = pinned.links
        maps = pinned.maps
        cgroupsReported = links.contains { names[$0.program]?.hasPrefix("tp_btf/cgroup_") == true }
        if !cgroupsReported { cgroupReason = "the cgroup programs were not attached by the run whose programs were taken over" }
        if families.contains(BPFPrograms.learnFamily) { learning = Self.learningState(mode: mode) }
        ownedMaps = Array(pinned.maps.values)
        programs = links.map { Program(name: $0.program, section: names[$0.program] ?? "", id: $0.programID) }
        if let fd = maps["watch_paths"] { watchCount = (try? WatchPaths.fill(mapFD: fd, paths: options.watchPaths)) ?? 0 }
        return true
    }

    /// Execs still waiting for their argv record.
    public func flush() -> [AuditEvent] {
        decoderLock.lock(); defer { decoderLock.unlock() }
        return decoder.flush()
    }

    /// Records the programs could not reserve room for in the ring buffer,
    /// summed over CPUs and kinds, since load.
    public func reserveFailures() -> UInt64 {
        guard let fd = maps["reserve_fails"] else { return 0 }
        let cpus = Int(libbpf_num_possible_cpus())
        guard cpus > 0 else { return 0 }
        var total: UInt64 = 0
        var key: UInt32 = 0
        var values = [UInt64](repeating: 0, count: cpus)
        while bpf_map_lookup_elem(fd, &key, &values) == 0 {
            total += values.reduce(0, +)
            key += 1
        }
        return total
    }

    /// Stops reading (after draining the ring). Detaches every program
    /// unless `keepAttached`: then they stay pinned and keep recording into
    /// the ring buffer for the next start (a planned restart leaves no gap).
    public func stop(keepAttached: Bool = false) {
        ring?.stop()
        ring = nil
        if !keepAttached && mode != .auditOnly { SensorPins(mode: mode.rawValue).remove() }
        unload()
    }

    /// Loads every object, pins the shared maps, then attaches and pins the
    /// links (pinning is best effort: without it a crash detaches them). An
    /// `optional` family that fails to load or attach is left out, and
    /// `cgroupReason` says why.
    private func load(families: [String], optional: [String], pins: SensorPins) throws {
        var shared: [String: Int32] = [:]
        defer { maps = shared }
        var loaded: [BPFObject] = []
        let mode: Mode = families.contains(BPFPrograms.fallbackFamily) ? .tracepoint : .lsm
        for family in families + optional {
            let object: BPFObject
            do {
                object = try BPFObject(name: family, elf: BPFPrograms.object(named: family))
                for program in Self.skipped(family: family, mode: mode) { try object.setAutoload(program: program, false) }
                try prepare(object, shared: shared)
            } catch where optional.contains(family) {
                if family == BPFPrograms.cgroupFamily { cgroupReason = "\(error)" }
                if family == BPFPrograms.learnFamily { learning = "off: \(error)" }
                logger.warning("sensor: \(family) programs not loaded: \(error)")
                continue
            }
            for map in SensorPins.sharedMaps where shared[map] == nil {
                if let fd = try? object.mapFD(map) { shared[map] = fd }
            }
            loaded.append(object)
        }
        objects = loaded
        if let protect = loaded.first(where: { $0.name == BPFPrograms.protectFamily }) {
            try ProtectedFiles.fill(mapFD: try protect.mapFD("protected_inodes"), paths: options.protectPaths)
        }
        var pinned = true
        do { try pins.pin(maps: shared) } catch {
            pinned = false
            logger.warning("sensor: maps not pinned (\(error)); a crash would detach the programs")
        }
        for object in loaded {
            let attached: [BPFLink]
            do { attached = try object.attachAll() } catch where optional.contains(object.name) {
                if object.name == BPFPrograms.cgroupFamily { cgroupReason = "\(error)" }
                if object.name == BPFPrograms.learnFamily { learning = "off: \(error)" }
                logger.warning("sensor: \(object.name) programs not attached: \(error)")
                continue
            }
            if object.name == BPFPrograms.cgroupFamily { cgroupsReported = true }
            if object.name == BPFPrograms.learnFamily { learning = Self.learningState(mode: mode) }
            links += attached
            let sections = Dictionary(object.programs.map { ($0.name, $0.section) }, uniquingKeysWith: { a, _ in a })
            programs += attached.map { Program(name: $0.program, section: sections[$0.program] ?? "", id: $0.programID) }
        }
        if pinned {
            do { try pins.pin(links: links) } catch {
                logger.warning("sensor: programs not pinned (\(error)); a crash would detach them")
            }
        }
        if let fd = shared["watch_paths"] { watchCount = try WatchPaths.fill(mapFD: fd, paths: options.watchPaths) }
    }

    /// Shares the maps already made, sizes the ring buffer, sets the
    /// read-only settings, and loads the object.
    private func prepare(_ object: BPFObject, shared: [String: Int32]) throws {
        for map in SensorPins.sharedMaps {
            if let fd = shared[map] { try? object.reuse(map: map, fd: fd) }
        }
        if shared["events"] == nil { try? object.setMaxEntries(map: "events", options.ringBufferBytes) }
        try object.setReadOnlyGlobal("self_tgid", UInt32(getpid()))
        if !options.protectPaths.isEmpty { try object.setReadOnlyGlobal("enforce", 1) }
        if let nargs = Self.bpfHookArguments() { try object.setReadOnlyGlobal("bpf_hook_nargs", nargs) }
        if object.name == BPFPrograms.fallbackFamily {
            // It declares learning's maps (its sys_enter program learns when
            // asked); unasked, they are made as small as they can be.
            if options.learn {
                try object.setReadOnlyGlobal("learn_on", 1)
            } else {
                for map in ["learn_syscalls", "learn_caps", "learn_exes"] { try? object.setMaxEntries(map: map, 1) }
            }
        }
        try object.load()
    }

    /// Programs of a family this mode leaves out: of learning's two
    /// capability programs, the one the kernel cannot take (lsm/capable
    /// outside LSM mode; the cap_capable tracepoint in LSM mode, where the
    /// hook says more, and on kernels before 6.14, which lack it).
    static func skipped(family: String, mode: Mode) -> [String] {
        guard family == BPFPrograms.learnFamily else { return [] }
        // In tracepoint mode the fallback's sys_enter program learns too.
        guard mode == .tracepoint else { return ["learn_cap_capable"] }
        return ["learn_sys_enter", "learn_capable"] + (hasTracepoint("cap_capable") ? [] : ["learn_cap_capable"])
    }

    static func learningState(mode: Mode) -> String {
        if mode == .lsm { return "syscalls, capabilities (lsm/capable)" }
        return hasTracepoint("cap_capable") ? "syscalls, capabilities (cap_capable tracepoint)"
                                            : "syscalls (no capabilities: this kernel has no cap_capable tracepoint and BPF-LSM does not run)"
    }

    /// Whether the kernel's BTF has the tracepoint (its btf_trace_ typedef).
    static func hasTracepoint(_ name: String) -> Bool {
        guard let btf = btf__load_vmlinux_btf() else { return false }
        defer { btf__free(btf) }
        return btf__find_by_name_kind(btf, "btf_trace_" + name, 8 /* BTF_KIND_TYPEDEF */) > 0
    }

    private func unload() {
        cgroupsReported = false
        learning = ""
        links.removeAll()
        objects.removeAll()
        programs.removeAll()
        ownedMaps.forEach { close($0) }
        ownedMaps.removeAll()
        maps.removeAll()
    }

    /// nil when BPF-LSM can be tried, else why not.
    static func lsmUnavailable() -> String? {
        guard let list = try? String(contentsOfFile: "/sys/kernel/security/lsm", encoding: .utf8) else {
            return "no /sys/kernel/security/lsm (securityfs not mounted)"
        }
        let active = list.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",")
        return active.contains("bpf") ? nil : "bpf is not an active LSM (\(active.joined(separator: ","))); boot with lsm=…,bpf"
    }

    /// Since Linux 6.16 the `bpf` LSM hook takes a fourth argument; the
    /// kernel's BTF says how many `bpf_lsm_bpf` has.
    static func bpfHookArguments() -> UInt32? {
        guard let btf = btf__load_vmlinux_btf() else { return nil }
        defer { btf__free(btf) }
        let id = btf__find_by_name_kind(btf, "bpf_lsm_bpf", 12 /* BTF_KIND_FUNC */)
        guard id > 0, let function = btf__type_by_id(btf, UInt32(id)),
              let proto = btf__type_by_id(btf, function.pointee.type) else { return nil }
        return UInt32(btf_vlen(proto))
    }

    /// CLOCK_REALTIME − CLOCK_BOOTTIME: turns bpf_ktime_get_boot_ns into wall time.
    static func wallOffsetNs() -> Int64 {
        var real = timespec(), boot = timespec()
        clock_gettime(CLOCK_REALTIME, &real)
        clock_gettime(CLOCK_BOOTTIME, &boot)
        return (Int64(real.tv_sec) - Int64(boot.tv_sec)) * 1_000_000_000 + (Int64(real.tv_nsec) - Int64(boot.tv_nsec))
    }
}
