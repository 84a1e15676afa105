import AuditRecords
import AuditStore
import Foundation
import GRDB

/// One event of an aureport list report: its time, serial and the report's
/// columns (AureportKind.columns order, values as aureport prints them).
public struct AureportRow: Sendable {
    public var timeMs: Int64
    public var serial: Int64
    public var values: [String]
}

/// `aureport <flag> --summary`: hits per counted object, most first.
public struct AureportTotal: Sendable {
    public var hits: Int
    public var value: String
}

/// The events of an aureport list report, selected with SQL over the store:
/// type-decided reports (auth, login, anomaly, mods, config) classify the few
/// distinct record-type lists once and then select by `event.types` id; the
/// others by the column that decides them. Only bound parameters.
public struct AureportQuery: Sendable {
    public var kind: AureportKind
    public var filter: EventFilter
    public var outcome: ReportOutcome

    public init(kind: AureportKind, filter: EventFilter = EventFilter(), outcome: ReportOutcome = .any) {
        self.kind = kind
        self.filter = filter
        self.outcome = outcome
    }

    /// What aureport reads from an event (ausearch-parse's search items).
    struct Facts {
        var timeMs: Int64
        var serial: Int64
        var headType: String
        var success: Bool?
        var syscall: Int64?
        var pid: Int64?
        var uid: Int64?
        var auid: Int64?
        var comm: String?
        var exe: String?
        var keys: [String]
        var terminal: String?
        var acct: String?
        var hostname: String?
        var addr: String?
        var socketHost: String?
        var files: [(name: String, nametype: String?)]
    }

    /// One row per event, in time order.
    public func rows(_ store: EventStore) throws -> [AureportRow] {
        try facts(store).map { f in AureportRow(timeMs: f.timeMs, serial: f.serial, values: columns(f)) }
    }

    /// The --summary totals.
    public func totals(_ store: EventStore) throws -> [AureportTotal] {
        var hits: [String: Int] = [:]
        for f in try facts(store) {
            for value in summaryValues(f) { hits[value, default: 0] += 1 }
        }
        return hits.map { AureportTotal(hits: $0.value, value: $0.key) }
            .sorted { $0.hits != $1.hits ? $0.hits > $1.hits : $0.value < $1.value }
    }

    // MARK: selection

    func facts(_ store: EventStore) throws -> [Facts] {
        try store.pool.read { db in
            var (clause, args) = filter.sql()
            var terms = clause.isEmpty ? [] : [String(clause.dropFirst("WHERE ".count))]
            switch outcome {
            case .any: break
            case .success: terms.append("e.success = 1")
            case .failed: terms.append("e.success = 0")
            }
            terms.append(try membershipTerm(db, &args))
            let whereSQL = "WHERE " + terms.joined(separator: " AND ")
            let rows = try Row.fetchAll(db, sql: """
                SELECT e.id, e.time_ms, e.serial, ty.value, e.success, coalesce(e.syscall, \(Self.recordSyscall)), e.pid, e.uid, e.auid,
                       co.value, ex.value, k.value, tt.value,
                       json_extract(e.fields, '$.acct'), json_extract(e.fields, '$.hostname'),
                       json_extract(e.fields, '$.addr'), json_extract(e.fields, '$.terminal'),
                       e.sock_family, e.sock_addr, CASE WHEN e.sock_family = 1 THEN (SELECT value FROM text WHERE id = e.path) END,
                       \(Self.recordFile)
                FROM event e
                JOIN text ty ON ty.id = e.types
                LEFT JOIN text co ON co.id = e.comm
                LEFT JOIN text ex ON ex.id = e.exe
                LEFT JOIN text k ON k.id = e.key
                LEFT JOIN text tt ON tt.id = e.tty
                \(whereSQL)
                ORDER BY e.time_ms, e.serial, e.id
                """, arguments: args)
            var paths: [Int64: [(String, String?)]] = [:]
            if kind == .file {
                for row in try Row.fetchAll(db, sql: """
                    SELECT pa.event_id, n.value, nt.value FROM path pa
                    JOIN text n ON n.id = pa.name LEFT JOIN text nt ON nt.id = pa.nametype
                    WHERE pa.event_id IN (SELECT e.id FROM event e \(whereSQL))
                    ORDER BY pa.event_id, pa.item
                    """, arguments: args) {
                    paths[row[0], default: []].append((row[1], row[2]))
                }
            }
            return rows.map { row in
                let id: Int64 = row[0]
                let types: String = row[3]
                let key: String? = row[11]
                var files = (paths[id] ?? []).map { (name: $0.0, nametype: $0.1) }
                // CONFIG_CHANGE, AVC … name their file in the record (before any PATH record).
                if kind == .file, let named: String = row[20], Self.namesAFile(types) {
                    files.insert((named, nil), at: 0)
                }
                // aureport takes a local socket's path for a file name too.
                if let socket: String = row[19] { files.append((socket, nil)) }
                let family: Int64? = row[17]
                return Facts(
                    timeMs: row[1], serial: row[2],
                    headType: types.split(separator: " ").first.map(String.init) ?? "?",
                    success: (row[4] as Int64?).map { $0 == 1 },
                    syscall: row[5], pid: row[6], uid: row[7], auid: row[8],
                    comm: row[9], exe: row[10],
                    keys: key.map { $0.split(separator: "\u{01}").map(String.init).filter { $0 != "(null)" } } ?? [],
                    terminal: (row[16] as String?) ?? (row[12] as String?),
                    acct: row[13], hostname: row[14], addr: row[15],
                    socketHost: family == 2 || family == 10 ? row[18] : nil, files: files)
            }
        }
    }

