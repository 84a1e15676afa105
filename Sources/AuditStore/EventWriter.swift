import AuditRecords
import Foundation
import GRDB
import GRDBSQLite

/// The one writer of a store. Each `commit` is one SQLite transaction and one
/// link of the hash chain: events (duplicates by identity skipped), their
/// PATH items, new text values, compressed raw blocks and coverage rows, then
/// the batch row that hashes all of them. A failed commit leaves nothing.
public final class EventWriter {
    public struct BatchResult: Sendable {
        public var batchID: Int64?
        public var inserted: Int
        public var duplicates: Int
    }

    public let store: EventStore
    private var state: State?
    /// Events per raw block: small enough that one search hit decompresses little.
    static let blockEvents = 128
    static let blockBytes = 256 * 1024

    struct State {
        var nextText: Int64
        var nextBlock: Int64
        var nextEvent: Int64
        var nextCoverage: Int64
        var nextBatch: Int64
        var lastHash: Data
        var texts: [String: Int64]
        var typeLists: [[Int32]: Int64]
    }

    public init(store: EventStore) { self.store = store }

    public func commit(events: [AuditEvent], coverage: [CoverageRow] = [], source: String) throws -> BatchResult {
        do {
            var result = BatchResult(batchID: nil, inserted: 0, duplicates: 0)
            var committed: State?
            try store.pool.write { db in
                let start: State
                if let cached = self.state, try Self.isCurrent(cached, db) { start = cached } else { start = try Self.loadState(db) }
                var batch = try BatchWriter(db: db, state: start)
                try batch.insert(events)
                try batch.insert(coverage)
                result.inserted = batch.inserted
                result.duplicates = events.count - batch.inserted
                if batch.inserted == 0 && coverage.isEmpty {
                    // Nothing new: roll back any text rows looked up on the way.
                    throw Rollback()
                }
                result.batchID = try batch.seal(start: start, source: source)
                committed = batch.state
            }
            state = committed
            if let id = result.batchID, let hash = state?.lastHash { writeHead(batch: id, hash: hash) }
            return result
        } catch is Rollback {
            return BatchResult(batchID: nil, inserted: 0, duplicates: events.count)
        } catch let error as DatabaseError {
            state = nil
            throw EventStore.translate(error, path: store.path)
        } catch {
            state = nil
            throw error
        }
    }

    private struct Rollback: Error {}

    /// Another process (a second import, the collector) may have committed
    /// since: every commit adds a batch row, so the last batch id tells.
    static func isCurrent(_ state: State, _ db: Database) throws -> Bool {
        (try Int64.fetchOne(db, sql: "SELECT max(id) FROM batch") ?? 0) == state.nextBatch - 1
    }

    static func loadState(_ db: Database) throws -> State {
        func next(_ sql: String) throws -> Int64 { (try Int64.fetchOne(db, sql: sql) ?? 0) + 1 }
        var texts: [String: Int64] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT id, value FROM text")
        while let row = try rows.next() { texts[row[1]] = row[0] }
        let lastHash = try Data.fetchOne(db, sql: "SELECT hash FROM batch ORDER BY id DESC LIMIT 1") ?? ChainHasher.genesis
        return State(nextText: try next("SELECT max(id) FROM text"),
                     nextBlock: try next("SELECT max(id) FROM raw_block"),
                     nextEvent: try next("SELECT max(id) FROM event"),
                     nextCoverage: try next("SELECT max(id) FROM coverage"),
                     nextBatch: try next("SELECT max(id) FROM batch"),
                     lastHash: lastHash, texts: texts, typeLists: [:])
    }

    /// Best effort: the store is the record; the head file only lets verify
    /// notice batches cut off the end.
    private func writeHead(batch: Int64, hash: Data) {
        let path = StorePath.headFile(for: store.path)
        let text = "auditq chain head\nbatch \(batch)\nhash \(hash.map { String(format: "%02x", $0) }.joined())\n"
        let tmp = path + ".tmp"
        if FileManager.default.createFile(atPath: tmp, contents: Data(text.utf8), attributes: [.posixPermissions: 0o640]) {
            _ = rename(tmp, path)
        }
    }
}

