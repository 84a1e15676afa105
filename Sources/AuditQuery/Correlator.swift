import AuditRecords
import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#endif

/// Pairs a sensor event (BPF-LSM or tracepoint) with the audit event of the
/// same action: same process, same object, stamped within ±2 s. Each sensor
/// event pairs with its closest matching audit event (a script's exec gives
/// two bprm_check_security events for one execve, so an audit event may
/// have several partners); an audit event is "seen by both" when a sensor
/// event chose it. Lookups go by pid and time window through the store's
/// indexes, one action at a time, and are cached for the read.
public final class Correlator {
    /// How far apart the two stamps of one action may be: audit stamps at
    /// syscall exit with the wall clock, the sensor at the hook with boot
    /// time converted by an offset taken at sensor start.
    public static let windowMs: Int64 = 2000

    public struct Partner: Sendable, Equatable {
        public var id: Int64
        public var source: EventSource
    }

    /// An event with what matching compares, parsed once (a class: spans
    /// and windows share it rather than copy its strings).
    final class Facts {
        let event: StoredEvent
        let source: EventSource
        let kind: SensorKinds.Kind?
        /// Object paths as given and resolved against the working directory.
        let paths: Set<String>
        let fields: [String: String]

        init(event: StoredEvent, source: EventSource, kind: SensorKinds.Kind?, paths: Set<String>, fields: [String: String]) {
            self.event = event; self.source = source; self.kind = kind; self.paths = paths; self.fields = fields
        }

        var syscallName: String? { event.syscallName ?? event.syscall.map(String.init) }
    }

    /// Text ids of the sensor record type names present in the store; empty
    /// when it holds no sensor event (then nothing needs looking up).
    private var sensorTypeIDs: [Int64]?
    private var bestAudit: [Int64: Int64?] = [:]
    private var auditPartners: [Int64: [Partner]] = [:]

    /// One pid's events over a stretch of time, read at once: the windows of
    /// the actions inside it are answered from memory (a busy process's
    /// events are read once, not once per action).
    private struct Span {
        var from: Int64
        var to: Int64
        var audit: [Facts] = []    // by time
        var sensors: [Facts] = []  // by time
    }
    private var spans: [Int64: Span] = [:]
    private var pidCounts: [Int64: Int] = [:]
    private var loaded = 0
    private static let spanMs: Int64 = 30_000
    private static let busyPid = 512
    private static let cacheLimit = 200_000

    public init() {}

    /// The events of other sources that saw the same action as `event`.
    public func partners(of event: StoredEvent, _ db: Database) throws -> [Partner] {
        guard try !typeIDs(db).isEmpty, event.pid != nil else { return [] }
        trimCaches()
        if let known = auditPartners[event.id] { return known }
        let me = try facts(of: event, db)
        if me.source != .audit {
            guard let audit = try best(for: me, db) else { return [] }
            return [Partner(id: audit, source: .audit)]
        }
        var found: [Partner] = []
        for sensor in try window(around: me.event, sensors: true, db) where Self.matches(sensor: sensor, audit: me) {
            if try best(for: sensor, db) == event.id { found.append(Partner(id: sensor.event.id, source: sensor.source)) }
        }
        auditPartners[event.id] = found
        return found
    }

    /// The sources that saw the action: the event's own and its partners', in
    /// the order audit, lsm, tracepoint.
    public func seenBy(_ event: StoredEvent, _ db: Database) throws -> [EventSource] {
        var sources: Set<EventSource> = [EventSource(types: event.types)]
        for p in try partners(of: event, db) { sources.insert(p.source) }
        return sources.sorted()
    }

    // MARK: lookups

    private func typeIDs(_ db: Database) throws -> [Int64] {
        if let sensorTypeIDs { return sensorTypeIDs }
        let names = SensorKinds.all.map(\.name)
        let ids = try Int64.fetchAll(db, sql: "SELECT id FROM text WHERE value IN (" + names.map { _ in "?" }.joined(separator: ",") + ")",
                                     arguments: StatementArguments(names))
        sensorTypeIDs = ids
        return ids
    }

    /// The closest audit event a sensor event matches (ties: the lower id).
    private func best(for sensor: Facts, _ db: Database) throws -> Int64? {
        if let cached = bestAudit[sensor.event.id] { return cached }
        var choice: (id: Int64, distance: Int64)?
        for audit in try window(around: sensor.event, sensors: false, db) where Self.matches(sensor: sensor, audit: audit) {
            let distance = abs(audit.event.timeMs - sensor.event.timeMs)
            if choice == nil || distance < choice!.distance || (distance == choice!.distance && audit.event.id < choice!.id) {
                choice = (audit.event.id, distance)
            }
        }
        bestAudit[sensor.event.id] = .some(choice?.id)
        return choice?.id
    }