    /// SECCOMP and other non-SYSCALL records carry syscall= among their fields.
    static let recordSyscall = "CAST(json_extract(e.fields, '$.syscall') AS INTEGER)"

    /// Records that name a file in a field, as aureport's file report reads
    /// them: CONFIG_CHANGE and AVC_PATH `path=` (a watched file replaced:
    /// op=updated_rules), AVC and USER_AVC `path=` or `name=`,
    /// VIRT_RESOURCE `path=` or `new-disk=`.
    static let fileNamingRecords: Set<String> = ["CONFIG_CHANGE", "AVC_PATH", "AVC", "USER_AVC", "VIRT_RESOURCE"]
    static let recordFile = "coalesce(json_extract(e.fields, '$.path'), json_extract(e.fields, '$.name'), json_extract(e.fields, '$.\"new-disk\"'))"

    static func namesAFile(_ types: String) -> Bool {
        types.split(separator: " ").contains { fileNamingRecords.contains(String($0)) }
    }

    /// The SQL term that picks this report's events.
    private func membershipTerm(_ db: Database, _ args: inout StatementArguments) throws -> String {
        switch kind {
        case .user: return "e.uid IS NOT NULL"
        case .executable: return "e.exe IS NOT NULL"
        case .syscall: return "coalesce(e.syscall, \(Self.recordSyscall)) <> 0"
        case .key: return "e.key IS NOT NULL"
        case .file:
            var term = "(EXISTS (SELECT 1 FROM path p WHERE p.event_id = e.id AND p.name IS NOT NULL)"
                + " OR (e.sock_family = 1 AND e.path IS NOT NULL)"
            let naming = try typeLists(db).filter { Self.namesAFile($0.value) }.map(\.id)
            if !naming.isEmpty {
                args += StatementArguments(naming)
                let marks = Array(repeating: "?", count: naming.count).joined(separator: ",")
                term += " OR (e.types IN (\(marks)) AND \(Self.recordFile) IS NOT NULL)"
            }
            return term + ")"
        case .auth, .login, .anomaly, .mods, .config:
            // The distinct record-type lists are few: classify each once.
            var always: [Int64] = [], whenFailed: [Int64] = []
            for row in try typeLists(db) {
                let types = Set(row.value.split(separator: " ").compactMap { AuditNames.recordType(named: String($0)) })
                switch kind.membership(types) {
                case .always: always.append(row.id)
                case .whenFailed: whenFailed.append(row.id)
                case .never, nil: break
                }
            }
            func list(_ ids: [Int64]) -> String {
                args += StatementArguments(ids)
                return Array(repeating: "?", count: ids.count).joined(separator: ",")
            }
            var alternatives: [String] = []
            if !always.isEmpty { alternatives.append("e.types IN (\(list(always)))") }
            if !whenFailed.isEmpty { alternatives.append("(e.types IN (\(list(whenFailed))) AND e.success = 0)") }
            return alternatives.isEmpty ? "0" : "(" + alternatives.joined(separator: " OR ") + ")"
        }
    }

