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

    /// At most this many stored identities are read to find a batch's
    /// duplicates; past it each event is looked up alone.
    let prefetchLimit: Int

    public init(store: EventStore, prefetchLimit: Int = 65_536) {
        self.store = store
        self.prefetchLimit = prefetchLimit
    }

    public func commit(events: [AuditEvent], coverage: [CoverageRow] = [], source: String) throws -> BatchResult {
        do {
            var result = BatchResult(batchID: nil, inserted: 0, duplicates: 0)
            var committed: State?
            try store.pool.write { db in
                let start: State
                if let cached = self.state, try Self.isCurrent(cached, db) { start = cached } else { start = try Self.loadState(db) }
                var batch = try BatchWriter(db: db, state: start, prefetchLimit: self.prefetchLimit)
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
    let prefetchLimit: Int
    var state: EventWriter.State
    var inserted = 0
    private var block: [UInt8] = []
    private var eventsInBlock = 0
    private var pendingPaths: [PathRow] = []
    private var insertEvent: RowInsert
    private var insertPath: RowInsert
    private var insertText: RowInsert
    private var insertBlock: RowInsert
    private var insertCoverage: RowInsert
    /// Each table's inserted rows in the chain hash's encoding, made from the
    /// bound values as they are written.
    private var encodedText = ChainHasher.RowEncoder()
    private var encodedBlock = ChainHasher.RowEncoder()
    private var encodedEvent = ChainHasher.RowEncoder()
    private var encodedPath = ChainHasher.RowEncoder()
    private var encodedCoverage = ChainHasher.RowEncoder()

    init(db: Database, state: EventWriter.State, prefetchLimit: Int) throws {
        self.db = db
        self.state = state
        self.prefetchLimit = prefetchLimit
        insertEvent = try RowInsert(db, "INSERT OR FAIL INTO event", columns: """
            id, node, time_ms, serial, part, types, records, arch, syscall, success, exit,
            pid, ppid, uid, euid, gid, auid, ses, tty, comm, exe, key, path, cwd, argv, sock_family, sock_addr,
            sock_port, fields, raw_block, raw_offset, raw_length
            """, chunked: true)
        insertPath = try RowInsert(db, "INSERT OR FAIL INTO path", columns: "event_id, item, name, inode, mode, nametype, ouid",
                                   chunked: true)
        insertText = try RowInsert(db, "INSERT OR FAIL INTO text", columns: "id, value")
        insertBlock = try RowInsert(db, "INSERT OR FAIL INTO raw_block", columns: "id, codec, raw_size, data")
        insertCoverage = try RowInsert(db, "INSERT OR FAIL INTO coverage", columns: """
            id, kind, recorded_ms, source, node, first_serial, last_serial, first_time_ms, last_time_ms, count, detail
            """)
    }

    mutating func insert(_ events: [AuditEvent]) throws {
        // Duplicates are skipped, the first kept: rows already stored (a
        // re-import, an overlapping rotated file, a batch sharing a
        // millisecond with the last) and repeats within the batch.
        let stored = try storedIdentities(spanning: events)
        var seen = stored ?? []
        seen.reserveCapacity(seen.count + events.count)
        var pending: [(index: Int, ids: TextIDs, id: Int64)] = []
        pending.reserveCapacity(RowInsert.chunkRows)
        for (index, e) in events.enumerated() {
            let ids = try textIDs(e)
            let identity = Identity(serial: e.serial, timeMs: e.timeMs, node: ids.node, types: ids.types, part: e.part)
            guard seen.insert(identity).inserted else { continue }
            if stored == nil, try isStored(identity) { continue }
            let id = state.nextEvent
            state.nextEvent += 1
            inserted += 1
            if !e.paths.isEmpty { try queuePaths(e.paths, eventID: id) }
            pending.append((index, ids, id))
            if pending.count == RowInsert.chunkRows {
                try insertEvents(pending[...], of: events)
                pending.removeAll(keepingCapacity: true)
            }
        }
        for i in pending.indices { try insertEvents(pending[i...i], of: events) }
        try flushPaths()
        try flushBlock()
    }

    /// The identities of stored events within the batch's time span: only
    /// these can be duplicates of the batch's events. Nil when the span
    /// holds more than `prefetchLimit` stored events (a batch whose stamps
    /// jump across a stored stretch): then each event is looked up alone.
    private func storedIdentities(spanning events: [AuditEvent]) throws -> Set<Identity>? {
        guard var low = events.first?.timeMs else { return [] }
        var high = low
        for e in events { low = min(low, e.timeMs); high = max(high, e.timeMs) }
        var identities = Set<Identity>()
        let rows = try Row.fetchCursor(db, sql: """
            SELECT serial, time_ms, node, types, part FROM event WHERE time_ms BETWEEN ? AND ? LIMIT ?
            """, arguments: [low, high, prefetchLimit + 1])
        while let row = try rows.next() {
            identities.insert(Identity(serial: row[0], timeMs: row[1], node: row[2], types: row[3], part: row[4]))
        }
        return identities.count > prefetchLimit ? nil : identities
    }

    private func isStored(_ i: Identity) throws -> Bool {
        let statement = try db.cachedStatement(sql: """
            SELECT EXISTS (SELECT 1 FROM event WHERE serial = ? AND time_ms = ? AND node = ? AND types = ? AND part = ?)
            """)
        return try Bool.fetchOne(statement, arguments: [i.serial, i.timeMs, i.node, i.types, i.part]) ?? false
    }

    /// The columns of an event row that are text ids, looked up in the order
    /// every path uses (text ids must not depend on how events were batched).
    private struct TextIDs {
        var types: Int64, node: Int64
        var tty: Int64?, comm: Int64?, exe: Int64?, key: Int64?, path: Int64?, cwd: Int64?
    }

    /// The identity the event table keeps unique.
    private struct Identity: Hashable {
        var serial: Int64, timeMs: Int64, node: Int64, types: Int64, part: Int64
    }

    private mutating func textIDs(_ e: AuditEvent) throws -> TextIDs {
        let types = try typeList(e.recordTypes)
        let node = e.node.isEmpty ? 0 : try text(e.node)
        return TextIDs(types: types, node: node, tty: try text(e.tty), comm: try text(e.comm), exe: try text(e.exe),
                       key: try text(e.key), path: try text(e.primaryPath), cwd: try text(e.cwd))
    }

    /// Binds and inserts new event rows, with their raw text appended to the
    /// current block: a full chunk in one statement, or a single row.
    private mutating func insertEvents(_ rows: ArraySlice<(index: Int, ids: TextIDs, id: Int64)>,
                                       of events: [AuditEvent]) throws {
        insertEvent.start(rows: rows.count)
        for row in rows {
            let e = events[row.index]
            bindEvent(e, row.ids, id: row.id)
            block.append(contentsOf: e.raw)
            eventsInBlock += 1
            if eventsInBlock >= EventWriter.blockEvents || block.count >= EventWriter.blockBytes { try flushBlock() }
        }
        try insertEvent.step(db, into: &encodedEvent)
    }

    private mutating func bindEvent(_ e: AuditEvent, _ ids: TextIDs, id: Int64) {
        insertEvent.beginRow()
        insertEvent.add(id); insertEvent.add(ids.node); insertEvent.add(e.timeMs); insertEvent.add(e.serial); insertEvent.add(e.part); insertEvent.add(ids.types)
        insertEvent.add(Int64(e.recordTypes.count)); insertEvent.add(e.arch); insertEvent.add(e.syscall); insertEvent.add(e.success.map { $0 ? 1 : 0 })
        insertEvent.add(e.exit); insertEvent.add(e.pid); insertEvent.add(e.ppid); insertEvent.add(e.uid); insertEvent.add(e.euid); insertEvent.add(e.gid); insertEvent.add(e.auid)
        insertEvent.add(e.ses); insertEvent.add(ids.tty); insertEvent.add(ids.comm); insertEvent.add(ids.exe); insertEvent.add(ids.key); insertEvent.add(ids.path); insertEvent.add(ids.cwd)
        insertEvent.add(e.argv.map(JSONText.array)); insertEvent.add(e.sockaddr?.family); insertEvent.add(e.sockaddr?.address)
        insertEvent.add(e.sockaddr?.port); insertEvent.add(e.fields.isEmpty ? nil : JSONText.object(e.fields))
        insertEvent.add(state.nextBlock); insertEvent.add(Int64(block.count)); insertEvent.add(Int64(e.raw.count))
    }

    /// PATH items in item order, the first of a repeated item kept, as the
    /// table's primary key orders and keeps them; written a chunk at a time.
    private mutating func queuePaths(_ items: [PathItem], eventID: Int64) throws {
        var sorted = items
        if !zip(items, items.dropFirst()).allSatisfy({ $0.item < $1.item }) {
            sorted = items.enumerated().sorted { ($0.element.item, $0.offset) < ($1.element.item, $1.offset) }.map(\.element)
        }
        var last: Int64?
        for item in sorted where item.item != last {
            last = item.item
            pendingPaths.append(PathRow(eventID: eventID, item: item.item, name: try text(item.name), inode: item.inode,
                                        mode: item.mode, nametype: try text(item.nametype), ouid: item.ouid))
            if pendingPaths.count == RowInsert.chunkRows { try flushPaths() }
        }
    }

    private struct PathRow {
        var eventID: Int64, item: Int64, name: Int64?, inode: Int64?, mode: Int64?, nametype: Int64?, ouid: Int64?
    }

    private mutating func flushPaths() throws {
        var rows = pendingPaths[...]
        while !rows.isEmpty {
            let n = rows.count >= RowInsert.chunkRows ? RowInsert.chunkRows : 1
            insertPath.start(rows: n)
            for p in rows.prefix(n) {
                insertPath.beginRow()
                insertPath.add(p.eventID); insertPath.add(p.item); insertPath.add(p.name); insertPath.add(p.inode); insertPath.add(p.mode); insertPath.add(p.nametype); insertPath.add(p.ouid)
            }
            try insertPath.step(db, into: &encodedPath)
            rows = rows.dropFirst(n)
        }
        pendingPaths.removeAll(keepingCapacity: true)
    }

    mutating func insert(_ rows: [CoverageRow]) throws {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        for row in rows {
            insertCoverage.start(rows: 1); insertCoverage.beginRow()
            insertCoverage.add(state.nextCoverage); insertCoverage.add(row.kind.rawValue); insertCoverage.add(now); insertCoverage.add(row.source); insertCoverage.add(row.node)
            insertCoverage.add(row.firstSerial); insertCoverage.add(row.lastSerial); insertCoverage.add(row.firstTimeMs); insertCoverage.add(row.lastTimeMs)
            insertCoverage.add(row.count); insertCoverage.add(row.detail)
            try insertCoverage.step(db, into: &encodedCoverage)
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
        insertBlock.start(rows: 1); insertBlock.beginRow()
        insertBlock.add(state.nextBlock); insertBlock.add(RawCodec.name); insertBlock.add(Int64(block.count)); insertBlock.add(blob: compressed)
        try insertBlock.step(db, into: &encodedBlock)
        state.nextBlock += 1
        block.removeAll(keepingCapacity: true)
        eventsInBlock = 0
    }

    private mutating func text(_ value: String) throws -> Int64 {
        if let id = state.texts[value] { return id }
        let id = state.nextText
        insertText.start(rows: 1); insertText.beginRow()
        insertText.add(id); insertText.add(value)
        try insertText.step(db, into: &encodedText)
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
}

/// One insert of the writer: each value is bound to its column and, in the
/// same call, encoded as the chain hash reads it back (`SELECT *` column
/// order), so the columns are listed once. A chunked insert also has a
/// statement for `chunkRows` rows at once: one statement execution per
/// chunk instead of per row roughly halves the cost of an event row with
/// the event table's indexes. Inserts are `OR FAIL`: a violated constraint
/// fails the whole commit, which is rolled back, so SQLite need not keep a
/// statement journal to undo a half-done statement (with the default
/// `ABORT` it wrote every page a statement touched to a temporary file:
/// about two page writes per event).
private struct RowInsert {
    static let chunkRows = 16
    private let single: SQLiteStatement
    private let chunk: SQLiteStatement?
    private var statement: SQLiteStatement
    private var column: Int32 = 0
    private var rows = ChainHasher.RowEncoder()

    init(_ db: Database, _ insert: String, columns: String, chunked: Bool = false) throws {
        let count = columns.split(separator: ",").count
        let tuple = "(" + Array(repeating: "?", count: count).joined(separator: ",") + ")"
        single = try db.cachedStatement(sql: "\(insert) (\(columns)) VALUES \(tuple)").sqliteStatement
        chunk = chunked
            ? try db.cachedStatement(sql: "\(insert) (\(columns)) VALUES "
                                        + Array(repeating: tuple, count: Self.chunkRows).joined(separator: ",")).sqliteStatement
            : nil
        statement = single
    }

    /// Starts a statement of `rows` rows: 1, or `chunkRows` for a chunked insert.
    mutating func start(rows count: Int) {
        if count == 1 { statement = single } else {
            precondition(count == Self.chunkRows && chunk != nil, "a chunk is \(Self.chunkRows) rows")
            statement = chunk!
        }
        column = 0
        rows.removeAll()
    }

    mutating func beginRow() { rows.beginRow() }

    mutating func add(_ v: Int64) { column += 1; sqlite3_bind_int64(statement, column, v); rows.integer(v) }
    mutating func add(_ v: Int64?) { column += 1; bind(statement, column, v); rows.value(v) }
    mutating func add(_ v: String?) { column += 1; bind(statement, column, v); rows.value(v) }

    mutating func add(blob: [UInt8]) {
        column += 1
        blob.withUnsafeBufferPointer {
            _ = sqlite3_bind_blob(statement, column, $0.baseAddress, Int32($0.count), SQLITE_TRANSIENT)
            rows.blob($0.baseAddress, $0.count)
        }
    }

    /// Runs the insert and adds the rows' encoding to their table's.
    mutating func step(_ db: Database, into encoded: inout ChainHasher.RowEncoder) throws {
        let rc = sqlite3_step(statement)
        sqlite3_reset(statement)
        guard rc == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: rc),
                                message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
        }
        encoded.append(rows)
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
