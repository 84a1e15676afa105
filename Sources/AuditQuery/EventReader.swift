import AuditRecords
import AuditStore
import Foundation
import GRDB
import GRDBSQLite

/// Reads events back: the rows a filter selects, in store order, with their
/// raw text from the compressed blocks. Events are read from the `event`
/// table itself (not event_view) and their text ids resolved through a
/// cache, so a value shared by many events (a node, a key, an exe) is read
/// once; blocks come in id order, so each is decompressed once.
public final class EventReader {
    public let store: EventStore
    private var block = BlockCache()
    private let texts = TextCache()
    /// PATH items of the events being delivered (forEach with paths: true), by event id.
    private var prefetchedPaths: [Int64: [PathItem]] = [:]
    private var prefetchedIDs: Set<Int64> = []
    /// Events read ahead before their PATH items are fetched with one query.
    private static let chunk = 512

    public init(store: EventStore) { self.store = store }

    /// The statement selecting `columns` of the events `filter` matches,
    /// oldest id first (the caller keeps it while it steps its C handle).
    private static func select(_ columns: String, _ filter: EventFilter, limit: Int?, _ db: Database) throws -> Statement {
        let (clause, args) = filter.sql()
        var sql = "SELECT \(columns) FROM event e \(clause) ORDER BY e.id"
        if let limit { sql += " LIMIT \(max(0, limit))" }
        let statement = try db.makeStatement(sql: sql)
        try statement.setArguments(args)
        return statement
    }

    /// Calls `body` for each matching event, oldest id first, within one read
    /// transaction. With `paths`, the PATH items of each run of events are
    /// read with one query before `body` sees them (`paths(_:_:)` answers from those).
    public func forEach(_ filter: EventFilter, limit: Int? = nil, paths: Bool = false,
                        _ body: (StoredEvent, Database) throws -> Void) throws {
        try store.pool.read { db in
            let statement = try Self.select(StoredEvent.columns, filter, limit: limit, db)
            let s = statement.sqliteStatement
            defer { withExtendedLifetime(statement) {} }
            var pending: [StoredEvent] = []
            pending.reserveCapacity(Self.chunk)
            func deliver() throws {
                if paths { try prefetchPaths(of: pending, db) }
                for event in pending { try body(event, db) }
                pending.removeAll(keepingCapacity: true)
                prefetchedPaths.removeAll(keepingCapacity: true)
                prefetchedIDs.removeAll(keepingCapacity: true)
            }
            while try Self.step(s, db) {
                guard let event = try StoredEvent(statement: s, texts: texts, db) else { continue }
                pending.append(event)
                if pending.count == Self.chunk { try deliver() }
            }
            try deliver()
        }
    }

    /// Calls `body` with the raw text of each matching event (its records,
    /// each followed by "\n"), oldest id first: only the event's place in its
    /// block is read. The bytes are valid during the call.
    public func forEachRaw(_ filter: EventFilter, limit: Int? = nil,
                           _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        try store.pool.read { db in
            let statement = try Self.select("e.id, e.raw_block, e.raw_offset, e.raw_length", filter, limit: limit, db)
            let s = statement.sqliteStatement
            defer { withExtendedLifetime(statement) {} }
            while try Self.step(s, db) {
                try block.withSlice(event: sqlite3_column_int64(s, 0), block: sqlite3_column_int64(s, 1),
                                    offset: Int(sqlite3_column_int64(s, 2)), length: Int(sqlite3_column_int64(s, 3)),
                                    db, body)
            }
        }
    }

    /// The event's records exactly as read, each followed by "\n".
    public func raw(_ event: StoredEvent, _ db: Database) throws -> ArraySlice<UInt8> {
        try block.slice(event: event.id, block: event.rawBlock, offset: event.rawOffset, length: event.rawLength, db)
    }

