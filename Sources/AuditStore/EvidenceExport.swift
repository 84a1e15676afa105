import Foundation
import GRDB

/// `auditq export --evidence`: one JSON object that proves, without the
/// store, that some events are in a store's hash chain and that the chain's
/// head was signed. It holds every batch from the earliest one with a cited
/// event through the one holding the latest checkpoint, each with all its
/// rows, so `verify` can recompute each batch hash with `ChainHasher` and
/// follow the links up to the signed head.
public enum EvidenceExport {
    public static let format = "auditq-evidence-v1"

    public struct File: Codable, Sendable {
        public var format: String
        public var createdAt: String
        /// The hash of the store's first batch: which store this came from.
        public var storeID: String?
        /// Embedded as given (e.g. `auditq report compliance --format json`); not signed.
        public var report: JSONValue?
        public var publicKey: String
        public var checkpoint: Checkpoint.Detail
        /// The ledger row that holds the checkpoint, inside an exported batch.
        public var checkpointRow: Int64
        public var events: [Event]
        /// Column names of each table's exported rows, in row order.
        public var columns: [String: [String]]
        public var batches: [Batch]

        enum CodingKeys: String, CodingKey {
            case format, report, checkpoint, events, columns, batches
            case createdAt = "created_at", storeID = "store_id", publicKey = "public_key", checkpointRow = "checkpoint_row"
        }
    }

    public struct Event: Codable, Sendable {
        public var id: Int64
        public var batch: Int64
        /// The records exactly as stored (valid UTF-8), else `rawBase64`.
        public var raw: String?
        public var rawBase64: String?
        /// As the store decoded them; the raw text is what the chain proves.
        public var fields: [String: JSONValue]

        public init(id: Int64, fields: [String: JSONValue]) {
            self.id = id; self.batch = 0; self.fields = fields
        }

        var rawBytes: [UInt8]? {
            if let raw { return Array(raw.utf8) }
            return rawBase64.flatMap { Data(base64Encoded: $0) }.map { Array($0) }
        }

        enum CodingKeys: String, CodingKey {
            case id, batch, raw, fields
            case rawBase64 = "raw_base64"
        }
    }

    public struct Batch: Codable, Sendable {
        public var id: Int64
        public var committedMs: Int64
        public var source: String
        public var firstText: Int64, lastText: Int64
        public var firstBlock: Int64, lastBlock: Int64
        public var firstEvent: Int64, lastEvent: Int64
        public var firstCoverage: Int64, lastCoverage: Int64
        public var prevHash: String
        public var hash: String
        public var rows: [String: [[ChainHasher.Value]]]

        var ranges: ChainHasher.Ranges {
            .init(text: .init(first: firstText, last: lastText), block: .init(first: firstBlock, last: lastBlock),
                  event: .init(first: firstEvent, last: lastEvent), coverage: .init(first: firstCoverage, last: lastCoverage))
        }

        enum CodingKeys: String, CodingKey {
            case id, source, hash, rows
            case committedMs = "committed_ms", prevHash = "prev_hash"
            case firstText = "first_text", lastText = "last_text", firstBlock = "first_block", lastBlock = "last_block"
            case firstEvent = "first_event", lastEvent = "last_event"
            case firstCoverage = "first_coverage", lastCoverage = "last_coverage"
        }
    }

    public enum ExportError: Error, CustomStringConvertible {
        case noCheckpoint
        case noEvent(Int64)

        public var description: String {
            switch self {
            case .noCheckpoint: "the store has no checkpoint: run 'auditq checkpoint --sign KEYFILE' first"
            case .noEvent(let id): "event \(id) is not in the store"
            }
        }
    }

    // MARK: building

