import AuditRecords
import GRDB

/// ausearch's filters, turned into SQL over the store with every value bound
/// as a parameter. String filters match as substrings, like ausearch, or
/// whole values with `exact` (ausearch -w).
public struct EventFilter: Sendable {
    public var key: String?
    public var pid: Int64?
    public var ppid: Int64?
    public var uid: Int64?
    public var euid: Int64?
    public var loginuid: Int64?
    /// -ua: uid, euid or auid.
    public var anyUid: Int64?
    public var gid: Int64?
    public var executable: String?
    public var comm: String?
    public var file: String?
    public var messageTypes: [String] = []
    public var syscall: Int64?
    public var success: Bool?
    public var exit: Int64?
    public var session: Int64?
    public var serial: Int64?
    public var node: String?
    public var startMs: Int64?
    public var endMs: Int64?
    public var exact = false
    /// --source: audit, lsm, tracepoint (any of them; empty = all).
    public var sources: Set<EventSource> = []
    /// --hook: sensor kinds (any of them; empty = no restriction). A hook
    /// selects sensor events only.
    public var hooks: [SensorKinds.Kind] = []
    /// --container, --pod, --image, --host-only: the events of some
    /// containers, or of none (ContainerIndex.scope).
    public var containers: ContainerScope?
    /// --id: these store event ids only.
    public var ids: [Int64] = []
    /// Events stored after this id (a live reader's mark).
    public var afterID: Int64?
    /// Text ids already resolved by the caller (a detector's cache of the
    /// text table, which only grows): the event's record types, key, exe,
    /// or a PATH name or its own path, is one of them.
    public var typeIDs: [Int64]?
    public var keyIDs: [Int64]?
    public var exeIDs: [Int64]?
    public var pathIDs: [Int64]?

    public init() {}

    /// `WHERE …` text (possibly empty) and its arguments, over `event e`.
    public func sql() -> (clause: String, arguments: StatementArguments) {
        var terms: [String] = []
        var args: [DatabaseValueConvertible?] = []
        func int(_ column: String, _ v: Int64?) {
            if let v { terms.append("e.\(column) = ?"); args.append(v) }
        }
        /// Text ids whose value matches (substring or whole, per -w).
        func textMatch(_ v: String) -> String {
            args.append(v)
            return exact ? "SELECT id FROM text WHERE value = ?" : "SELECT id FROM text WHERE instr(value, ?) > 0"
        }
        if let startMs { terms.append("e.time_ms >= ?"); args.append(startMs) }
        if let endMs { terms.append("e.time_ms <= ?"); args.append(endMs) }
        int("pid", pid)
        int("ppid", ppid)
        int("uid", uid)
        int("euid", euid)
        int("auid", loginuid)
        int("gid", gid)
        int("syscall", syscall)
        int("exit", exit)
        int("ses", session)
        int("serial", serial)
        if let anyUid {
            terms.append("(e.uid = ? OR e.euid = ? OR e.auid = ?)")
            args += [anyUid, anyUid, anyUid]
        }
        if let success { terms.append("e.success = ?"); args.append(success ? 1 : 0) }
        if let node { terms.append("e.node IN (SELECT id FROM text WHERE value = ?)"); args.append(node) }
        if let key {
            // A multi-key event stores its keys separated by \x01.
            if exact {
                terms.append("e.key IN (SELECT id FROM text WHERE instr(char(1) || value || char(1), char(1) || ? || char(1)) > 0)")
                args.append(key)
            } else {
                terms.append("e.key IN (\(textMatch(key)))")
            }
        }
        if let executable { terms.append("e.exe IN (\(textMatch(executable)))") }
        if let comm { terms.append("e.comm IN (\(textMatch(comm)))") }
        if let file {
            // ausearch -f: a PATH name, the working directory, or a local socket's path.
            let names = textMatch(file)
            let cwds = textMatch(file)
            let sockets = textMatch(file)
            terms.append("(e.id IN (SELECT event_id FROM path WHERE name IN (\(names))) OR e.cwd IN (\(cwds))"
                         + " OR (e.sock_family = 1 AND e.path IN (\(sockets))))")
        }
        if !messageTypes.isEmpty {
            let any = messageTypes.map { _ in "instr(' ' || value || ' ', ?) > 0" }.joined(separator: " OR ")
            terms.append("e.types IN (SELECT id FROM text WHERE \(any))")
            args += messageTypes.map { " \($0) " }
        }
        if let term = sourceTerm(&args) { terms.append(term) }
        if !ids.isEmpty {
            terms.append("e.id IN (SELECT value FROM json_each(?))")
            args.append("[" + ids.map(String.init).joined(separator: ",") + "]")
        }
        if let afterID { terms.append("e.id > ?"); args.append(afterID) }
        func idList(_ ids: [Int64]) -> String {
            args.append("[" + ids.map(String.init).joined(separator: ",") + "]")
            return "SELECT value FROM json_each(?)"
        }
        if let typeIDs { terms.append("e.types IN (\(idList(typeIDs)))") }
        if let keyIDs { terms.append("e.key IN (\(idList(keyIDs)))") }
        if let exeIDs { terms.append("e.exe IN (\(idList(exeIDs)))") }
        if let pathIDs {
            let names = idList(pathIDs)
            let own = idList(pathIDs)
            terms.append("(e.id IN (SELECT event_id FROM path WHERE name IN (\(names))) OR e.path IN (\(own)))")
        }
        if let containers {
            terms.append(containers.term)
            args += containers.arguments.map { $0 as DatabaseValueConvertible? }
        }
        let clause = terms.isEmpty ? "" : "WHERE " + terms.joined(separator: " AND ")
        return (clause, StatementArguments(args.map { $0?.databaseValue ?? .null }))
    }

