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

        public init(text: ClosedRangeOrEmpty, block: ClosedRangeOrEmpty, event: ClosedRangeOrEmpty, coverage: ClosedRangeOrEmpty) {
            self.text = text; self.block = block; self.event = event; self.coverage = coverage
        }
    }

    /// `first...last`, empty when last == first - 1.
    public struct ClosedRangeOrEmpty: Equatable, Sendable {
        public var first: Int64
        public var last: Int64
        public var count: Int64 { last - first + 1 }

        public init(first: Int64, last: Int64) { self.first = first; self.last = last }
    }

    /// The tables a batch covers, in the order the hash reads them.
    public enum Table: String, CaseIterable, Codable, Sendable {
        case text, raw_block, event, path, coverage

        var sql: String {
            switch self {
            case .text: "SELECT * FROM text WHERE id BETWEEN ? AND ? ORDER BY id"
            case .raw_block: "SELECT * FROM raw_block WHERE id BETWEEN ? AND ? ORDER BY id"
            case .event: "SELECT * FROM event WHERE id BETWEEN ? AND ? ORDER BY id"
            case .path: "SELECT * FROM path WHERE event_id BETWEEN ? AND ? ORDER BY event_id, item"
            case .coverage: "SELECT * FROM coverage WHERE id BETWEEN ? AND ? ORDER BY id"
            }
        }

        public func range(in ranges: Ranges) -> ClosedRangeOrEmpty {
            switch self {
            case .text: ranges.text
            case .raw_block: ranges.block
            case .event, .path: ranges.event
            case .coverage: ranges.coverage
            }
        }
    }

    /// One column value with SQLite's storage class, as the hash sees it.
    /// Text is kept as bytes: what SQLite holds, not what a String makes of it.
    public enum Value: Equatable, Sendable {
        case null
        case integer(Int64)
        case real(Double)
        case text([UInt8])
        case blob([UInt8])
    }

    public static func hash(_ db: Database, batchID: Int64, committedMs: Int64, source: String,
                            ranges: Ranges, previous: Data) throws -> Data {
        var sink = Sink()
        try hash(batchID: batchID, committedMs: committedMs, source: source, ranges: ranges, previous: previous,
                 into: &sink) { table, sink in
            try rows(db, table, table.range(in: ranges), into: &sink)
        }
        return sink.finish()
    }

    /// The same hash over rows held outside a database (an evidence export):
    /// `rows[table]` must hold exactly the batch's rows of each table, in order.
    public static func hash(batchID: Int64, committedMs: Int64, source: String, ranges: Ranges, previous: Data,
                            rows: [Table: [[Value]]]) -> Data {
        var sink = Sink()
        hash(batchID: batchID, committedMs: committedMs, source: source, ranges: ranges, previous: previous,
             into: &sink) { table, sink in
            for row in rows[table] ?? [] {
                sink.beginRow()
                for value in row {
                    switch value {
                    case .null: sink.null()
                    case .integer(let v): sink.integer(v)
                    case .real(let v): sink.real(v)
                    case .text(let b): b.withUnsafeBufferPointer { sink.text($0.baseAddress, $0.count) }
                    case .blob(let b): b.withUnsafeBufferPointer { sink.blob($0.baseAddress, $0.count) }
                    }
                }
            }
        }
        return sink.finish()
    }

    /// The same hash over rows the writer encoded as it bound them
    /// (`encoded[table]`: the batch's rows of each table, in order).
    public static func hash(batchID: Int64, committedMs: Int64, source: String, ranges: Ranges, previous: Data,
                            encoded: [Table: RowEncoder]) -> Data {
        var sink = Sink()
        hash(batchID: batchID, committedMs: committedMs, source: source, ranges: ranges, previous: previous,
             into: &sink) { table, sink in
            if let rows = encoded[table] { sink.encoded(rows) }
        }
        return sink.finish()
    }

    /// A batch's rows of `table` as values, for export.
    public static func values(_ db: Database, _ table: Table, ranges: Ranges) throws -> [[Value]] {
        var collector = Collector()
        try rows(db, table, table.range(in: ranges), into: &collector)
        return collector.rows
    }

    private static func hash<S: RowSink>(batchID: Int64, committedMs: Int64, source: String, ranges: Ranges,
                                         previous: Data, into sink: inout S,
                                         tables: (Table, inout S) throws -> Void) rethrows {
        sink.bytes(Array("auditq-batch-v1".utf8))
        sink.bytes(Array(previous))
        for v in [batchID, committedMs, ranges.text.first, ranges.text.last, ranges.block.first, ranges.block.last,
                  ranges.event.first, ranges.event.last, ranges.coverage.first, ranges.coverage.last] {
            sink.int(v)
        }
        sink.bytes(Array(source.utf8))
        for table in Table.allCases {
            sink.int(-1)  // table separator
            if table.range(in: ranges).count > 0 { try tables(table, &sink) }
        }
    }

    private static func rows<S: RowSink>(_ db: Database, _ table: Table, _ range: ClosedRangeOrEmpty,
                                         into sink: inout S) throws {
        guard range.count > 0 else { return }
        let statement = try db.cachedStatement(sql: table.sql)
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
            sink.beginRow()
            for c in 0..<columns {
                switch sqlite3_column_type(s, c) {
                case SQLITE_NULL: sink.null()
                case SQLITE_INTEGER: sink.integer(sqlite3_column_int64(s, c))
                case SQLITE_FLOAT: sink.real(sqlite3_column_double(s, c))
                case SQLITE_TEXT:
                    let n = Int(sqlite3_column_bytes(s, c))
                    sink.text(sqlite3_column_text(s, c), n)
                default:
                    let p = sqlite3_column_blob(s, c)
                    let n = Int(sqlite3_column_bytes(s, c))
                    sink.blob(p?.assumingMemoryBound(to: UInt8.self), n)
                }
            }
        }
    }

    /// What a row walk feeds: the hash, or a collector for export.
    protocol RowSink {
        mutating func int(_ v: Int64)
        mutating func bytes(_ b: [UInt8])
        mutating func beginRow()
        mutating func null()
        mutating func integer(_ v: Int64)
        mutating func real(_ v: Double)
        mutating func text(_ p: UnsafePointer<UInt8>?, _ n: Int)
        mutating func blob(_ p: UnsafePointer<UInt8>?, _ n: Int)
    }

    struct Collector: RowSink {
        var rows: [[Value]] = []
        mutating func int(_ v: Int64) {}
        mutating func bytes(_ b: [UInt8]) {}
        mutating func beginRow() { rows.append([]) }
        mutating func null() { rows[rows.count - 1].append(.null) }
        mutating func integer(_ v: Int64) { rows[rows.count - 1].append(.integer(v)) }
        mutating func real(_ v: Double) { rows[rows.count - 1].append(.real(v)) }
        mutating func text(_ p: UnsafePointer<UInt8>?, _ n: Int) {
            rows[rows.count - 1].append(.text(p.map { Array(UnsafeBufferPointer(start: $0, count: n)) } ?? []))
        }
        mutating func blob(_ p: UnsafePointer<UInt8>?, _ n: Int) {
            rows[rows.count - 1].append(.blob(p.map { Array(UnsafeBufferPointer(start: $0, count: n)) } ?? []))
        }
    }

    /// Rows in the hash's canonical encoding, as bytes: the writer encodes
    /// each row from the values it binds, so a commit hashes what it wrote
    /// without reading it back. The encoding is the one `Sink` hashes when
    /// `verify` reads the rows from the database, so both must agree.
    public struct RowEncoder: RowSink {
        public private(set) var buffer: [UInt8] = []

        public init() {}

        @inline(__always) mutating func tag(_ t: UInt8) { buffer.append(t) }

        // Type tags: the storage class is part of what is hashed.
        mutating func beginRow() { int(-2) }  // row separator
        mutating func null() { tag(0) }
        mutating func integer(_ v: Int64) { tag(1); int(v) }
        mutating func real(_ v: Double) { tag(2); int(Int64(bitPattern: v.bitPattern)) }
        mutating func text(_ p: UnsafePointer<UInt8>?, _ n: Int) { tag(3); raw(p, n) }
        mutating func blob(_ p: UnsafePointer<UInt8>?, _ n: Int) { tag(4); raw(p, n) }

        @inline(__always) mutating func int(_ v: Int64) {
            withUnsafeBytes(of: v.littleEndian) { buffer.append(contentsOf: $0) }
        }

        mutating func bytes(_ b: [UInt8]) {
            int(Int64(b.count))
            buffer.append(contentsOf: b)
        }

        mutating func raw(_ p: UnsafePointer<UInt8>?, _ n: Int) {
            int(Int64(n))
            if let p, n > 0 { buffer.append(contentsOf: UnsafeBufferPointer(start: p, count: n)) }
        }

        // What the writer binds, encoded the way SQLite hands it back.
        mutating func value(_ v: Int64?) { if let v { integer(v) } else { null() } }
        mutating func value(_ v: String?) {
            guard var v else { null(); return }
            v.withUTF8 { text($0.baseAddress, $0.count) }
        }
        mutating func value(_ v: [UInt8]) { v.withUnsafeBufferPointer { text($0.baseAddress, $0.count) } }

        public mutating func removeAll() { buffer.removeAll(keepingCapacity: true) }

        /// Rows encoded apart, appended in order.
        mutating func append(_ rows: RowEncoder) { buffer.append(contentsOf: rows.buffer) }
    }

    /// Buffers small writes, feeds SHA-256 in large chunks.
    struct Sink: RowSink {
        var hasher = SHA256()
        var encoder = RowEncoder()

        mutating func beginRow() { encoder.beginRow(); drain() }
        mutating func null() { encoder.null(); drain() }
        mutating func integer(_ v: Int64) { encoder.integer(v); drain() }
        mutating func real(_ v: Double) { encoder.real(v); drain() }
        mutating func text(_ p: UnsafePointer<UInt8>?, _ n: Int) { encoder.text(p, n); drain() }
        mutating func blob(_ p: UnsafePointer<UInt8>?, _ n: Int) { encoder.blob(p, n); drain() }
        mutating func int(_ v: Int64) { encoder.int(v); drain() }
        mutating func bytes(_ b: [UInt8]) { encoder.bytes(b); drain() }

        /// Rows already encoded.
        mutating func encoded(_ rows: RowEncoder) {
            flush()
            rows.buffer.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        }

        mutating func drain() { if encoder.buffer.count >= 1 << 16 { flush() } }

        mutating func flush() {
            encoder.buffer.withUnsafeBytes { hasher.update(bufferPointer: $0) }
            encoder.removeAll()
        }

        mutating func finish() -> Data {
            flush()
            return Data(hasher.finalize())
        }
    }
}
