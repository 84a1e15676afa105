import AuditStore
import Foundation
import GRDB

/// One row of the `process_fact` view (schema/0002_process_facts.sql,
/// redefined by 0003_sensor_process_facts.sql): an exec, a fork/clone in the
/// parent, or an exit, as a stored audit or sensor event recorded it.
public struct ProcessFact: Sendable, Equatable {
    public enum Kind: String, Sendable { case exec, fork, exit }

    public var eventID: Int64
    public var kind: Kind
    public var timeMs: Int64
    public var serial: Int64
    public var node: String
    public var arch: Int64?
    public var syscall: Int64?
    /// The process that made the call (audit's pid is the thread group id).
    public var pid: Int64
    public var ppid: Int64?
    /// fork: the new pid (the call's return value in the parent).
    public var child: Int64?
    public var exe: String?
    public var comm: String?
    public var argv: [String]?
    public var uid: Int64?
    public var auid: Int64?
    public var ses: Int64?
    /// "audit", "lsm" or "tracepoint".
    public var source: String
    /// A sensor event's boot id (its serial is boot-time ns); nil for audit.
    public var boot: String?

    /// A sensor event can hold two facts (an exec or exit with the fork
    /// folded in): a fact is its event and its kind.
    public struct Key: Hashable, Sendable {
        public var eventID: Int64
        public var kind: Kind
    }
    public var key: Key { Key(eventID: eventID, kind: kind) }
    public var isAudit: Bool { source == "audit" }

    init(row: Row) {
        eventID = row["event_id"]
        kind = Kind(rawValue: row["kind"]) ?? .exit
        timeMs = row["time_ms"]
        serial = row["serial"]
        node = row["node"]
        arch = row["arch"]
        syscall = row["syscall"]
        pid = row["pid"] ?? -1
        ppid = row["ppid"]
        child = row["child"]
        exe = row["exe"]
        comm = row["comm"]
        argv = (row["argv"] as String?).flatMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String]
        }
        uid = row["uid"]
        auid = row["auid"]
        ses = row["ses"]
        source = row["source"] ?? "audit"
        boot = row["boot"]
    }

    /// exit (one thread ends), as opposed to exit_group (the whole process).
    public var isThreadExit: Bool {
        guard kind == .exit, let arch, let syscall else { return false }
        return ProcessSyscalls.threadExit[arch] == syscall
    }

    /// clone(2), whose first argument holds the flags (clone3 passes a pointer).
    var isClone: Bool {
        guard kind == .fork, let arch, let syscall else { return false }
        return ProcessSyscalls.clone[arch] == syscall
    }
}

/// The numbers behind the process_fact view, and the WHERE expressions of
/// its indexes (event_fork_child; event_process_pid and event_process_ppid), written exactly as schema/0002_process_facts.sql writes
/// them: SQLite uses a partial index only for a query that repeats its WHERE.
enum ProcessSyscalls {
    static let x86_64: Int64 = 0xC000_003E
    static let i386: Int64 = 0x4000_0003
    static let aarch64: Int64 = 0xC000_00B7

    static let threadExit: [Int64: Int64] = [x86_64: 60, i386: 1, aarch64: 93]
    static let clone: [Int64: Int64] = [x86_64: 56, i386: 120, aarch64: 220]

    static let forkChildIndex = """
        ((arch = 3221225534 AND (syscall = 56 OR syscall = 57 OR syscall = 58 OR syscall = 435)) \
        OR (arch = 1073741827 AND (syscall = 120 OR syscall = 2 OR syscall = 190 OR syscall = 435)) \
        OR (arch = 3221225655 AND (syscall = 220 OR syscall = 435))) \
        AND success = 1
        """
    static let processFactIndex = """
        (arch = 3221225534 AND (syscall = 59 OR syscall = 322 OR syscall = 56 OR syscall = 57 OR syscall = 58 \
        OR syscall = 435 OR syscall = 60 OR syscall = 231)) \
        OR (arch = 1073741827 AND (syscall = 11 OR syscall = 358 OR syscall = 120 OR syscall = 2 OR syscall = 190 \
        OR syscall = 435 OR syscall = 1 OR syscall = 252)) \
        OR (arch = 3221225655 AND (syscall = 221 OR syscall = 281 OR syscall = 220 OR syscall = 435 \
        OR syscall = 93 OR syscall = 94))
        """
    /// CLONE_THREAD (linux/sched.h)
    static let cloneThread: UInt64 = 0x0001_0000
}

