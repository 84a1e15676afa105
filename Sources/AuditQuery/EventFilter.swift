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
        let clause = terms.isEmpty ? "" : "WHERE " + terms.joined(separator: " AND ")
        return (clause, StatementArguments(args.map { $0?.databaseValue ?? .null }))
    }
}