    /// The other events of the same pid and node within the window, sensor or audit ones.
    private func window(around event: StoredEvent, sensors: Bool, _ db: Database) throws -> [Facts] {
        guard let span = try span(covering: event, db) else { return [] }
        let list = sensors ? span.sensors : span.audit
        let from = event.timeMs - Self.windowMs, to = event.timeMs + Self.windowMs
        var out: [Facts] = []
        var i = Self.firstIndex(in: list, atOrAfter: from)
        while i < list.count, list[i].event.timeMs <= to {
            if list[i].event.id != event.id, list[i].event.node == event.node { out.append(list[i]) }
            i += 1
        }
        return out
    }

    private func facts(of event: StoredEvent, _ db: Database) throws -> Facts {
        if let span = try span(covering: event, db) {
            let list = EventSource(types: event.types) == .audit ? span.audit : span.sensors
            var i = Self.firstIndex(in: list, atOrAfter: event.timeMs)
            while i < list.count, list[i].event.timeMs == event.timeMs {
                if list[i].event.id == event.id { return list[i] }
                i += 1
            }
        }
        let names = try String.fetchAll(db, sql: "SELECT name FROM path_view WHERE event_id = ? AND name IS NOT NULL",
                                        arguments: [event.id])
        return Self.facts(event, names: names)
    }