/// Ancestry and descendants of a process, from the stored process facts.
///
/// A pid names many processes over time, so everything works on *instances*:
/// the facts of one pid on one node cut at each fork that created that pid
/// (the parent's call), at each exit_group, and at each new boot (the audit
/// serial restarts). An instance starts at its fork (or, when the fork was
/// not captured, is first seen at its first fact) and ends at its exit, or
/// before the pid's next instance. Facts are ordered by time, then serial:
/// a process's own calls are sequential, so within one boot this is the
/// order they happened in; the one race (a child's first exec logged before
/// the parent's clone returned, in the same millisecond) is put right.
public final class ProcessTree {
    public let reader: any DatabaseReader

    public init(_ reader: any DatabaseReader) { self.reader = reader }

    /// One process: one pid between its start and its end.
    public struct Instance: Sendable {
        public enum End: Sendable, Equatable {
            /// exit or exit_group was logged.
            case exit(timeMs: Int64)
            /// No exit stored, but the pid was used again (or the machine
            /// rebooted) at this time: it ended before, when is unknown.
            case endedBefore(timeMs: Int64)
            /// No exit stored and nothing says it ended.
            case running
        }

        public var node: String
        public var pid: Int64
        /// The parent's fork/clone that made it, when captured.
        public var fork: ProcessFact?
        /// Its own facts (execs, the forks it made, its exit), in order.
        public var facts: [ProcessFact]
        public internal(set) var end: End = .running
        /// true: a thread (clone with CLONE_THREAD); nil: not known (no clone flags).
        public internal(set) var isThread: Bool?
        /// The earliest and latest time it can have been alive (nil: open).
        var lowerMs: Int64 = .min
        var upperMs: Int64?
        /// A thread's exit (not exit_group) seen last: the end, if the pid is used again.
        var pendingExit: ProcessFact?

        init(node: String, pid: Int64, fork: ProcessFact?) {
            self.node = node
            self.pid = pid
            self.fork = fork
            self.facts = []
        }

        /// Identity within one store: its pid and the first event that shows it
        /// (a parent's first fact can be the fork that shows its child).
        public struct ID: Hashable, Sendable {
            public var pid: Int64
            public var eventID: Int64
        }
        public var id: ID { ID(pid: pid, eventID: fork?.eventID ?? facts.first?.eventID ?? 0) }
        /// The fork time, else the time it was first seen.
        public var startMs: Int64 { fork?.timeMs ?? facts.first?.timeMs ?? 0 }
        public var startKnown: Bool { fork != nil }
        /// The parent when it started: the pid that called fork, else the ppid of its first fact.
        public var ppid: Int64? { fork?.pid ?? facts.first?.ppid }
        public var execs: [ProcessFact] { facts.filter { $0.kind == .exec } }

        public struct Program: Sendable {
            public var exe: String?
            public var comm: String?
            /// nil when no exec is stored (the program was inherited or seen only in other calls).
            public var argv: [String]?
            public var execMs: Int64?
            public var uid: Int64?
            public var auid: Int64?
            public var ses: Int64?
        }

        /// The program it ran at `timeMs` (nil: the last one): the latest exec
        /// at or before that time, else its first exec, else what its other
        /// calls show (or, with none, what it inherited from its parent).
        public func program(at timeMs: Int64? = nil) -> Program {
            let execs = self.execs
            let pick = timeMs.map { t in execs.last { $0.timeMs <= t } ?? execs.first } ?? execs.last
            if let e = pick {
                return Program(exe: e.exe, comm: e.comm, argv: e.argv, execMs: e.timeMs, uid: e.uid, auid: e.auid, ses: e.ses)
            }
            let seen = facts.first { $0.exe != nil } ?? fork
            return Program(exe: seen?.exe, comm: seen?.comm, argv: nil, execMs: nil,
                           uid: seen?.uid, auid: seen?.auid, ses: seen?.ses)
        }

