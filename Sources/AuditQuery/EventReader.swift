import AuditRecords
import AuditStore
import Foundation
import GRDB

/// Reads events back: the rows a filter selects, in store order, with their
/// raw text from the compressed blocks (each block decompressed once).
public final class EventReader {
    public let store: EventStore
    private var cachedBlock: (id: Int64, bytes: [UInt8])?

    public init(store: EventStore) { self.store = store }

    /// Calls `body` for each matching event, oldest id first, within one read transaction.
    public func forEach(_ filter: EventFilter, limit: Int? = nil,
                        _ body: (StoredEvent, Database) throws -> Void) throws {
        let (clause, args) = filter.sql()
        var sql = "SELECT v.* FROM event e JOIN event_view v ON v.id = e.id \(clause) ORDER BY e.id"
        if let limit { sql += " LIMIT \(max(0, limit))" }
        try store.pool.read { db in
            let rows = try Row.fetchCursor(db, sql: sql, arguments: args)
            while let row = try rows.next() { try body(StoredEvent(row: row), db) }
        }
    }

    /// The event's records exactly as read, each followed by "\n".
    public func raw(_ event: StoredEvent, _ db: Database) throws -> ArraySlice<UInt8> {
        if cachedBlock?.id != event.rawBlock {
            guard let row = try Row.fetchOne(db, sql: "SELECT raw_size, data FROM raw_block WHERE id = ?",
                                             arguments: [event.rawBlock]) else {
                throw StoreError.corruptBlock(block: event.rawBlock, reason: "missing")
            }
            let size: Int = row["raw_size"]
            let data: Data = row["data"]
            let bytes = try data.withUnsafeBytes { try RawCodec.decompress($0, rawSize: size, block: event.rawBlock) }
            cachedBlock = (event.rawBlock, bytes)
        }
        let bytes = cachedBlock!.bytes
        guard event.rawOffset + event.rawLength <= bytes.count else {
            throw StoreError.corruptBlock(block: event.rawBlock, reason: "event \(event.id) lies outside the block")
        }
        return bytes[event.rawOffset..<(event.rawOffset + event.rawLength)]
    }

    public func paths(_ event: StoredEvent, _ db: Database) throws -> [PathItem] {
        try Row.fetchAll(db, sql: "SELECT * FROM path_view WHERE event_id = ? ORDER BY item", arguments: [event.id]).map {
            PathItem(item: $0["item"], name: $0["name"], inode: $0["inode"], mode: $0["mode"],
                     nametype: $0["nametype"], ouid: $0["ouid"])
        }
    }
}
