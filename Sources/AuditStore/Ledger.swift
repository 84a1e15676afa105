import Foundation
import GRDB

/// The collector's ledger in the coverage table: who collected, from when to
/// when, with which rules, and every loss it could see. Details are JSON so
/// reports and `auditq status` read them without parsing prose.
public enum Ledger {
    /// What a collector run states about itself in its start row.
    public struct Start: Codable, Equatable, Sendable {
        public var version: String
        public var bootID: String
        public var kernel: String
        public var mode: String
        public var pid: Int32
        /// The kernel's `lost` counter when the run began.
        public var lostAtStart: UInt32?
        public var backlogLimit: UInt32?
        public var backlogWaitTime: UInt32?

        public init(version: String, bootID: String, kernel: String, mode: String, pid: Int32,
                    lostAtStart: UInt32? = nil, backlogLimit: UInt32? = nil, backlogWaitTime: UInt32? = nil) {
            self.version = version; self.bootID = bootID; self.kernel = kernel; self.mode = mode; self.pid = pid
            self.lostAtStart = lostAtStart; self.backlogLimit = backlogLimit; self.backlogWaitTime = backlogWaitTime
        }
    }

    /// What a run counted when it stopped.
    public struct Stop: Codable, Equatable, Sendable {
        public var records: Int
        public var events: Int
        public var kernelLost: Int64
        public var socketOverruns: Int64
        public var missingSerials: Int64
        public var reason: String

        public init(records: Int, events: Int, kernelLost: Int64, socketOverruns: Int64, missingSerials: Int64, reason: String) {
            self.records = records; self.events = events; self.kernelLost = kernelLost
            self.socketOverruns = socketOverruns; self.missingSerials = missingSerials; self.reason = reason
        }
    }

    /// A ledger row as stored.
    public struct Row: Sendable {
        public var id: Int64
        public var kind: String
        public var recordedMs: Int64
        public var source: String?
        public var node: String?
        public var firstSerial: Int64?
        public var lastSerial: Int64?
        public var firstTimeMs: Int64?
        public var lastTimeMs: Int64?
        public var count: Int64?
        public var detail: String?

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

    public static func rows(_ db: Database, kinds: [String]) throws -> [Row] {
        let marks = Array(repeating: "?", count: kinds.count).joined(separator: ",")
        return try GRDB.Row.fetchAll(db, sql: """
            SELECT id, kind, recorded_ms, source, node, first_serial, last_serial, first_time_ms, last_time_ms, count, detail
            FROM coverage WHERE kind IN (\(marks)) ORDER BY id
            """, arguments: StatementArguments(kinds)).map { r in
            Row(id: r[0], kind: r[1], recordedMs: r[2], source: r[3], node: r[4], firstSerial: r[5], lastSerial: r[6],
                firstTimeMs: r[7], lastTimeMs: r[8], count: r[9], detail: r[10])
        }
    }

    /// The last collector start of `source` and whether a stop row followed it.
    public static func lastRun(_ store: EventStore, source: String) throws -> (start: Row, stopped: Bool)? {
        try store.pool.read { db in
            let rows = try Ledger.rows(db, kinds: [CoverageRow.collectorStartKind, CoverageRow.collectorStopKind,
                                                  CoverageRow.uncleanStopKind]).filter { $0.source == source }
            guard let start = rows.last(where: { $0.kind == CoverageRow.collectorStartKind }) else { return nil }
            return (start, rows.contains { $0.id > start.id })
        }
    }

    /// The newest row of `kind` written by `source` (by the time it was
    /// recorded, which the index on (kind, first_time_ms) walks backwards).
    public static func lastRow(_ store: EventStore, kind: String, source: String) throws -> Row? {
        try store.pool.read { db in
            try GRDB.Row.fetchOne(db, sql: """
                SELECT id, kind, recorded_ms, source, node, first_serial, last_serial, first_time_ms, last_time_ms, count, detail
                FROM coverage WHERE kind = ? AND source = ? ORDER BY first_time_ms DESC, id DESC LIMIT 1
                """, arguments: [kind, source]).map { r in
                Row(id: r[0], kind: r[1], recordedMs: r[2], source: r[3], node: r[4], firstSerial: r[5], lastSerial: r[6],
                    firstTimeMs: r[7], lastTimeMs: r[8], count: r[9], detail: r[10])
            }
        }
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
