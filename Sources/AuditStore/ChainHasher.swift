import Crypto
import Foundation
import GRDB
import GRDBSQLite

/// The batch hash: SHA-256 over the previous hash, the batch's own metadata
/// and every row the batch covers, read back from the database column by
/// column with type tags. The writer and `verify` both call this one
/// function, so they cannot disagree about what a batch contains.
public enum ChainHasher {
    public static let genesis = Data(repeating: 0, count: 32)

    public struct Ranges: Equatable, Sendable {
        public var text: ClosedRangeOrEmpty
        public var block: ClosedRangeOrEmpty
        public var event: ClosedRangeOrEmpty
        public var coverage: ClosedRangeOrEmpty
    }

    /// `first...last`, empty when last == first - 1.
    public struct ClosedRangeOrEmpty: Equatable, Sendable {
        public var first: Int64
        public var last: Int64
        public var count: Int64 { last - first + 1 }
    }

    public static func hash(_ db: Database, batchID: Int64, committedMs: Int64, source: String,
                            ranges: Ranges, previous: Data) throws -> Data {
        var sink = Sink()
        sink.bytes(Array("auditq-batch-v1".utf8))
        sink.bytes(Array(previous))
        for v in [batchID, committedMs, ranges.text.first, ranges.text.last, ranges.block.first, ranges.block.last,
                  ranges.event.first, ranges.event.last, ranges.coverage.first, ranges.coverage.last] {
            sink.int(v)
        }
        sink.bytes(Array(source.utf8))
        try rows(db, "SELECT * FROM text WHERE id BETWEEN ? AND ? ORDER BY id", ranges.text, into: &sink)
        try rows(db, "SELECT * FROM raw_block WHERE id BETWEEN ? AND ? ORDER BY id", ranges.block, into: &sink)
        try rows(db, "SELECT * FROM event WHERE id BETWEEN ? AND ? ORDER BY id", ranges.event, into: &sink)
        try rows(db, "SELECT * FROM path WHERE event_id BETWEEN ? AND ? ORDER BY event_id, item", ranges.event, into: &sink)
        try rows(db, "SELECT * FROM coverage WHERE id BETWEEN ? AND ? ORDER BY id", ranges.coverage, into: &sink)
        return sink.finish()
    }

    private static func rows(_ db: Database, _ sql: String, _ range: ClosedRangeOrEmpty, into sink: inout Sink) throws {
        sink.int(-1)  // table separator
        guard range.count > 0 else { return }
        let statement = try db.cachedStatement(sql: sql)
        let s = statement.sqliteStatement
        sqlite3_reset(s)
        sqlite3_bind_int64(s, 1, range.first)
        sqlite3_bind_int64(s, 2, range.last)
        defer { sqlite3_reset(s) }
        let columns = sqlite3_column_count(s)
        while true {
            let rc = sqlite3_step(s)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else {
                throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
            }
            sink.int(-2)  // row separator
            for c in 0..<columns {
                switch sqlite3_column_type(s, c) {
                case SQLITE_NULL: sink.tag(0)
                case SQLITE_INTEGER: sink.tag(1); sink.int(sqlite3_column_int64(s, c))
                case SQLITE_FLOAT: sink.tag(2); sink.int(Int64(bitPattern: sqlite3_column_double(s, c).bitPattern))
                case SQLITE_TEXT:
                    sink.tag(3)
                    let n = Int(sqlite3_column_bytes(s, c))
                    sink.raw(sqlite3_column_text(s, c), n)
                default:
                    sink.tag(4)
                    let p = sqlite3_column_blob(s, c)
                    let n = Int(sqlite3_column_bytes(s, c))
                    sink.raw(p?.assumingMemoryBound(to: UInt8.self), n)
                }
            }
        }
    }

    /// Buffers small writes, feeds SHA-256 in large chunks.
    struct Sink {
        var hasher = SHA256()
        var buffer: [UInt8] = []

        init() { buffer.reserveCapacity(1 << 16) }

        mutating func tag(_ t: UInt8) { buffer.append(t) }

        mutating func int(_ v: Int64) {
            withUnsafeBytes(of: v.littleEndian) { buffer.append(contentsOf: $0) }
            drain()
        }

        mutating func bytes(_ b: [UInt8]) {
            int(Int64(b.count))
            buffer.append(contentsOf: b)
            drain()
        }

        mutating func raw(_ p: UnsafePointer<UInt8>?, _ n: Int) {
            int(Int64(n))
            if let p, n > 0 {
                if n > 4096 {
                    flush()
                    hasher.update(bufferPointer: UnsafeRawBufferPointer(start: p, count: n))
                } else {
                    buffer.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
                }
            }
            drain()
        }

        mutating func drain() { if buffer.count >= 1 << 16 { flush() } }

        mutating func flush() {
            buffer.withUnsafeBytes { hasher.update(bufferPointer: $0) }
            buffer.removeAll(keepingCapacity: true)
        }

        mutating func finish() -> Data {
            flush()
            return Data(hasher.finalize())
        }
    }
}