    /// Calls `body` with the event's records (as `raw`) without copying them.
    public func withRaw<T>(_ event: StoredEvent, _ db: Database, _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T {
        try block.withSlice(event: event.id, block: event.rawBlock, offset: event.rawOffset, length: event.rawLength, db, body)
    }

    public func paths(_ event: StoredEvent, _ db: Database) throws -> [PathItem] {
        if prefetchedIDs.contains(event.id) { return prefetchedPaths[event.id] ?? [] }
        return try Self.paths(sql: "WHERE event_id = ?", [event.id], texts, db)[event.id] ?? []
    }

    private func prefetchPaths(of events: [StoredEvent], _ db: Database) throws {
        prefetchedPaths.removeAll(keepingCapacity: true)
        prefetchedIDs.removeAll(keepingCapacity: true)
        guard let first = events.first?.id, let last = events.last?.id else { return }
        // Ids in order: one range scan when they are dense, else the list.
        let found: [Int64: [PathItem]]
        if last - first < Int64(events.count) * 4 {
            found = try Self.paths(sql: "WHERE event_id BETWEEN ? AND ?", [first, last], texts, db)
        } else {
            let ids = "[" + events.map { String($0.id) }.joined(separator: ",") + "]"
            found = try Self.paths(sql: "WHERE event_id IN (SELECT value FROM json_each(?))", [ids], texts, db)
        }
        prefetchedPaths = found
        for event in events { prefetchedIDs.insert(event.id) }
    }

    private static func paths(sql clause: String, _ args: StatementArguments, _ texts: TextCache,
                              _ db: Database) throws -> [Int64: [PathItem]] {
        let statement = try db.cachedStatement(
            sql: "SELECT event_id, item, name, inode, mode, nametype, ouid FROM path \(clause) ORDER BY event_id, item")
        try statement.setArguments(args)
        let s = statement.sqliteStatement
        defer { sqlite3_reset(s) }
        var out: [Int64: [PathItem]] = [:]
        while try step(s, db) {
            let item = PathItem(item: sqlite3_column_int64(s, 1), name: try texts.optional(s, 2, db),
                                inode: optionalInt(s, 3), mode: optionalInt(s, 4),
                                nametype: try texts.optional(s, 5, db), ouid: optionalInt(s, 6))
            out[sqlite3_column_int64(s, 0), default: []].append(item)
        }
        return out
    }

    /// One step of a statement: true for a row, false when done.
    static func step(_ s: OpaquePointer, _ db: Database) throws -> Bool {
        switch sqlite3_step(s) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let rc:
            throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
        }
    }

    static func optionalInt(_ s: OpaquePointer, _ column: Int32) -> Int64? {
        sqlite3_column_type(s, column) == SQLITE_NULL ? nil : sqlite3_column_int64(s, column)
    }
}

/// The last block read, decompressed: events are read in id order and a
/// block holds consecutive events, so each block is decompressed once.
struct BlockCache {
    private var id: Int64 = 0
    private var bytes: [UInt8] = []

    mutating func withSlice<T>(event: Int64, block: Int64, offset: Int, length: Int, _ db: Database,
                               _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T {
        try load(block, db)
        guard offset >= 0, length >= 0, offset + length <= bytes.count else {
            throw StoreError.corruptBlock(block: block, reason: "event \(event) lies outside the block")
        }
        return try bytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + length)])) }
    }

    mutating func slice(event: Int64, block: Int64, offset: Int, length: Int, _ db: Database) throws -> ArraySlice<UInt8> {
        try load(block, db)
        guard offset >= 0, length >= 0, offset + length <= bytes.count else {
            throw StoreError.corruptBlock(block: block, reason: "event \(event) lies outside the block")
        }
        return bytes[offset..<(offset + length)]
    }

    private mutating func load(_ block: Int64, _ db: Database) throws {
        guard block != id else { return }
        let statement = try db.cachedStatement(sql: "SELECT raw_size, data FROM raw_block WHERE id = ?")
        let s = statement.sqliteStatement
        sqlite3_reset(s)
        sqlite3_bind_int64(s, 1, block)
        defer { sqlite3_reset(s) }
        guard try EventReader.step(s, db) else { throw StoreError.corruptBlock(block: block, reason: "missing") }
        let size = Int(sqlite3_column_int64(s, 0))
        let data = UnsafeRawBufferPointer(start: sqlite3_column_blob(s, 1), count: Int(sqlite3_column_bytes(s, 1)))
        id = 0
        bytes = try RawCodec.decompress(data, rawSize: size, block: block)
        id = block
    }
}

/// Text ids resolved to their values, each read once per reader.
final class TextCache {
    private var values: [Int64: String] = [:]
    private var lists: [Int64: [String]] = [:]
    private static let limit = 1 << 20

    func value(_ id: Int64, _ db: Database) throws -> String? {
        if let known = values[id] { return known }
        if values.count >= Self.limit { values.removeAll(keepingCapacity: true) }
        let statement = try db.cachedStatement(sql: "SELECT value FROM text WHERE id = ?")
        let s = statement.sqliteStatement
        sqlite3_reset(s)
        sqlite3_bind_int64(s, 1, id)
        defer { sqlite3_reset(s) }
        guard try EventReader.step(s, db) else { return nil }
        let value = String(cString: sqlite3_column_text(s, 0))
        values[id] = value
        return value
    }

    /// The text of a column holding a text id (nil for NULL or an unknown id, as event_view's LEFT JOIN).
    func optional(_ s: OpaquePointer, _ column: Int32, _ db: Database) throws -> String? {
        sqlite3_column_type(s, column) == SQLITE_NULL ? nil : try value(sqlite3_column_int64(s, column), db)
    }

    /// A space-separated list (the record types), split once.
    func list(_ id: Int64, _ db: Database) throws -> [String]? {
        if let known = lists[id] { return known }
        guard let text = try value(id, db) else { return nil }
        let list = text.split(separator: " ").map(String.init)
        lists[id] = list
        return list
    }
}