        func alive(at t: Int64) -> Bool { lowerMs <= t && t <= (upperMs ?? .max) }
        func holds(_ eventID: Int64) -> Bool { facts.contains { $0.eventID == eventID } }
    }

    public struct Node: Sendable {
        public var instance: Instance
        public var children: [Node]
    }

    public enum Ancestor: Sendable {
        case process(Instance)
        /// Known only as a parent's pid: nothing about it is stored.
        case unknown(pid: Int64)
    }

    public struct Result: Sendable {
        public var process: Instance
        /// Oldest known first, ending with the parent.
        public var ancestors: [Ancestor]
        public var children: [Node]
        /// false when no instance was alive at the requested time and the
        /// latest one that ended before it is shown instead.
        public var aliveAtRequest: Bool
    }

    public enum Lookup: Sendable {
        case found(Result)
        /// No exec, fork or exit of the pid is stored.
        case notStored
        /// The pid's facts all come after the requested time; the first starts here.
        case onlyLater(firstMs: Int64)
    }

    /// The tree of `pid` as it was at `atMs` (nil: its latest instance),
    /// on `node` (nil: any node; the instance found decides).
    public func lookup(pid: Int64, atMs: Int64? = nil, node: String? = nil) throws -> Lookup {
        try reader.read { db in try Walk(db).lookup(pid: pid, atMs: atMs, node: node) }
    }

    /// Whether the store has the process_fact view with the sensor's facts
    /// (a store last written by an auditq before 0003_sensor_process_facts.sql
    /// does not).
    public static func hasFacts(_ db: Database) throws -> Bool {
        try db.viewExists("process_fact")
            && Bool.fetchOne(db, sql: "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'event_sensor_ppid'") == true
    }

    /// How far apart audit's and the sensor's stamps of one action may be
    /// (as Correlator.windowMs): audit stamps at syscall exit with the wall
    /// clock, the sensor at the tracepoint or hook with boot time.
    static let sameActionMs: Int64 = 2000

    /// The facts of one pid with each action audit and the sensor both
    /// recorded kept once (audit's, which has the whole argv): a sensor fact
    /// goes when an audit fact of the same kind, process (and child, for a
    /// fork; and program name, for an exec) lies within `sameActionMs`; each
    /// audit fact stands for at most one sensor fact, the closest.
    static func dedupe(_ facts: [ProcessFact]) -> [ProcessFact] {
        let audit = facts.filter(\.isAudit)
        let sensor = facts.filter { !$0.isAudit }
        guard !audit.isEmpty, !sensor.isEmpty else { return facts }
        var taken = Set<ProcessFact.Key>()
        var dropped = Set<ProcessFact.Key>()
        for s in sensor.sorted(by: { $0.timeMs < $1.timeMs }) {
            var best: ProcessFact?
            for a in audit where !taken.contains(a.key) && a.kind == s.kind && a.pid == s.pid && a.node == s.node
                && abs(a.timeMs - s.timeMs) <= sameActionMs {
                switch s.kind {
                case .fork: guard a.child == s.child else { continue }
                case .exec: if let x = a.comm, let y = s.comm, x != y { continue }
                case .exit: guard !a.isThreadExit else { continue }
                }
                if best == nil || abs(a.timeMs - s.timeMs) < abs(best!.timeMs - s.timeMs) { best = a }
            }
            if let best {
                taken.insert(best.key)
                dropped.insert(s.key)
            }
        }
        return facts.filter { !dropped.contains($0.key) }
    }

    /// One walk over one read transaction, with per-pid caches.
    private final class Walk {
        let db: Database
        var instancesByPid: [Int64: [String: [Instance]]] = [:]
        var rawBlocks: (id: Int64, bytes: [UInt8])?
        /// Text ids of the sensor's process record types, looked up once.
        var sensorTypes: [Int64]?

        init(_ db: Database) { self.db = db }