/// The work of one transaction. Statements are GRDB's cached statements,
/// bound through the C API in the hot loop.
private struct BatchWriter {
    let db: Database
    var state: EventWriter.State
    var inserted = 0
    private var block: [UInt8] = []
    private var eventsInBlock = 0
    private let insertEvent: SQLiteStatement
    private let insertPath: SQLiteStatement
    private let insertText: SQLiteStatement
    private let insertBlock: SQLiteStatement
    private let insertCoverage: SQLiteStatement
    /// Each table's inserted rows in the chain hash's encoding, made from the
    /// bound values as they are written.
    private var encodedText = ChainHasher.RowEncoder()
    private var encodedBlock = ChainHasher.RowEncoder()
    private var encodedEvent = ChainHasher.RowEncoder()
    private var encodedPath = ChainHasher.RowEncoder()
    private var encodedCoverage = ChainHasher.RowEncoder()

    init(db: Database, state: EventWriter.State) throws {
        self.db = db
        self.state = state
        insertEvent = try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO event (id, node, time_ms, serial, part, types, records, arch, syscall, success, exit,
              pid, ppid, uid, euid, gid, auid, ses, tty, comm, exe, key, path, cwd, argv, sock_family, sock_addr,
              sock_port, fields, raw_block, raw_offset, raw_length)
            VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
            """).sqliteStatement
        insertPath = try db.cachedStatement(sql:
            "INSERT OR IGNORE INTO path (event_id, item, name, inode, mode, nametype, ouid) VALUES (?,?,?,?,?,?,?)").sqliteStatement
        insertText = try db.cachedStatement(sql: "INSERT INTO text (id, value) VALUES (?, ?)").sqliteStatement
        insertBlock = try db.cachedStatement(sql:
            "INSERT INTO raw_block (id, codec, raw_size, data) VALUES (?, ?, ?, ?)").sqliteStatement
        insertCoverage = try db.cachedStatement(sql: """
            INSERT INTO coverage (id, kind, recorded_ms, source, node, first_serial, last_serial, first_time_ms,
              last_time_ms, count, detail) VALUES (?,?,?,?,?,?,?,?,?,?,?)
            """).sqliteStatement
    }

    mutating func insert(_ events: [AuditEvent]) throws {
        for e in events { try insert(e) }
        try flushBlock()
    }

    private mutating func insert(_ e: AuditEvent) throws {
        let s = insertEvent
        let id = state.nextEvent
        let types = try typeList(e.recordTypes)
        let node = e.node.isEmpty ? 0 : try text(e.node)
        let success = e.success.map { $0 ? Int64(1) : 0 }
        let tty = try text(e.tty), comm = try text(e.comm), exe = try text(e.exe), key = try text(e.key)
        let path = try text(e.primaryPath), cwd = try text(e.cwd)
        let argv = e.argv.map(JSONText.array)
        let fields = e.fields.isEmpty ? nil : JSONText.object(e.fields)
        let block = state.nextBlock, offset = Int64(self.block.count), length = Int64(e.raw.count)
        sqlite3_bind_int64(s, 1, id)
        sqlite3_bind_int64(s, 2, node)
        sqlite3_bind_int64(s, 3, e.timeMs)
        sqlite3_bind_int64(s, 4, e.serial)
        sqlite3_bind_int64(s, 5, e.part)
        sqlite3_bind_int64(s, 6, types)
        sqlite3_bind_int64(s, 7, Int64(e.recordTypes.count))
        bind(s, 8, e.arch)
        bind(s, 9, e.syscall)
        bind(s, 10, success)
        bind(s, 11, e.exit)
        bind(s, 12, e.pid)
        bind(s, 13, e.ppid)
        bind(s, 14, e.uid)
        bind(s, 15, e.euid)
        bind(s, 16, e.gid)
        bind(s, 17, e.auid)
        bind(s, 18, e.ses)
        bind(s, 19, tty)
        bind(s, 20, comm)
        bind(s, 21, exe)
        bind(s, 22, key)
        bind(s, 23, path)
        bind(s, 24, cwd)
        bind(s, 25, argv)
        bind(s, 26, e.sockaddr?.family)
        bind(s, 27, e.sockaddr?.address)
        bind(s, 28, e.sockaddr?.port)
        bind(s, 29, fields)
        sqlite3_bind_int64(s, 30, block)
        sqlite3_bind_int64(s, 31, offset)
        sqlite3_bind_int64(s, 32, length)
        try step(s)
        guard sqlite3_changes(db.sqliteConnection) == 1 else { return }

        // The row as `SELECT * FROM event` returns it, column by column.
        var r = ChainHasher.RowEncoder()
        r.beginRow()
        r.integer(id); r.integer(node); r.integer(e.timeMs); r.integer(e.serial); r.integer(e.part)
        r.integer(types); r.integer(Int64(e.recordTypes.count))
        r.value(e.arch); r.value(e.syscall); r.value(success); r.value(e.exit)
        r.value(e.pid); r.value(e.ppid); r.value(e.uid); r.value(e.euid); r.value(e.gid); r.value(e.auid); r.value(e.ses)
        r.value(tty); r.value(comm); r.value(exe); r.value(key); r.value(path); r.value(cwd)
        r.value(argv); r.value(e.sockaddr?.family); r.value(e.sockaddr?.address); r.value(e.sockaddr?.port)
        r.value(fields); r.integer(block); r.integer(offset); r.integer(length)
        encodedEvent.append(r)

        state.nextEvent += 1
        inserted += 1
        if !e.paths.isEmpty { try insertPaths(e.paths, eventID: id) }
        self.block.append(contentsOf: e.raw)
        eventsInBlock += 1
        if eventsInBlock >= EventWriter.blockEvents || self.block.count >= EventWriter.blockBytes { try flushBlock() }
    }

    /// PATH items in item order, the first of a repeated item kept, as the
    /// table's primary key orders and keeps them.
    private mutating func insertPaths(_ items: [PathItem], eventID: Int64) throws {
        var sorted = items
        if !zip(items, items.dropFirst()).allSatisfy({ $0.item < $1.item }) {
            sorted = items.enumerated().sorted { ($0.element.item, $0.offset) < ($1.element.item, $1.offset) }.map(\.element)
        }
        var last: Int64?
        for item in sorted where item.item != last {
            last = item.item
            let name = try text(item.name), nametype = try text(item.nametype)
            let p = insertPath
            sqlite3_bind_int64(p, 1, eventID)
            sqlite3_bind_int64(p, 2, item.item)
            bind(p, 3, name)
            bind(p, 4, item.inode)
            bind(p, 5, item.mode)
            bind(p, 6, nametype)
            bind(p, 7, item.ouid)
            try step(p)
            encodedPath.beginRow()
            encodedPath.integer(eventID); encodedPath.integer(item.item); encodedPath.value(name)
            encodedPath.value(item.inode); encodedPath.value(item.mode); encodedPath.value(nametype); encodedPath.value(item.ouid)
        }
    }

    mutating func insert(_ rows: [CoverageRow]) throws {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        for row in rows {
            let s = insertCoverage
            sqlite3_bind_int64(s, 1, state.nextCoverage)
            bind(s, 2, row.kind.rawValue)
            sqlite3_bind_int64(s, 3, now)
            bind(s, 4, row.source)
            bind(s, 5, row.node)
            bind(s, 6, row.firstSerial)
            bind(s, 7, row.lastSerial)
            bind(s, 8, row.firstTimeMs)
            bind(s, 9, row.lastTimeMs)
            bind(s, 10, row.count)
            bind(s, 11, row.detail)
            try step(s)
            var r = ChainHasher.RowEncoder()
            r.beginRow()
            r.integer(state.nextCoverage); r.value(row.kind.rawValue); r.integer(now); r.value(row.source); r.value(row.node)
            r.value(row.firstSerial); r.value(row.lastSerial); r.value(row.firstTimeMs); r.value(row.lastTimeMs)
            r.value(row.count); r.value(row.detail)
            encodedCoverage.append(r)
            state.nextCoverage += 1
        }
    }

    /// Writes the batch row over everything inserted since `start`; returns its id.
    mutating func seal(start: EventWriter.State, source: String) throws -> Int64 {
        let ranges = ChainHasher.Ranges(
            text: .init(first: start.nextText, last: state.nextText - 1),
            block: .init(first: start.nextBlock, last: state.nextBlock - 1),
            event: .init(first: start.nextEvent, last: state.nextEvent - 1),
            coverage: .init(first: start.nextCoverage, last: state.nextCoverage - 1))
        let id = state.nextBatch
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let hash = ChainHasher.hash(batchID: id, committedMs: now, source: source, ranges: ranges,
                                    previous: state.lastHash,
                                    encoded: [.text: encodedText, .raw_block: encodedBlock, .event: encodedEvent,
                                              .path: encodedPath, .coverage: encodedCoverage])
        try db.execute(sql: """
            INSERT INTO batch (id, committed_ms, source, first_text, last_text, first_block, last_block,
              first_event, last_event, first_coverage, last_coverage, prev_hash, hash)
            VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)
            """, arguments: [id, now, source, ranges.text.first, ranges.text.last, ranges.block.first,
                             ranges.block.last, ranges.event.first, ranges.event.last, ranges.coverage.first,
                             ranges.coverage.last, state.lastHash, hash])
        state.lastHash = hash
        state.nextBatch += 1
        return id
    }

    private mutating func flushBlock() throws {
        guard eventsInBlock > 0 else { return }
        let compressed = RawCodec.compress(block)
        let s = insertBlock
        sqlite3_bind_int64(s, 1, state.nextBlock)
        sqlite3_bind_text(s, 2, RawCodec.name, -1, SQLITE_TRANSIENT)
        sqlite3_bind_int64(s, 3, Int64(block.count))
        _ = compressed.withUnsafeBytes { sqlite3_bind_blob(s, 4, $0.baseAddress, Int32($0.count), SQLITE_TRANSIENT) }
        try step(s)
        encodedBlock.beginRow()
        encodedBlock.integer(state.nextBlock)
        encodedBlock.value(RawCodec.name)
        encodedBlock.integer(Int64(block.count))
        compressed.withUnsafeBytes { encodedBlock.blob($0.baseAddress?.assumingMemoryBound(to: UInt8.self), $0.count) }
        state.nextBlock += 1
        block.removeAll(keepingCapacity: true)
        eventsInBlock = 0
    }

    private mutating func text(_ value: String) throws -> Int64 {
        if let id = state.texts[value] { return id }
        let id = state.nextText
        sqlite3_bind_int64(insertText, 1, id)
        bind(insertText, 2, value)
        try step(insertText)
        encodedText.beginRow()
        encodedText.integer(id)
        encodedText.value(value)
        state.nextText += 1
        state.texts[value] = id
        return id
    }

    private mutating func text(_ value: String?) throws -> Int64? {
        guard let value else { return nil }
        return try text(value) as Int64
    }

    private mutating func typeList(_ types: [Int32]) throws -> Int64 {
        if let id = state.typeLists[types] { return id }
        let id = try text(types.map(AuditNames.recordType).joined(separator: " "))
        state.typeLists[types] = id
        return id
    }

    private func step(_ s: SQLiteStatement) throws {
        let rc = sqlite3_step(s)
        sqlite3_reset(s)
        guard rc == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: rc),
                                message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
        }
    }
}

let SQLITE_TRANSIENT = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

@inline(__always)
private func bind(_ s: SQLiteStatement, _ i: Int32, _ v: Int64?) {
    if let v { sqlite3_bind_int64(s, i, v) } else { sqlite3_bind_null(s, i) }
}

/// Binds with the byte count, so a decoded value holding a NUL byte is
/// stored whole rather than cut at the NUL.
@inline(__always)
private func bind(_ s: SQLiteStatement, _ i: Int32, _ v: String?) {
    guard var v else { sqlite3_bind_null(s, i); return }
    v.withUTF8 { utf8 in
        if let base = utf8.baseAddress {
            sqlite3_bind_text(s, i, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), Int32(utf8.count), SQLITE_TRANSIENT)
        } else {
            sqlite3_bind_text(s, i, "", 0, SQLITE_TRANSIENT)
        }
    }
}