    private static func firstIndex(in list: [Facts], atOrAfter time: Int64) -> Int {
        var lo = 0, hi = list.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if list[mid].event.timeMs < time { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// The span of the event's pid holding its whole window, read when missing:
    /// through event_pid, unless the pid is a busy one (a daemon's thousands
    /// of events) and the span's time range holds fewer rows (both counted
    /// from the indexes alone).
    private func span(covering event: StoredEvent, _ db: Database) throws -> Span? {
        guard let pid = event.pid else { return nil }
        let from = event.timeMs - Self.windowMs, to = event.timeMs + Self.windowMs
        if let span = spans[pid], span.from <= from, span.to >= to { return span }
        var span = Span(from: from, to: max(to, from + Self.spanMs))
        var index = "event_pid"
        if try count(pid: pid, db) > Self.busyPid {
            let inRange = try Int.fetchOne(db, sql: "SELECT count(*) FROM event INDEXED BY event_time WHERE time_ms BETWEEN ? AND ?",
                                           arguments: [span.from, span.to]) ?? 0
            if inRange < pidCounts[pid]! { index = "event_time" }
        }
        let selection = "FROM event e INDEXED BY \(index) WHERE e.pid = ? AND e.time_ms BETWEEN ? AND ?"
        let args: StatementArguments = [pid, span.from, span.to]
        var names: [Int64: [String]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT pa.event_id, t.value FROM path pa JOIN text t ON t.id = pa.name"
                                        + " WHERE pa.event_id IN (SELECT e.id \(selection))", arguments: args) {
            names[row[0], default: []].append(row[1])
        }
        for row in try Row.fetchAll(db, sql: "SELECT v.* \(selection.replacingOccurrences(of: "WHERE", with: "JOIN event_view v ON v.id = e.id WHERE"))"
                                        + " ORDER BY e.time_ms, e.id", arguments: args) {
            let e = StoredEvent(row: row)
            let f = Self.facts(e, names: names[e.id] ?? [])
            if f.source == .audit { span.audit.append(f) } else { span.sensors.append(f) }
        }
        loaded += span.audit.count + span.sensors.count
        spans[pid] = span
        return span
    }

    private func count(pid: Int64, _ db: Database) throws -> Int {
        if let known = pidCounts[pid] { return known }
        let n = try Int.fetchOne(db, sql: "SELECT count(*) FROM event INDEXED BY event_pid WHERE pid = ?", arguments: [pid]) ?? 0
        pidCounts[pid] = n
        return n
    }

    private static func facts(_ event: StoredEvent, names: [String]) -> Facts {
        var paths: Set<String> = []
        for name in names + [event.path].compactMap({ $0 }) where !name.isEmpty {
            paths.insert(name)
            paths.insert(resolve(name, cwd: event.cwd))
        }
        var fields: [String: String] = [:]
        if let json = event.fieldsJSON, let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] {
            for (k, v) in object { fields[k] = v as? String ?? "\(v)" }
        }
        let source = EventSource(types: event.types)
        let kind = source == .audit ? nil : SensorKinds.kind(named: event.types[0])
        return Facts(event: event, source: source, kind: kind, paths: paths, fields: fields)
    }

    private func trimCaches() {
        guard loaded > Self.cacheLimit || bestAudit.count > Self.cacheLimit || auditPartners.count > Self.cacheLimit else { return }
        spans.removeAll(keepingCapacity: true)
        pidCounts.removeAll(keepingCapacity: true)
        bestAudit.removeAll(keepingCapacity: true)
        auditPartners.removeAll(keepingCapacity: true)
        loaded = 0
    }

    // MARK: the same action

    static let execCalls: Set<String> = ["execve", "execveat"]
    static let moduleCalls: Set<String> = ["init_module", "finit_module"]
    static let killCalls: Set<String> = ["kill", "tkill", "tgkill", "pidfd_send_signal", "rt_sigqueueinfo", "rt_tgsigqueueinfo"]
    static let setuidCalls: Set<String> = ["setuid", "setreuid", "setresuid", "setfsuid", "setuid32", "setreuid32", "setresuid32", "setfsuid32"]
    static let exitCalls: Set<String> = ["exit", "exit_group"]
    static let forkCalls: Set<String> = ["fork", "vfork", "clone", "clone3"]

    /// Whether the sensor event and the audit event describe one action:
    /// same pid and node, within the window, same object for the hook.
    static func matches(sensor s: Facts, audit a: Facts) -> Bool {
        guard let kind = s.kind, a.source == .audit, s.event.pid == a.event.pid, s.event.node == a.event.node,
              abs(s.event.timeMs - a.event.timeMs) <= windowMs else { return false }
        let call = a.syscallName ?? ""
        switch kind.name {
        case "LSM_EXEC", "TP_EXEC", "LSM_EXEC_ARGV":
            guard execCalls.contains(call) || a.event.types.contains("EXECVE") else { return false }
            // Audit names the file as given (a symlink, a relative path) and
            // resolves exe; the sensor has the resolved file.
            let objects = s.paths.union([s.event.exe].compactMap { $0 })
            if objects.isEmpty { return true }
            return !objects.isDisjoint(with: a.paths) || a.event.exe.map(objects.contains) == true
        case "LSM_FILE_OPEN", "LSM_UNLINK", "LSM_CHMOD", "LSM_MOUNT":
            return !s.paths.isDisjoint(with: a.paths)
        case "LSM_KERNEL_READ_FILE", "LSM_KERNEL_LOAD_DATA":
            return moduleCalls.contains(call) || !s.paths.isDisjoint(with: a.paths)
        case "LSM_CONNECT":
            return sameSocket(s.event, a.event)
        case "LSM_KILL":
            let target = s.fields["target_pid"], opid = a.fields["opid"]
            if killCalls.contains(call) { return opid == nil || opid == target }
            return opid != nil && opid == target && call != "ptrace"
        case "LSM_PTRACE":
            let target = s.fields["target_pid"], opid = a.fields["opid"]
            return call == "ptrace" && (opid == nil || opid == target)
        case "LSM_SETUID":
            guard setuidCalls.contains(call), let newUID = s.fields["new_uid"].flatMap(Int64.init) else { return false }
            let newEUID = s.fields["new_euid"].flatMap(Int64.init) ?? newUID
            return a.event.uid == newUID || a.event.euid == newEUID
        case "LSM_BPF":
            return call == "bpf" || a.event.types.contains("BPF")
        case "TP_EXIT":
            return exitCalls.contains(call)
        case "TP_FORK":
            return forkCalls.contains(call)
        case "TP_SYSCALL":
            guard let mine = s.syscallName, mine == call else { return false }
            if s.event.sockFamily != nil { return sameSocket(s.event, a.event) }
            if !s.paths.isEmpty { return !s.paths.isDisjoint(with: a.paths) }
            return true
        default:
            return false
        }
    }

    /// Same family, port and address (compared as bytes: "::1" and "0:0:…:1" agree).
    static func sameSocket(_ x: StoredEvent, _ y: StoredEvent) -> Bool {
        guard let fx = x.sockFamily, fx == y.sockFamily else { return false }
        guard fx == 2 || fx == 10 else { return x.sockAddr != nil && x.sockAddr == y.sockAddr }
        guard x.sockPort == y.sockPort, let ax = x.sockAddr, let ay = y.sockAddr else { return false }
        return addressBytes(ax, family: fx) ?? Array(ax.utf8) == addressBytes(ay, family: fx) ?? Array(ay.utf8)
    }

    static func addressBytes(_ text: String, family: Int64) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 16)
        let ok = buffer.withUnsafeMutableBytes { inet_pton(family == 10 ? AF_INET6 : AF_INET, text, $0.baseAddress) }
        return ok == 1 ? Array(buffer.prefix(family == 10 ? 16 : 4)) : nil
    }

    /// A path made absolute against the working directory, "." and ".."
    /// and repeated slashes folded (lexically: symlinks are not known here).
    static func resolve(_ name: String, cwd: String?) -> String {
        var full = name
        if !name.hasPrefix("/") {
            guard let cwd, cwd.hasPrefix("/") else { return name }
            full = cwd + "/" + name
        }
        var parts: [Substring] = []
        for part in full.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }
}