    /// --source and --hook. A sensor event is one record of type 3100 + kind,
    /// so its `types` text is that kind's name: the test is on the `types`
    /// text id (event_types index), against the sensor kinds selected, or
    /// against those left out when audit events are selected too.
    private func sourceTerm(_ args: inout [DatabaseValueConvertible?]) -> String? {
        guard !sources.isEmpty || !hooks.isEmpty else { return nil }
        let wantAudit = (sources.isEmpty || sources.contains(.audit)) && hooks.isEmpty
        let wanted = SensorKinds.all.filter { kind in
            (sources.isEmpty || sources.contains(EventSource(rawValue: kind.source) ?? .audit))
                && (hooks.isEmpty || hooks.contains(kind))
        }
        func ids(_ kinds: [SensorKinds.Kind]) -> String {
            args += kinds.map(\.name)
            return "SELECT id FROM text WHERE value IN (" + kinds.map { _ in "?" }.joined(separator: ",") + ")"
        }
        if wantAudit {
            let excluded = SensorKinds.all.filter { !wanted.contains($0) }
            return excluded.isEmpty ? nil : "e.types NOT IN (\(ids(excluded)))"
        }
        return wanted.isEmpty ? "0" : "e.types IN (\(ids(wanted)))"
    }
}

/// Where an event comes from: the kernel audit subsystem, a BPF-LSM program,
/// or the tracepoint fallback sensor.
public enum EventSource: String, CaseIterable, Sendable, Comparable {
    case audit, lsm, tracepoint

    /// Sensor events carry one record named after their kind; everything
    /// else (record types below 3100) is audit.
    public init(types: [String]) {
        if types.count == 1, let kind = SensorKinds.kind(named: types[0]) {
            self = EventSource(rawValue: kind.source) ?? .audit
        } else {
            self = .audit
        }
    }

    public static func < (a: EventSource, b: EventSource) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

extension SensorKinds {
    /// A hook or tracepoint name (bprm_check_security, sys_enter) or a
    /// record type name (LSM_EXEC, TP_SYSCALL): the sensor kinds it names.
    public static func kinds(matching name: String) -> [Kind] {
        let lower = name.lowercased(), upper = name.uppercased()
        return all.filter { $0.hook == lower || $0.name == upper }
    }
}
