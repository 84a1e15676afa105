import Foundation
import GRDB

/// The ledger in the coverage table: who collected, from when to when, with
/// which rules, and every loss it could see. Each kind of row is a case of
/// `Ledger.Kind`; its JSON detail, when it has one, is a `LedgerPayload`, so
/// reports and `auditq status` read them through the types that wrote them.
public enum Ledger {
    /// A ledger row as stored.
    public struct Row: Sendable {
        public var id: Int64
        public var kind: Kind
        public var recordedMs: Int64
        public var source: String?
        public var node: String?
        public var firstSerial: Int64?
        public var lastSerial: Int64?
        public var firstTimeMs: Int64?
        public var lastTimeMs: Int64?
        public var count: Int64?
        public var detail: String?

        /// When the fact happened: the row's first time, else when it was written.
        public var timeMs: Int64 { firstTimeMs ?? recordedMs }

        /// The row's payload, or nil when the row is of another kind or its
        /// detail does not decode.
        public func payload<P: LedgerPayload>(_ type: P.Type) -> P? {
            guard kind == P.kind else { return nil }
            return decode(P.self)
        }

        /// The detail decoded as any JSON shape (tests read rows this way, to
        /// check the stored format apart from the types that write it).
        public func decode<T: Decodable>(_ type: T.Type) -> T? {
            guard let detail else { return nil }
            return try? JSONDecoder().decode(T.self, from: Data(detail.utf8))
        }
    }

    public static func encode<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(value)) ?? Data("{}".utf8), as: UTF8.self)
    }

    private static let columns = "id, kind, recorded_ms, source, node, first_serial, last_serial, first_time_ms, last_time_ms, count, detail"

    private static func row(_ r: GRDB.Row) -> Row? {
        guard let kind = Kind(rawValue: r[1]) else { return nil }
        return Row(id: r[0], kind: kind, recordedMs: r[2], source: r[3], node: r[4], firstSerial: r[5], lastSerial: r[6],
                   firstTimeMs: r[7], lastTimeMs: r[8], count: r[9], detail: r[10])
    }

    /// Every row of `kinds`, oldest first.
    public static func rows(_ db: Database, kinds: [Kind]) throws -> [Row] {
        let marks = Array(repeating: "?", count: kinds.count).joined(separator: ",")
        return try GRDB.Row.fetchAll(db, sql: "SELECT \(columns) FROM coverage WHERE kind IN (\(marks)) ORDER BY id",
                                     arguments: StatementArguments(kinds.map(\.rawValue))).compactMap(row)
    }

    /// Every row of `kinds` whose span (first to last time; the time it was
    /// recorded when it has none) meets the window
    /// from `start` to `end` (ms, both included), oldest first.
    public static func rows(_ db: Database, kinds: [Kind], from start: Int64, to end: Int64) throws -> [Row] {
        let marks = Array(repeating: "?", count: kinds.count).joined(separator: ",")
        return try GRDB.Row.fetchAll(db, sql: """
            SELECT \(columns) FROM coverage WHERE kind IN (\(marks))
              AND COALESCE(first_time_ms, recorded_ms) <= ? AND COALESCE(last_time_ms, first_time_ms, recorded_ms) >= ? ORDER BY id
            """, arguments: StatementArguments(kinds.map(\.rawValue) + [end, start])).compactMap(row)
    }

    /// Every row of `kinds` whose detail names this boot (`bootID`), oldest first.
    public static func rows(_ db: Database, kinds: [Kind], bootID: String) throws -> [Row] {
        let marks = Array(repeating: "?", count: kinds.count).joined(separator: ",")
        return try GRDB.Row.fetchAll(db, sql: """
            SELECT \(columns) FROM coverage WHERE kind IN (\(marks)) AND json_extract(detail, '$.bootID') = ? ORDER BY id
            """, arguments: StatementArguments(kinds.map(\.rawValue) + [bootID])).compactMap(row)
    }

    /// The last collector run of `source`, whether or not it ended.
    public static func lastRun(_ store: EventStore, source: String) throws -> Run? {
        try store.pool.read { db in
            try history(db, isRunning: { _ in false }).runs.last { $0.source == source }
        }
    }

    /// The newest row of `kind` written by `source` (by the time it was
    /// recorded, which the index on (kind, first_time_ms) walks backwards).
    public static func lastRow(_ store: EventStore, kind: Kind, source: String) throws -> Row? {
        try store.pool.read { db in
            try GRDB.Row.fetchOne(db, sql: """
                SELECT \(columns) FROM coverage WHERE kind = ? AND source = ? ORDER BY first_time_ms DESC, id DESC LIMIT 1
                """, arguments: [kind.rawValue, source]).flatMap(row)
        }
    }

    /// The newest payload of `P`'s kind written by `source`.
    public static func last<P: LedgerPayload>(_ type: P.Type, in store: EventStore, source: String) throws -> P? {
        try lastRow(store, kind: P.kind, source: source)?.payload(P.self)
    }

    /// The highest serial stored for `node` stamped at or after `sinceMs`:
    /// where numbering stood in this boot before a restart.
    public static func lastSerial(_ store: EventStore, node: String, sinceMs: Int64) throws -> Int64? {
        try store.pool.read { db in
            guard let nodeID = try Int64.fetchOne(db, sql: "SELECT id FROM text WHERE value = ?", arguments: [node]) else {
                return nil
            }
            // Walks the identity index from the highest serial down.
            return try Int64.fetchOne(db, sql: """
                SELECT serial FROM event WHERE node = ? AND time_ms >= ? ORDER BY serial DESC LIMIT 1
                """, arguments: [nodeID, sinceMs])
        }
    }
}