        func lookup(pid: Int64, atMs: Int64?, node: String?) throws -> Lookup {
            var all = try instances(pid).flatMap { $0.value }
            if let node { all = all.filter { $0.node == node } }
            guard !all.isEmpty else { return .notStored }
            all.sort { ($0.startMs, $0.node) < ($1.startMs, $1.node) }
            var subject: Instance
            var alive = true
            if let at = atMs {
                let candidates = all.filter { $0.alive(at: at) }
                if let s = candidates.last(where: { $0.startMs <= at }) ?? candidates.first {
                    subject = s
                } else if let earlier = all.last(where: { $0.startMs <= at }) {
                    subject = earlier
                    alive = false
                } else {
                    return .onlyLater(firstMs: all[0].startMs)
                }
            } else {
                subject = all[all.count - 1]
            }
            subject.isThread = try thread(subject.fork)
            var visited: Set<Instance.ID> = [subject.id]
            let ancestors = try ancestry(of: subject, visited: &visited)
            let children = subject.isThread == true ? [] : try descendants(of: subject, visited: &visited)
            return .found(Result(process: subject, ancestors: ancestors, children: children, aliveAtRequest: alive))
        }

        // MARK: facts and instances

        /// Event ids from an indexed query (cached statements: a big tree
        /// runs the same queries thousands of times).
        func eventIDs(_ sql: String, _ arguments: StatementArguments) throws -> [Int64] {
            try Int64.fetchAll(db.cachedStatement(sql: sql), arguments: arguments)
        }

        /// The facts of these events. The ids are bound as a list: SQLite
        /// pushes `event_id IN (…)` with a list of values into each arm of the
        /// view's UNION ALL, but not an IN subquery (that would scan them all).
        func facts(ids: [Int64]) throws -> [ProcessFact] {
            var out: [ProcessFact] = []
            var start = 0
            while start < ids.count {
                let chunk = Array(ids[start..<min(start + 256, ids.count)])
                start += chunk.count
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                out += try Row.fetchAll(db, sql: "SELECT * FROM process_fact WHERE event_id IN (\(marks))",
                                        arguments: StatementArguments(chunk)).map(ProcessFact.init(row:))
            }
            return out
        }

        func sensorTypeIDs() throws -> [Int64] {
            if let sensorTypes { return sensorTypes }
            let ids = try Int64.fetchAll(db, sql: "SELECT id FROM text WHERE value IN ('TP_EXEC', 'TP_EXIT', 'TP_FORK', 'LSM_EXEC')")
            sensorTypes = ids
            return ids
        }

        /// The sensor's process events whose `column` (pid or ppid) is `value`,
        /// through event_pid or event_sensor_ppid (0003: its WHERE repeated).
        func sensorIDs(_ column: String, _ value: Int64) throws -> [Int64] {
            let types = try sensorTypeIDs()
            guard !types.isEmpty else { return [] }
            let list = types.map(String.init).joined(separator: ",")
            let scope = column == "ppid" ? "ppid = ? AND syscall IS NULL AND ppid IS NOT NULL" : "pid = ?"
            return try eventIDs("SELECT id FROM event WHERE \(scope) AND types IN (\(list))", [value])
        }

        /// The pid's instances, by node: its own facts, the forks that made
        /// it, and the forks it made that the sensor folded into its
        /// children's events (found by their ppid).
        func instances(_ pid: Int64) throws -> [String: [Instance]] {
            if let cached = instancesByPid[pid] { return cached }
            var found = try eventIDs("SELECT id FROM event WHERE pid = ? AND (\(ProcessSyscalls.processFactIndex))", [pid])
            found += try eventIDs("SELECT id FROM event WHERE exit = ? AND \(ProcessSyscalls.forkChildIndex)", [pid])
            found += try sensorIDs("pid", pid)
            found += try sensorIDs("ppid", pid)
            var byNode: [String: [ProcessFact]] = [:]
            var seen = Set<ProcessFact.Key>()
            for f in try facts(ids: Array(Set(found)).sorted())
            where (f.pid == pid || (f.kind == .fork && f.child == pid)) && seen.insert(f.key).inserted {
                byNode[f.node, default: []].append(f)
            }
            var result: [String: [Instance]] = [:]
            for (node, facts) in byNode { result[node] = Self.split(pid: pid, node: node, facts: ProcessTree.dedupe(facts)) }
            instancesByPid[pid] = result
            return result
        }