    /// The export of `events` (their `id` and decoded `fields` filled in);
    /// batches, raw text and the checkpoint come from the store.
    public static func build(_ store: EventStore, events: [Event], report: JSONValue?) throws -> File {
        try store.pool.read { db in
            guard let cp = try Row.fetchOne(db, sql: "SELECT id, detail FROM coverage WHERE kind = ? ORDER BY id DESC LIMIT 1",
                                            arguments: [Ledger.Kind.checkpoint.rawValue]),
                  let detail = try? JSONDecoder().decode(Checkpoint.Detail.self, from: Data((cp["detail"] as String? ?? "").utf8)) else {
                throw ExportError.noCheckpoint
            }
            let cpRow: Int64 = cp["id"]
            let holder = try Int64.fetchOne(db, sql: "SELECT id FROM batch WHERE ? BETWEEN first_coverage AND last_coverage",
                                            arguments: [cpRow]) ?? detail.batch
            var events = events
            for i in events.indices {
                guard let b = try Int64.fetchOne(db, sql: "SELECT id FROM batch WHERE ? BETWEEN first_event AND last_event",
                                                 arguments: [events[i].id]) else { throw ExportError.noEvent(events[i].id) }
                events[i].batch = b
            }
            let low = min(detail.batch, events.map(\.batch).min() ?? detail.batch)
            let high = max(holder, events.map(\.batch).max() ?? holder)
            var batches: [Batch] = []
            for r in try Row.fetchAll(db, sql: "SELECT * FROM batch WHERE id BETWEEN ? AND ? ORDER BY id", arguments: [low, high]) {
                var batch = Batch(id: r["id"], committedMs: r["committed_ms"], source: r["source"],
                                  firstText: r["first_text"], lastText: r["last_text"], firstBlock: r["first_block"],
                                  lastBlock: r["last_block"], firstEvent: r["first_event"], lastEvent: r["last_event"],
                                  firstCoverage: r["first_coverage"], lastCoverage: r["last_coverage"],
                                  prevHash: Hex.encode(r["prev_hash"] as Data), hash: Hex.encode(r["hash"] as Data), rows: [:])
                for table in ChainHasher.Table.allCases {
                    batch.rows[table.rawValue] = try ChainHasher.values(db, table, ranges: batch.ranges)
                }
                batches.append(batch)
            }
            var columns: [String: [String]] = [:]
            for table in ChainHasher.Table.allCases { columns[table.rawValue] = try db.columns(in: table.rawValue).map(\.name) }
            var file = File(format: format, createdAt: ChainVerifier.time(Int64(Date().timeIntervalSince1970 * 1000)),
                            storeID: try Data.fetchOne(db, sql: "SELECT hash FROM batch WHERE id = 1").map(Hex.encode),
                            report: report, publicKey: detail.publicKey, checkpoint: detail, checkpointRow: cpRow,
                            events: [], columns: columns, batches: batches)
            let proof = Proof(file)
            for var event in events {
                let raw = try proof.raw(event: event.id, batch: proof.batch(event.batch)!)
                if let text = String(validating: raw, as: UTF8.self) { event.raw = text } else {
                    event.rawBase64 = Data(raw).base64EncodedString()
                }
                file.events.append(event)
            }
            return file
        }
    }

    /// The events with these ids, their decoded fields from `event_view`.
    public static func events(_ store: EventStore, ids: [Int64]) throws -> [Event] {
        try store.pool.read { db in
            try ids.map { id in
                guard let row = try Row.fetchOne(db, sql: "SELECT * FROM event_view WHERE id = ?", arguments: [id]) else {
                    throw ExportError.noEvent(id)
                }
                var fields: [String: JSONValue] = [:]
                for (column, value) in row {
                    switch value.storage {
                    case .null: fields[column] = .null
                    case .int64(let v): fields[column] = .integer(v)
                    case .double(let v): fields[column] = .number(v)
                    case .string(let v): fields[column] = .string(v)
                    case .blob(let v): fields[column] = .string(v.base64EncodedString())
                    }
                }
                return Event(id: id, fields: fields)
            }
        }
    }

