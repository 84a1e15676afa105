import AuditRecords
import AuditStore
import Foundation
import GRDB

/// Every event of one process (its pid: the images it exec'd keep it) or of
/// one audit session, from all sources, in time order, each with what it
/// did, its object and the events of other sources that saw the same action.
public struct Timeline {
    public enum Subject: Sendable, Equatable {
        case pid(Int64)
        case session(Int64)
    }

    public struct Entry: Sendable {
        public var event: StoredEvent
        public var source: EventSource
        /// The syscall and its outcome for audit, the hook for the sensor.
        public var what: String
        /// The object acted on: path, address:port, target pid and signal, …
        public var object: String?
        public var partners: [Correlator.Partner]
        public var seenBy: [EventSource] {
            Set([source] + partners.map(\.source)).sorted()
        }
    }

    public let subject: Subject
    public var startMs: Int64?
    public var endMs: Int64?

    public init(subject: Subject, startMs: Int64? = nil, endMs: Int64? = nil) {
        self.subject = subject
        self.startMs = startMs
        self.endMs = endMs
    }

    /// The entries, oldest first (same millisecond: store order), read in one
    /// transaction through the pid or ses index.
    public func entries(_ store: EventStore) throws -> [Entry] {
        var filter = EventFilter()
        switch subject {
        case .pid(let pid): filter.pid = pid
        case .session(let ses): filter.session = ses
        }
        filter.startMs = startMs
        filter.endMs = endMs
        let (clause, args) = filter.sql()
        let sql = "SELECT v.* FROM event e JOIN event_view v ON v.id = e.id \(clause) ORDER BY e.time_ms, e.id"
        return try store.pool.read { db in
            let correlator = Correlator()
            var out: [Entry] = []
            for row in try Row.fetchAll(db, sql: sql, arguments: args) {
                let event = StoredEvent(row: row)
                let source = EventSource(types: event.types)
                let fields = Self.fields(event)
                out.append(Entry(event: event, source: source, what: Self.what(event, source: source, fields: fields),
                                 object: try Self.object(event, source: source, fields: fields, db),
                                 partners: try correlator.partners(of: event, db)))
            }
            return out
        }
    }

    static func fields(_ e: StoredEvent) -> [String: String] {
        guard let json = e.fieldsJSON,
              let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return [:] }
        return object.mapValues { $0 as? String ?? "\($0)" }
    }

    /// audit: "execve ok", "openat failed -13 (EACCES)", "USER_LOGIN failed";
    /// sensor: the hook ("file_open"; "sys_enter connect"), with "denied -1"
    /// when the LSM verdict was not 0.
    static func what(_ e: StoredEvent, source: EventSource, fields: [String: String]) -> String {
        if source != .audit {
            let kind = SensorKinds.kind(named: e.types[0])
            var s = kind?.hook ?? e.types[0]
            if kind?.name == "TP_SYSCALL", let call = fields["syscall"] ?? e.syscallName { s += " " + call }
            if let ret = fields["ret"], ret != "0" { s += " denied " + ret }
            return s
        }
        var s = e.syscallName ?? e.syscall.map { "syscall \($0)" }
            ?? e.types.first { !["EOE", "PROCTITLE", "CWD", "PATH"].contains($0) } ?? e.types.first ?? "?"
        if let ok = e.success { s += ok ? " ok" : " failed" }
        if e.syscall != nil, let exit = e.exit, exit != 0, e.success == false || exit < 0 {
            s += " \(exit)"
            if exit < 0, exit > -4096, let name = errnoName(Int32(-exit)) { s += " (\(name))" }
        }
        return s
    }

    /// The object of the action, as one short text.
    static func object(_ e: StoredEvent, source: EventSource, fields: [String: String], _ db: Database) throws -> String? {
        var parts: [String] = []
        if let family = e.sockFamily {
            if let a = e.sockAddr, family == 10, let p = e.sockPort {
                parts.append("[\(a)]:\(p)")
            } else if let a = e.sockAddr {
                parts.append(e.sockPort.map { "\(a):\($0)" } ?? a)
            } else {
                parts.append(SocketAddress(family: family).familyName)
            }
        } else if source == .audit {
            let names = try String.fetchAll(db, sql: "SELECT name FROM path_view WHERE event_id = ? AND name IS NOT NULL AND (nametype IS NULL OR nametype <> 'PARENT') ORDER BY item", arguments: [e.id])
            if let first = names.first ?? e.path { parts.append(first) }
            if names.count > 1 { parts.append("(+\(names.count - 1) more)") }
        } else if let path = e.path ?? fields["path"], !path.isEmpty {
            parts.append(path)
        }
        if let target = fields["target_pid"] ?? fields["opid"] {
            parts.append("pid \(target)" + (fields["target_comm"].map { " (\($0))" } ?? fields["ocomm"].map { " (\($0))" } ?? ""))
        }
        if let sig = fields["sig"] { parts.append("sig \(sig)") }
        if let old = fields["old_uid"], let new = fields["new_uid"] { parts.append("uid \(old)→\(new)") }
        if let new = fields["new_euid"], new != fields["new_uid"] { parts.append("euid \(fields["old_euid"] ?? "?")→\(new)") }
        if let fs = fields["fstype"], !fs.isEmpty { parts.append("type \(fs)") }
        if let dev = fields["dev"], !dev.isEmpty { parts.append("dev \(dev)") }
        if let child = fields["child_pid"] { parts.append("child \(child)") }
        if let code = fields["exit_code"] { parts.append("code \(code)") }
        if source != .audit, let cmd = fields["cmd"] { parts.append("cmd \(cmd)" + (fields["type"].map { " type \($0)" } ?? "")) }
        if let mode = fields["mode"], SensorKinds.kind(named: e.types[0])?.name == "LSM_CHMOD" { parts.append("mode \(mode)") }
        if source == .audit, let acct = fields["acct"] { parts.append("acct \(acct)") }
        return parts.isEmpty ? nil : parts.joined(separator: " ")
    }

    static func errnoName(_ n: Int32) -> String? {
        let names: [Int32: String] = [1: "EPERM", 2: "ENOENT", 3: "ESRCH", 4: "EINTR", 5: "EIO", 9: "EBADF", 11: "EAGAIN",
                                      12: "ENOMEM", 13: "EACCES", 14: "EFAULT", 16: "EBUSY", 17: "EEXIST", 20: "ENOTDIR",
                                      21: "EISDIR", 22: "EINVAL", 28: "ENOSPC", 30: "EROFS", 38: "ENOSYS", 95: "EOPNOTSUPP",
                                      98: "EADDRINUSE", 101: "ENETUNREACH", 110: "ETIMEDOUT", 111: "ECONNREFUSED", 115: "EINPROGRESS"]
        return names[n]
    }
}
