import Foundation
import GRDB

/// `auditq verify`: recomputes the hash chain batch by batch from the rows
/// themselves and reports the first batch that does not match, rows no batch
/// covers, and a chain shorter than the head file says it was.
public enum ChainVerifier {
    public struct Report: Sendable {
        public var batches = 0
        public var events: Int64 = 0
        public var head: Data?
        public var problem: String?
        public var firstBadBatch: Int64?
        public var note: String?
        public var checkpoints = Checkpoint.Summary()
        public var ok: Bool { problem == nil }
    }

    /// `requiredKey`: every checkpoint must be signed by it, and there must be one.
    public static func verify(_ store: EventStore, requiredKey: Data? = nil) throws -> Report {
        var report = Report()
        try store.pool.read { db in
            defer { try? checkCheckpoints(db, requiredKey: requiredKey, &report) }
            if try String.fetchOne(db, sql: "SELECT value FROM text WHERE id = 0") != "" {
                report.problem = "text row 0 was changed"
                return
            }
            var previous = ChainHasher.genesis
            var expect = (text: Int64(1), block: Int64(1), event: Int64(1), coverage: Int64(1))
            var expectedID: Int64 = 1
            let batches = try Row.fetchCursor(db, sql: "SELECT * FROM batch ORDER BY id")
            var rows: [Row] = []
            while let row = try batches.next() { rows.append(row.copy()) }
            for row in rows {
                let id: Int64 = row["id"]
                let ranges = ChainHasher.Ranges(
                    text: .init(first: row["first_text"], last: row["last_text"]),
                    block: .init(first: row["first_block"], last: row["last_block"]),
                    event: .init(first: row["first_event"], last: row["last_event"]),
                    coverage: .init(first: row["first_coverage"], last: row["last_coverage"]))
                func fail(_ why: String) {
                    report.problem = "batch \(id) (events \(ranges.event.first)–\(ranges.event.last), committed \(Self.time(row["committed_ms"]))): \(why)"
                    report.firstBadBatch = id
                }
                if id != expectedID { fail("batch \(expectedID) is missing"); report.firstBadBatch = expectedID; return }
                if (row["prev_hash"] as Data) != previous { fail("does not chain to the batch before it"); return }
                if ranges.text.first != expect.text || ranges.block.first != expect.block
                    || ranges.event.first != expect.event || ranges.coverage.first != expect.coverage {
                    fail("its rows do not follow on from the batch before it"); return
                }
                let hash = try ChainHasher.hash(db, batchID: id, committedMs: row["committed_ms"], source: row["source"],
                                                ranges: ranges, previous: previous)
                if hash != (row["hash"] as Data) {
                    fail("hash mismatch: a row in this batch was changed, removed or reordered"); return
                }
                previous = hash
                expect = (ranges.text.last + 1, ranges.block.last + 1, ranges.event.last + 1, ranges.coverage.last + 1)
                expectedID += 1
                report.batches += 1
                report.events += ranges.event.count
            }
            report.head = rows.isEmpty ? nil : previous
            // Rows outside every batch's range were added behind the writer's back:
            // after the last batch (its batch row removed?) or below the first id.
            for (table, column, lowest, next) in [("text", "id", Int64(0), expect.text), ("raw_block", "id", 1, expect.block),
                                                  ("event", "id", 1, expect.event), ("path", "event_id", 1, expect.event),
                                                  ("coverage", "id", 1, expect.coverage)] {
                let after = try Int64.fetchOne(db, sql: "SELECT count(*) FROM \(table) WHERE \(column) >= ?", arguments: [next]) ?? 0
                if after > 0 {
                    report.problem = "batch \(expectedID) is missing: \(after) \(table) row(s) after batch \(expectedID - 1) are not covered by the hash chain"
                    report.firstBadBatch = expectedID
                    return
                }
                // text id 0 is the schema's own empty string, checked above.
                let below = try Int64.fetchOne(db, sql: "SELECT count(*) FROM \(table) WHERE \(column) < ?", arguments: [lowest]) ?? 0
                if below > 0 {
                    report.problem = "batch 1: \(below) \(table) row(s) with ids below the first batch are not covered by the hash chain"
                    report.firstBadBatch = 1
                    return
                }
            }
        }
        if report.ok { try store.pool.read { db in try checkHead(db, store.path, &report) } }
        return report
    }

    /// Checkpoint rows are checked whatever the chain says, so a changed one
    /// is named even when its batch hash no longer matches; the problem in
    /// the earliest batch is the one reported.
    private static func checkCheckpoints(_ db: Database, requiredKey: Data?, _ report: inout Report) throws {
        report.checkpoints = try Checkpoint.check(db, requiredKey: requiredKey)
        guard let problem = report.checkpoints.problem else { return }
        if let bad = report.firstBadBatch, bad < problem.batch || problem.batch == 0 { return }
        let also = report.firstBadBatch == problem.batch ? "; its batch hash does not match either" : ""
        report.problem = (problem.batch > 0 ? "batch \(problem.batch): " : "") + problem.line + also
        report.firstBadBatch = problem.batch > 0 ? problem.batch : report.firstBadBatch
    }

    /// The head file records the last batch the writer committed; a store
    /// whose chain ends earlier was cut short, one whose batch there has
    /// another hash was rewritten.
    private static func checkHead(_ db: Database, _ path: String, _ report: inout Report) throws {
        switch ChainHead.read(store: path) {
        case nil:
            report.note = "no head file beside the store: batches cut off the end cannot be detected"
        case .failure:
            report.note = "head file is unreadable"
        case .success(let head):
            guard let problem = try ChainHead.problem(db, store: path) else {
                if head.batch < Int64(report.batches) {
                    report.note = "head file \(StorePath.headFile(for: path)) records batch \(head.batch) of \(report.batches): it was not updated after the last \(Int64(report.batches) - head.batch) commit(s) (a crash between a commit and the update, or an older copy); batches cut off after batch \(head.batch) could not be detected"
                }
                return
            }
            report.problem = problem
            report.firstBadBatch = head.batch > report.batches ? Int64(report.batches + 1) : head.batch
        }
    }

    static func time(_ ms: Int64) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }
}