    public static func encode(_ file: File) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(file)
        data.append(0x0A)
        return data
    }

    /// Whether `data` looks like an export (rather than a store).
    public static func looksLikeExport(_ prefix: Data) -> Bool {
        prefix.first(where: { ![0x20, 0x0A, 0x0D, 0x09].contains($0) }) == UInt8(ascii: "{")
    }

    // MARK: verifying

    public struct Verdict: Sendable {
        public var problem: String?
        public var summary = ""
    }

    /// Checks an export on its own: batch hashes from their rows, the links
    /// between them, the checkpoint's signature and head, each event's raw text.
    public static func verify(_ data: Data, requiredKey: Data? = nil) -> Verdict {
        func fail(_ why: String) -> Verdict { Verdict(problem: why) }
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: data) } catch {
            return fail("not an auditq evidence export: \(error)")
        }
        guard file.format == format else { return fail("unknown export format '\(file.format)' (expected \(format))") }
        let proof = Proof(file)
        guard let first = file.batches.first, let last = file.batches.last else { return fail("the export holds no batches") }
        var previous: Batch?
        for batch in file.batches {
            let name = "batch \(batch.id)"
            if let p = previous {
                guard batch.id == p.id + 1 else { return fail("batch \(p.id + 1) is missing from the export") }
                if batch.prevHash != p.hash { return fail("\(name) does not chain to batch \(p.id)") }
                if batch.firstText != p.lastText + 1 || batch.firstBlock != p.lastBlock + 1
                    || batch.firstEvent != p.lastEvent + 1 || batch.firstCoverage != p.lastCoverage + 1 {
                    return fail("\(name): its rows do not follow on from batch \(p.id)")
                }
            } else if batch.id == 1 && batch.prevHash != Hex.encode(ChainHasher.genesis) {
                return fail("batch 1 does not start the chain")
            }
            guard let prev = Hex.decode(batch.prevHash) else { return fail("\(name): prev_hash is not hex") }
            var rows: [ChainHasher.Table: [[ChainHasher.Value]]] = [:]
            for table in ChainHasher.Table.allCases { rows[table] = batch.rows[table.rawValue] ?? [] }
            let hash = ChainHasher.hash(batchID: batch.id, committedMs: batch.committedMs, source: batch.source,
                                        ranges: batch.ranges, previous: prev, rows: rows)
            if Hex.encode(hash) != batch.hash {
                return fail("\(name) (events \(batch.firstEvent)–\(batch.lastEvent)): hash mismatch: a row in this batch was changed, removed or reordered")
            }
            if batch.id == 1, let id = file.storeID, id != batch.hash { return fail("store_id is not the hash of batch 1") }
            previous = batch
        }

        // The checkpoint: signed, by the key the export names (and the one required), over a batch it holds.
        let cp = file.checkpoint
        let cpName = "checkpoint of batch \(cp.batch) (ledger row \(file.checkpointRow))"
        if let why = cp.signatureProblem { return fail("\(cpName): \(why)") }
        if cp.publicKey != file.publicKey { return fail("\(cpName): signed by another key than the export's public_key") }
        if let requiredKey, cp.publicKey != Hex.encode(requiredKey) {
            return fail("\(cpName): signed by key \(cp.keyFingerprint), not the required key \(Checkpoint.fingerprint(requiredKey))")
        }
        if let id = file.storeID, id != cp.storeID { return fail("\(cpName): signed for another store") }
        guard let head = proof.batch(cp.batch) else { return fail("\(cpName): batch \(cp.batch) is not in the export") }
        if head.hash != cp.headHash { return fail("\(cpName): batch \(cp.batch) does not have the hash it signed") }
        guard let holder = file.batches.first(where: { $0.firstCoverage <= file.checkpointRow && file.checkpointRow <= $0.lastCoverage }),
              let row = proof.row(.coverage, id: file.checkpointRow, in: holder),
              case .text(let bytes)? = proof.column(row, "detail", of: .coverage),
              let stored = try? JSONDecoder().decode(Checkpoint.Detail.self, from: Data(bytes)) else {
            return fail("\(cpName): its ledger row is not in the export")
        }
        if stored != cp { return fail("\(cpName): differs from the checkpoint row in batch \(holder.id)") }
        if holder.id <= cp.batch { return fail("\(cpName): is held by batch \(holder.id), not one after it") }

        // Each event: inside an exported batch, raw text as the batch's own rows hold it.
        var unsigned = 0
        for event in file.events {
            let name = "event \(event.id)"
            guard let batch = file.batches.first(where: { $0.firstEvent <= event.id && event.id <= $0.lastEvent }) else {
                return fail("\(name) is not inside any exported batch")
            }
            guard let exported = event.rawBytes else { return fail("\(name) has no raw text") }
            let raw: [UInt8]
            do { raw = try proof.raw(event: event.id, batch: batch) } catch { return fail("\(name): \(error)") }
            if raw != exported { return fail("\(name) (batch \(batch.id)): raw text differs from the chained record") }
            if batch.id > cp.batch { unsigned += 1 }
        }
        var summary = "evidence ok: \(file.events.count) event(s) in batches \(first.id)–\(last.id), checkpoint of batch \(cp.batch) signed \(cp.signedAt) by \(cp.keyFingerprint)"
        if unsigned > 0 { summary += "; \(unsigned) event(s) after the signed head are chained but not signed" }
        return Verdict(problem: nil, summary: summary)
    }

    /// Lookups in an export's rows by column name.
    struct Proof {
        let file: File
        let batches: [Int64: Batch]

        init(_ file: File) {
            self.file = file
            batches = Dictionary(file.batches.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        }

        func batch(_ id: Int64) -> Batch? { batches[id] }

        func column(_ row: [ChainHasher.Value], _ name: String, of table: ChainHasher.Table) -> ChainHasher.Value? {
            guard let i = file.columns[table.rawValue]?.firstIndex(of: name), i < row.count else { return nil }
            return row[i]
        }

        func row(_ table: ChainHasher.Table, id: Int64, in batch: Batch) -> [ChainHasher.Value]? {
            batch.rows[table.rawValue]?.first { column($0, "id", of: table) == .integer(id) }
        }

        func raw(event id: Int64, batch: Batch) throws -> [UInt8] {
            guard let event = row(.event, id: id, in: batch) else { throw ProofError("its row is not in batch \(batch.id)") }
            guard case .integer(let blockID)? = column(event, "raw_block", of: .event),
                  case .integer(let offset)? = column(event, "raw_offset", of: .event),
                  case .integer(let length)? = column(event, "raw_length", of: .event) else {
                throw ProofError("its row has no raw text location")
            }
            guard let block = row(.raw_block, id: blockID, in: batch),
                  case .integer(let size)? = column(block, "raw_size", of: .raw_block),
                  case .blob(let data)? = column(block, "data", of: .raw_block) else {
                throw ProofError("raw block \(blockID) is not in batch \(batch.id)")
            }
            let bytes = try data.withUnsafeBytes { try RawCodec.decompress($0, rawSize: Int(size), block: blockID) }
            guard offset >= 0, length >= 0, offset + length <= bytes.count else {
                throw ProofError("its text lies outside raw block \(blockID)")
            }
            return Array(bytes[Int(offset)..<Int(offset + length)])
        }
    }

    struct ProofError: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }
}