        /// Cuts one pid's facts on one node into instances (see the type's comment).
        static func split(pid: Int64, node: String, facts unsorted: [ProcessFact]) -> [Instance] {
            let facts = unsorted.sorted { ($0.timeMs, $0.serial, $0.eventID) < ($1.timeMs, $1.serial, $1.eventID) }
            var list: [Instance] = []
            var cur: Instance?
            var fresh = false    // cur began without a fork, after an exit or as the first
            var exited = false   // cur logged exit_group
            var lastAudit: ProcessFact?
            var lastBoot: String?
            func close() {
                if let c = cur { list.append(c) }
                cur = nil
                exited = false
            }
            for f in facts {
                // Audit's serial restarts at boot: a lower serial well after
                // the previous audit fact means the machine rebooted in
                // between. Sensor facts carry the boot id itself.
                if f.isAudit {
                    if let l = lastAudit, f.serial < l.serial, f.timeMs > l.timeMs + 1000 { close() }
                    lastAudit = f
                } else if let boot = f.boot {
                    if let lastBoot, lastBoot != boot { close() }
                    lastBoot = boot
                }
                if f.kind == .fork, f.child == pid, f.pid != pid {
                    // The child may have logged its first calls before the
                    // parent's clone returned: same millisecond, lower serial.
                    if var c = cur, fresh, c.fork == nil, c.facts.allSatisfy({ $0.timeMs == f.timeMs }) {
                        c.fork = f
                        cur = c
                        fresh = false
                        continue
                    }
                    close()
                    cur = Instance(node: node, pid: pid, fork: f)
                    fresh = false
                    continue
                }
                guard f.pid == pid else { continue }
                if cur == nil || exited {
                    close()
                    cur = Instance(node: node, pid: pid, fork: nil)
                    fresh = true
                }
                cur!.facts.append(f)
                if f.kind == .exit && !f.isThreadExit {
                    cur!.pendingExit = nil
                    exited = true
                } else {
                    // A thread's exit followed by more calls was not the process's end.
                    cur!.pendingExit = f.isThreadExit ? f : nil
                }
            }
            close()
            // Ends and the bounds of each instance's life.
            for i in list.indices {
                let next = i + 1 < list.count ? list[i + 1] : nil
                if let exit = list[i].facts.last(where: { $0.kind == .exit && !$0.isThreadExit }) {
                    list[i].end = .exit(timeMs: exit.timeMs)
                } else if next != nil, let pending = list[i].pendingExit {
                    list[i].end = .exit(timeMs: pending.timeMs)
                } else if let next {
                    list[i].end = .endedBefore(timeMs: next.startMs)
                } else {
                    list[i].end = .running
                }
                switch list[i].end {
                case .exit(let t): list[i].upperMs = t
                case .endedBefore(let t): list[i].upperMs = t
                case .running: list[i].upperMs = nil
                }
                if let fork = list[i].fork {
                    list[i].lowerMs = fork.timeMs
                } else if i > 0 {
                    let prev = list[i - 1]
                    list[i].lowerMs = prev.upperMs ?? prev.facts.last?.timeMs ?? prev.startMs
                }
            }
            return list
        }

        // MARK: ancestry

        func ancestry(of subject: Instance, visited: inout Set<Instance.ID>) throws -> [Ancestor] {
            var chain: [Ancestor] = []
            var current = subject
            while let (ppid, parent) = try parentOf(current) {
                guard var parent else { chain.append(.unknown(pid: ppid)); break }
                guard visited.insert(parent.id).inserted else { break }
                parent.isThread = try thread(parent.fork)
                chain.append(.process(parent))
                current = parent
            }
            return chain.reversed()
        }