    /// The distinct record-type lists of the stored events (text id, value).
    private func typeLists(_ db: Database) throws -> [(id: Int64, value: String)] {
        try Row.fetchAll(db, sql: "SELECT id, value FROM text WHERE id IN (SELECT DISTINCT types FROM event)")
            .map { (id: $0[0], value: $0[1]) }
    }

    // MARK: columns, as aureport-output.c prints them

    /// Ids as aureport prints them without -i: signed 32-bit ("-1" for
    /// unset, "-2" when the event has no such field).
    static func id(_ v: Int64?) -> String {
        guard let v else { return "-2" }
        return String(v >= 0x8000_0000 && v <= 0xFFFF_FFFF ? v - 0x1_0000_0000 : v)
    }

    static func success(_ s: Bool?) -> String { s.map { $0 ? "yes" : "no" } ?? "unset" }

    /// aureport takes addr= when hostname= is missing or "?".
    static func host(_ f: Facts) -> String {
        if let h = f.hostname, h != "?" { return h }
        return f.addr ?? f.hostname ?? f.socketHost ?? "?"
    }

    /// The file a File Report row names: the first one that is not a PARENT
    /// item when the event has several.
    static func primaryFile(_ f: Facts) -> String {
        if f.files.count > 1, let item = f.files.first(where: { $0.nametype != "PARENT" }) { return item.name }
        return f.files.first?.name ?? ""
    }

    func columns(_ f: Facts) -> [String] {
        let auid = Self.id(f.auid)
        let term = f.terminal ?? "?"
        let host = Self.host(f)
        let exe = f.exe ?? "?"
        let success = Self.success(f.success)
        let serial = String(f.serial)
        switch kind {
        case .auth: return [f.acct ?? Self.id(f.uid), host, term, exe, success, serial]
        case .login: return [f.success == false && f.acct != nil ? f.acct! : auid, host, term, exe, success, serial]
        case .user: return [auid, term, host, exe, serial]
        case .executable: return [exe, term, host, auid, serial]
        case .file: return [Self.primaryFile(f), String(f.syscall ?? 0), success, exe, auid, serial]
        case .syscall: return [f.syscall.map(String.init) ?? "?", f.pid.map(String.init) ?? "?", f.comm ?? "?", auid, serial]
        case .key: return [f.keys.first ?? "?", success, exe, auid, serial]
        case .anomaly: return [f.headType, f.exe ?? f.comm ?? "?", term, host, auid, serial]
        case .mods: return [auid, host, term, exe, f.acct ?? "?", success, serial]
        case .config: return [f.headType, auid, success, serial]
        }
    }

    /// What one event adds to the --summary totals (aureport-scan.c
    /// per_event_summary): users by acct when the event has no auid.
    func summaryValues(_ f: Facts) -> [String] {
        let who = f.auid == nil && f.acct != nil ? f.acct! : Self.id(f.auid)
        switch kind {
        case .auth, .login: return [who]
        case .user: return f.auid == nil ? [] : [Self.id(f.auid)]
        case .executable: return f.exe.map { [$0] } ?? []
        case .file: return f.files.map(\.name)
        case .syscall: return (f.syscall ?? 0) > 0 ? [String(f.syscall!)] : []
        case .key: return f.keys
        case .anomaly, .mods, .config:
            return [AuditNames.recordType(named: f.headType).map { String($0) } ?? f.headType]
        }
    }
}
