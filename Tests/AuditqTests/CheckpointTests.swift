import AuditStore
import Foundation
import GRDB
import XCTest

/// Signed checkpoints and evidence exports as the CLI shows them: a store
/// imported from corpus logs, a key pair made by `auditq checkpoint
/// --new-key`, then tampering with raw SQLite writes (triggers dropped) or
/// with the export's JSON.
final class CheckpointTests: XCTestCase {
    static let logs = ["go-libaudit/audit-rhel7.log", "audit-userspace/test.log"]

    // MARK: checkpoints in the store

    func testSignedCheckpointVerifies() throws {
        let (dir, store, key) = try makeSignedStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        let attributes = try FileManager.default.attributesOfItem(atPath: key)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600, "private key file mode")
        XCTAssertTrue(try String(contentsOfFile: key, encoding: .utf8).hasPrefix("-----BEGIN AUDITQ ED25519 PRIVATE KEY-----\n"))
        let v = try TestSupport.auditq(["verify", "--store", store, "--key", key + ".pub"])
        XCTAssertEqual(v.status, 0, v.stderr)
        XCTAssertTrue(v.out.contains("1 checkpoint(s), latest of batch 1 "), v.out)
        // The checkpoint is a ledger row, committed in a batch of its own after the one it signs.
        let row = try withDatabase(store, dropping: []) { db in
            try Row.fetchOne(db, sql: "SELECT c.detail, b.id AS batch FROM coverage c JOIN batch b ON c.id BETWEEN b.first_coverage AND b.last_coverage WHERE c.kind = 'checkpoint'")
        }
        XCTAssertEqual(row?["batch"] as Int64?, 2)
        let detail = try JSONDecoder().decode(Checkpoint.Detail.self, from: Data((row?["detail"] as String? ?? "").utf8))
        XCTAssertEqual(detail.batch, 1)
        XCTAssertNil(detail.signatureProblem)
        // A second key is not the required one.
        let other = dir.appendingPathComponent("other.key").path
        XCTAssertEqual(try TestSupport.auditq(["checkpoint", "--new-key", other]).status, 0)
        let wrong = try TestSupport.auditq(["verify", "--store", store, "--key", other + ".pub"])
        XCTAssertEqual(wrong.status, 1, wrong.out)
        XCTAssertTrue(wrong.stderr.contains("not the required key"), wrong.stderr)
        // Checkpoints are always signed.
        let unsigned = try TestSupport.auditq(["checkpoint", "--store", store])
        XCTAssertNotEqual(unsigned.status, 0)
        XCTAssertFalse(try TestSupport.auditq(["checkpoint", "--new-key", key]).status == 0, "overwrote a key file")
    }

    /// A changed signature is named, whether or not the batch hash was
    /// recomputed to hide the change.
    func testChangedCheckpointSignatureIsNamed() throws {
        let (dir, store, _) = try makeSignedStore(importAfter: false)
        defer { try? FileManager.default.removeItem(at: dir) }
        for rehash in [false, true] {
            let copy = dir.appendingPathComponent("copy-\(rehash)")
            try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
            let copied = copy.appendingPathComponent("s.db").path
            for suffix in ["", "-wal", "-head"] where FileManager.default.fileExists(atPath: store + suffix) {
                try FileManager.default.copyItem(atPath: store + suffix, toPath: copied + suffix)
            }
            let rowID = try withDatabase(copied, dropping: ["coverage_no_update", "batch_no_update"]) { db -> Int64 in
                let row = try Row.fetchOne(db, sql: "SELECT id, detail FROM coverage WHERE kind = 'checkpoint'")!
                var detail = try JSONDecoder().decode(Checkpoint.Detail.self, from: Data((row["detail"] as String).utf8))
                let last = detail.signature.removeLast()
                detail.signature.append(last == "0" ? "1" : "0")
                try db.execute(sql: "UPDATE coverage SET detail = ? WHERE id = ?", arguments: [Ledger.encode(detail), row["id"]])
                if rehash {
                    // The checkpoint's batch is the last: recompute its hash as a forger with write access would.
                    let b = try Row.fetchOne(db, sql: "SELECT * FROM batch ORDER BY id DESC LIMIT 1")!
                    let ranges = ChainHasher.Ranges(
                        text: .init(first: b["first_text"], last: b["last_text"]), block: .init(first: b["first_block"], last: b["last_block"]),
                        event: .init(first: b["first_event"], last: b["last_event"]), coverage: .init(first: b["first_coverage"], last: b["last_coverage"]))
                    let hash = try ChainHasher.hash(db, batchID: b["id"], committedMs: b["committed_ms"], source: b["source"],
                                                    ranges: ranges, previous: b["prev_hash"])
                    try db.execute(sql: "UPDATE batch SET hash = ? WHERE id = ?", arguments: [hash, b["id"]])
                    let head = "auditq chain head\nbatch \(b["id"] as Int64)\nhash \(hash.map { String(format: "%02x", $0) }.joined())\n"
                    try head.write(toFile: StorePath.headFile(for: copied), atomically: true, encoding: .utf8)
                }
                return row["id"]
            }
            let v = try TestSupport.auditq(["verify", "--store", copied])
            XCTAssertEqual(v.status, 1, "rehash \(rehash): verify did not fail: \(v.out)")
            XCTAssertEqual(v.stderr.split(separator: "\n").count, 1, v.stderr)
            XCTAssertTrue(v.stderr.contains("batch 2: checkpoint (ledger row \(rowID) in batch 2): signature does not verify"), v.stderr)
        }
    }

    // MARK: evidence export

    func testEvidenceExportVerifiesOnItsOwn() throws {
        let (dir, store, key) = try makeSignedStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        let evidence = try export(dir, store)
        // Elsewhere: the file alone, no store, no key but the one given.
        let elsewhere = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: elsewhere) }
        let copy = elsewhere.appendingPathComponent("evidence.json").path
        try FileManager.default.copyItem(atPath: evidence, toPath: copy)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("s.db"))
        let v = try TestSupport.auditq(["verify", copy, "--key", key + ".pub"])
        XCTAssertEqual(v.status, 0, v.stderr)
        XCTAssertTrue(v.out.hasPrefix("evidence ok: 3 event(s) in batches 1–2, checkpoint of batch 1 signed "), v.out)

        let file = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: copy))) as! [String: Any]
        XCTAssertEqual((file["report"] as? [String: Any])?["title"] as? String, "test report")
        let events = file["events"] as! [[String: Any]]
        XCTAssertEqual(events.map { $0["id"] as! Int }, [1, 2, 5])
        XCTAssertTrue((events[0]["raw"] as! String).hasPrefix("type="))
    }

    func testChangedExportFailsVerify() throws {
        let (dir, store, key) = try makeSignedStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        let evidence = try export(dir, store)
        let original = try Data(contentsOf: URL(fileURLWithPath: evidence))
        var object = try JSONSerialization.jsonObject(with: original) as! [String: Any]

        // One byte of an event's raw text.
        var events = object["events"] as! [[String: Any]]
        var raw = Array((events[1]["raw"] as! String).utf8)
        raw[raw.count / 2] ^= 0x01
        events[1]["raw"] = String(decoding: raw, as: UTF8.self)
        object["events"] = events
        try assertExportFails(object, dir, contains: "event 2 (batch 1): raw text differs from the chained record")

        // One column of a chained row: the batch hash no longer matches.
        object = try JSONSerialization.jsonObject(with: original) as! [String: Any]
        var batches = object["batches"] as! [[String: Any]]
        var rows = batches[0]["rows"] as! [String: Any]
        var eventRows = rows["event"] as! [[Any]]
        eventRows[3][11] = 31337  // pid
        rows["event"] = eventRows
        batches[0]["rows"] = rows
        object["batches"] = batches
        try assertExportFails(object, dir, contains: "batch 1 (events 1–48): hash mismatch")

        // The right file, the wrong key.
        let other = dir.appendingPathComponent("other.key").path
        XCTAssertEqual(try TestSupport.auditq(["checkpoint", "--new-key", other]).status, 0)
        let v = try TestSupport.auditq(["verify", evidence, "--key", other + ".pub"])
        XCTAssertEqual(v.status, 1, v.out)
        XCTAssertTrue(v.stderr.contains("not the required key"), v.stderr)
        XCTAssertEqual(try TestSupport.auditq(["verify", evidence, "--key", key + ".pub"]).status, 0)
    }

    // MARK: helpers

    /// Corpus logs imported (batch 1), a key pair, a checkpoint of batch 1
    /// (in batch 2), optionally a second import after it (batch 3).
    func makeSignedStore(importAfter: Bool = true, _ name: String = #function) throws -> (URL, String, String) {
        let dir = TestSupport.temporaryDirectory(name)
        let store = dir.appendingPathComponent("s.db").path
        let key = dir.appendingPathComponent("signing.key").path
        let logs = Self.logs.map { TestSupport.corpus.appendingPathComponent($0).path }
        var r = try TestSupport.auditq(["import", "--store", store, logs[0]])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try TestSupport.auditq(["checkpoint", "--new-key", key])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.out.hasPrefix("public key "), r.out)
        r = try TestSupport.auditq(["checkpoint", "--sign", key, "--store", store])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.out.hasPrefix("checkpoint of batch 1 "), r.out)
        if importAfter {
            r = try TestSupport.auditq(["import", "--store", store, logs[1]])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        r = try TestSupport.auditq(["verify", "--store", store])
        XCTAssertEqual(r.status, 0, r.stderr)
        return (dir, store, key)
    }

    /// A report citing events 2 and 5, plus the ADD_GROUP event (1).
    func export(_ dir: URL, _ store: String) throws -> String {
        let report = dir.appendingPathComponent("report.json")
        try Data(#"{"title":"test report","controls":[{"examples":[{"event_id":2},{"event_id":5}]}]}"#.utf8).write(to: report)
        let evidence = dir.appendingPathComponent("evidence.json").path
        let r = try TestSupport.auditq(["export", "--store", store, "--evidence", evidence, "--report", report.path, "-m", "ADD_GROUP"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return evidence
    }

    func assertExportFails(_ object: [String: Any], _ dir: URL, contains expected: String,
                           file: StaticString = #filePath, line: UInt = #line) throws {
        let path = dir.appendingPathComponent("changed.json").path
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
        let v = try TestSupport.auditq(["verify", path])
        XCTAssertEqual(v.status, 1, "verify did not fail: \(v.out)", file: file, line: line)
        XCTAssertEqual(v.stderr.split(separator: "\n").count, 1, v.stderr, file: file, line: line)
        XCTAssertTrue(v.stderr.contains(expected), v.stderr, file: file, line: line)
    }

    func withDatabase<T>(_ store: String, dropping triggers: [String], _ body: (Database) throws -> T) throws -> T {
        let queue = try DatabaseQueue(path: store)
        defer { try? queue.close() }
        return try queue.writeWithoutTransaction { db in
            for t in triggers { try db.execute(sql: "DROP TRIGGER \(t)") }
            return try body(db)
        }
    }
}