/// Column values in JSON: null, integers as numbers, UTF-8 text as strings;
/// reals, blobs and other text as one-key objects.
extension ChainHasher.Value: Codable {
    enum Key: String, CodingKey { case real, blob, textBase64 = "text_base64" }

    public init(from decoder: Decoder) throws {
        if let c = try? decoder.singleValueContainer() {
            if c.decodeNil() { self = .null; return }
            if let v = try? c.decode(Int64.self) { self = .integer(v); return }
            if let v = try? c.decode(String.self) { self = .text(Array(v.utf8)); return }
        }
        let c = try decoder.container(keyedBy: Key.self)
        if let bits = try c.decodeIfPresent(String.self, forKey: .real), let v = UInt64(bits, radix: 16) {
            self = .real(Double(bitPattern: v))
        } else if let b = try c.decodeIfPresent(String.self, forKey: .blob), let d = Data(base64Encoded: b) {
            self = .blob(Array(d))
        } else if let b = try c.decodeIfPresent(String.self, forKey: .textBase64), let d = Data(base64Encoded: b) {
            self = .text(Array(d))
        } else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a column value"))
        }
    }

    public func encode(to encoder: Encoder) throws {
        switch self {
        case .null: var c = encoder.singleValueContainer(); try c.encodeNil()
        case .integer(let v): var c = encoder.singleValueContainer(); try c.encode(v)
        case .text(let b):
            if let s = String(validating: b, as: UTF8.self) { var c = encoder.singleValueContainer(); try c.encode(s) } else {
                var c = encoder.container(keyedBy: Key.self); try c.encode(Data(b).base64EncodedString(), forKey: .textBase64)
            }
        case .real(let v): var c = encoder.container(keyedBy: Key.self); try c.encode(String(v.bitPattern, radix: 16), forKey: .real)
        case .blob(let b): var c = encoder.container(keyedBy: Key.self); try c.encode(Data(b).base64EncodedString(), forKey: .blob)
        }
    }
}

/// Any JSON value, kept as parsed (for an embedded report and decoded fields).
public enum JSONValue: Codable, Equatable, Sendable {
    case null, bool(Bool), integer(Int64), number(Double), string(String)
    case array([JSONValue]), object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let v = try? c.decode(Bool.self) { self = .bool(v) }
        else if let v = try? c.decode(Int64.self) { self = .integer(v) }
        else if let v = try? c.decode(Double.self) { self = .number(v) }
        else if let v = try? c.decode(String.self) { self = .string(v) }
        else if let v = try? c.decode([JSONValue].self) { self = .array(v) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let v): try c.encode(v)
        case .integer(let v): try c.encode(v)
        case .number(let v): try c.encode(v)
        case .string(let v): try c.encode(v)
        case .array(let v): try c.encode(v)
        case .object(let v): try c.encode(v)
        }
    }
}