        /// The parent's pid and, when its facts are stored, its instance.
        func parentOf(_ child: Instance) throws -> (Int64, Instance?)? {
            if let fork = child.fork {
                let parent = try instances(fork.pid)[child.node]?.first { $0.holds(fork.eventID) }
                return (fork.pid, parent)
            }
            guard let ppid = child.facts.first?.ppid, ppid > 0 else { return nil }
            let candidates = try instances(ppid)[child.node]?.filter { $0.alive(at: child.startMs) } ?? []
            return (ppid, candidates.last { $0.startMs <= child.startMs } ?? candidates.first)
        }

        // MARK: descendants

        func descendants(of parent: Instance, visited: inout Set<Instance.ID>) throws -> [Node] {
            var kids: [Instance] = []
            var ids = Set<Instance.ID>()
            // Forks it made.
            for f in parent.facts where f.kind == .fork {
                guard let pid = f.child else { continue }
                var kid = try instances(pid)[parent.node]?.first { $0.fork?.eventID == f.eventID }
                    ?? Instance(node: parent.node, pid: pid, fork: f)
                kid.isThread = try thread(f)
                if kid.isThread == true {
                    // A thread's own calls carry the process's pid: nothing more to find.
                    kid = Instance(node: parent.node, pid: pid, fork: f)
                    kid.isThread = true
                    kid.end = .running
                }
                if ids.insert(kid.id).inserted { kids.append(kid) }
            }
            // Children whose fork was not captured: their facts name it as ppid.
            var childIDs = try eventIDs("SELECT id FROM event WHERE ppid = ? AND (\(ProcessSyscalls.processFactIndex))", [parent.pid])
            childIDs += try sensorIDs("ppid", parent.pid)
            let byPpid = try facts(ids: Array(Set(childIDs)).sorted())
            for f in byPpid where f.node == parent.node && f.pid != parent.pid && parent.alive(at: f.timeMs) {
                guard let kid = try instances(f.pid)[parent.node]?.first(where: { $0.holds(f.eventID) }) else { continue }
                if ids.insert(kid.id).inserted { kids.append(kid) }
            }
            kids.sort { ($0.startMs, $0.pid) < ($1.startMs, $1.pid) }
            var nodes: [Node] = []
            for kid in kids where visited.insert(kid.id).inserted {
                let grandchildren = kid.isThread == true ? [] : try descendants(of: kid, visited: &visited)
                nodes.append(Node(instance: kid, children: grandchildren))
            }
            return nodes
        }

        // MARK: threads

        /// true when the fork was a clone with CLONE_THREAD, false for any
        /// other clone, nil when the flags are not known (fork, vfork, clone3:
        /// a pointer). The flags are a0 of the SYSCALL record, kept only in
        /// the raw text.
        func thread(_ fork: ProcessFact?) throws -> Bool? {
            guard let fork, fork.isClone else { return nil }
            let place = try db.cachedStatement(sql: "SELECT raw_block, raw_offset, raw_length FROM event WHERE id = ?")
            guard let row = try Row.fetchOne(place, arguments: [fork.eventID]) else { return nil }
            let block: Int64 = row["raw_block"], offset: Int = row["raw_offset"], length: Int = row["raw_length"]
            if rawBlocks?.id != block {
                guard let b = try Row.fetchOne(db, sql: "SELECT raw_size, data FROM raw_block WHERE id = ?",
                                               arguments: [block]) else { return nil }
                let size: Int = b["raw_size"]
                let data: Data = b["data"]
                rawBlocks = (block, try data.withUnsafeBytes { try RawCodec.decompress($0, rawSize: size, block: block) })
            }
            let bytes = rawBlocks!.bytes
            guard offset >= 0, offset + length <= bytes.count else { return nil }
            let text = String(decoding: bytes[offset..<(offset + length)], as: UTF8.self)
            for line in text.split(separator: "\n") where line.hasPrefix("type=SYSCALL ") || line.hasPrefix("node=") {
                guard line.contains("type=SYSCALL "), let r = line.range(of: " a0=") else { continue }
                let hex = line[r.upperBound...].prefix { $0.isHexDigit }
                guard let flags = UInt64(hex, radix: 16) else { return nil }
                return flags & ProcessSyscalls.cloneThread != 0
            }
            return nil
        }
    }
}
