import AuditStore
import Foundation
import GRDB
import XCTest

/// Tamper evidence as `auditq verify` shows it: a store built by importing a
/// generated log of 20000 events (two or three import batches: the writer
/// merges queued batches of 8192 when it falls behind), then changed behind
/// the writer's back with raw SQLite writes (append-only triggers dropped
/// first). Verify must exit 1 and name the first bad batch — the batch whose
/// first_event…last_event holds the changed row.
final class TamperTests: XCTestCase {
    static let eventCount = 20_000

    // MARK: the untouched store

    func testImportedStoreVerifies() throws {
        let (dir, store) = try makeStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        let batches = try batchRows(store)
        // 8192 + 8192 + 3616 events; the first two merge (16 384 at most per
        // commit) when the parser runs ahead of the writer, so 2 or 3.
        XCTAssertGreaterThanOrEqual(batches.count, 2, "expected several import batches")
        XCTAssertEqual(batches.last?.lastEvent, Int64(Self.eventCount))
    }

    // MARK: (a) one byte of one event's raw text

    func testOneByteChangedInRawTextIsCaught() throws {
        let (dir, store) = try makeStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        let target: Int64 = 10_000
        let expected = try batch(of: target, store)
        let serial = try withDatabase(store, dropping: ["raw_block_no_update"]) { db -> Int64 in
            let e = try Row.fetchOne(db, sql: "SELECT serial, raw_block, raw_offset, raw_length FROM event WHERE id = ?", arguments: [target])!
            let blockID: Int64 = e["raw_block"]
            let offset: Int = e["raw_offset"], length: Int = e["raw_length"]
            let b = try Row.fetchOne(db, sql: "SELECT raw_size, data FROM raw_block WHERE id = ?", arguments: [blockID])!
            let data: Data = b["data"]
            var raw = try data.withUnsafeBytes { try RawCodec.decompress($0, rawSize: b["raw_size"], block: blockID) }
            // One byte in the middle of this event's slice: a pid digit or a letter.
            let i = offset + length / 2
            XCTAssertNotEqual(raw[i], 0x0A)
            raw[i] ^= 0x01
            try db.execute(sql: "UPDATE raw_block SET data = ? WHERE id = ?", arguments: [Data(RawCodec.compress(raw)), blockID])
            let blockBatch = try Int64.fetchOne(db, sql: "SELECT id FROM batch WHERE ? BETWEEN first_block AND last_block", arguments: [blockID])
            XCTAssertEqual(blockBatch, expected, "the raw block and its event belong to different batches")
            return e["serial"]
        }
        // The change is real: readers now see different text for that event.
        let raw = try TestSupport.auditq(["search", "--store", store, "-a", String(serial), "--raw"])
        XCTAssertEqual(raw.status, 0, raw.stderr)
        XCTAssertFalse(Generated.shared.text.contains(raw.out), "the byte flip did not reach the stored text")
        try assertVerifyFails(store, firstBadBatch: expected)
    }

    // MARK: (b) one column of one event

    func testChangedEventColumnIsCaught() throws {
        let (dir, store) = try makeStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        let target: Int64 = 5_000
        let expected = try batch(of: target, store)
        try withDatabase(store, dropping: ["event_no_update"]) { db in
            try db.execute(sql: "UPDATE event SET pid = pid + 1 WHERE id = ?", arguments: [target])
            XCTAssertEqual(db.changesCount, 1)
        }
        try assertVerifyFails(store, firstBadBatch: expected)
    }

    // MARK: (c) an event removed from the middle

    func testDeletedEventIsCaught() throws {
        let (dir, store) = try makeStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        let target: Int64 = 12_345
        let expected = try batch(of: target, store)
        try withDatabase(store, dropping: ["event_no_delete"]) { db in
            try db.execute(sql: "DELETE FROM event WHERE id = ?", arguments: [target])
            XCTAssertEqual(db.changesCount, 1)
        }
        try assertVerifyFails(store, firstBadBatch: expected)
    }

    // MARK: (d) a PATH row removed

    func testDeletedPathRowIsCaught() throws {
        let (dir, store) = try makeStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        let target: Int64 = 17_000
        let expected = try batch(of: target, store)
        try withDatabase(store, dropping: ["path_no_delete"]) { db in
            try db.execute(sql: "DELETE FROM path WHERE event_id = ?", arguments: [target])
            XCTAssertEqual(db.changesCount, 1)
        }
        try assertVerifyFails(store, firstBadBatch: expected)
    }

    // MARK: (e) two events swapped

    /// Every row is still there with the same content, only the order of two
    /// events (and their PATH rows) changed.
    func testSwappedEventsAreCaught() throws {
        let (dir, store) = try makeStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        let x: Int64 = 9_000, y: Int64 = 9_001
        let expected = try batch(of: x, store)
        XCTAssertEqual(try batch(of: y, store), expected)
        try withDatabase(store, dropping: ["event_no_update", "path_no_update"]) { db in
            let columns = try db.columns(in: "event").map(\.name).filter { $0 != "id" }
            let list = columns.joined(separator: ", ")
            try db.execute(sql: "CREATE TEMP TABLE swapped AS SELECT * FROM event WHERE id IN (?, ?)", arguments: [x, y])
            // Out of the way of the unique identity index first.
            try db.execute(sql: "UPDATE event SET part = part + 1000000 WHERE id IN (?, ?)", arguments: [x, y])
            try db.execute(sql: "UPDATE event SET (\(list)) = (SELECT \(list) FROM swapped WHERE id = ?) WHERE id = ?", arguments: [y, x])
            try db.execute(sql: "UPDATE event SET (\(list)) = (SELECT \(list) FROM swapped WHERE id = ?) WHERE id = ?", arguments: [x, y])
            let aside: Int64 = 1_000_000_000
            try db.execute(sql: "UPDATE path SET event_id = event_id + ? WHERE event_id IN (?, ?)", arguments: [aside, x, y])
            try db.execute(sql: "UPDATE path SET event_id = CASE event_id - ? WHEN ? THEN ? ELSE ? END WHERE event_id IN (?, ?)",
                           arguments: [aside, x, y, x, x + aside, y + aside])
            let serials = try Int64.fetchAll(db, sql: "SELECT serial FROM event WHERE id IN (?, ?) ORDER BY id", arguments: [x, y])
            XCTAssertEqual(serials.count, 2)
            XCTAssertGreaterThan(serials[0], serials[1], "the two events were not swapped")
        }
        try assertVerifyFails(store, firstBadBatch: expected)
    }

    // MARK: (f) the last batch row removed

    func testDeletedLastBatchRowIsCaught() throws {
        let (dir, store) = try makeStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        let last = try batchRows(store).last!.id
        try withDatabase(store, dropping: ["batch_no_delete"]) { db in
            try db.execute(sql: "DELETE FROM batch WHERE id = ?", arguments: [last])
        }
        try assertVerifyFails(store, firstBadBatch: last)
    }

    // MARK: (g) the whole last batch removed

    /// Everything the last batch covered is gone, so the rest of the chain is
    /// consistent; the `<store>-head` file still says that batch was committed.
    func testWholeLastBatchRemovedIsCaughtByHeadFile() throws {
        let (dir, store) = try makeStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: StorePath.headFile(for: store)), "no head file beside the store")
        let b = try batchRows(store).last!
        let triggers = ["text", "raw_block", "event", "path", "coverage", "batch"].map { $0 + "_no_delete" }
        try withDatabase(store, dropping: triggers) { db in
            try db.execute(sql: "DELETE FROM path WHERE event_id BETWEEN ? AND ?", arguments: [b.firstEvent, b.lastEvent])
            try db.execute(sql: "DELETE FROM event WHERE id BETWEEN ? AND ?", arguments: [b.firstEvent, b.lastEvent])
            try db.execute(sql: "DELETE FROM raw_block WHERE id BETWEEN ? AND ?", arguments: [b.firstBlock, b.lastBlock])
            try db.execute(sql: "DELETE FROM text WHERE id BETWEEN ? AND ?", arguments: [b.firstText, b.lastText])
            try db.execute(sql: "DELETE FROM coverage WHERE id BETWEEN ? AND ?", arguments: [b.firstCoverage, b.lastCoverage])
            try db.execute(sql: "DELETE FROM batch WHERE id = ?", arguments: [b.id])
        }
        try assertVerifyFails(store, firstBadBatch: b.id)
    }

    /// A damaged WAL: SQLite drops the frames from the damaged one on, so
    /// the last batch, committed in the WAL, silently vanishes from the
    /// store. The head file still names it: verify and status fail, every
    /// reader warns in one line, and no writer writes over the loss.
    func testDamagedWALIsNamedAndNothingIsWrittenOverIt() throws {
        let (dir, store) = try makeStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        let second = dir.appendingPathComponent("second.log").path
        try """
            type=SYSCALL msg=audit(1764000001.100:51): arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=1 a2=0 a3=0 items=1 ppid=1 pid=100 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=1 comm="cat" exe="/usr/bin/cat" key="wal"
            type=PATH msg=audit(1764000001.100:51): item=0 name="/etc/shadow" inode=5 dev=08:01 mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0

            """.write(toFile: second, atomically: true, encoding: .utf8)
        // A reader in the middle of a read transaction keeps the second
        // import's batch in the WAL: neither the import's checkpoint when it
        // is done nor the last connection to close can copy frames past a
        // snapshot someone still reads.
        var holding = Configuration()
        holding.allowsUnsafeTransactions = true
        let holder = try DatabaseQueue(path: store, configuration: holding)
        try holder.inDatabase { db in
            try db.beginTransaction(.deferred)
            _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM batch")
        }
        XCTAssertEqual(try TestSupport.auditq(["import", "-q", "--store", store, second]).status, 0)
        let copy = dir.appendingPathComponent("copy.db").path
        for suffix in ["", "-wal", "-head"] { try FileManager.default.copyItem(atPath: store + suffix, toPath: copy + suffix) }
        try holder.inDatabase { db in try db.rollback() }
        try holder.close()
        XCTAssertEqual(try TestSupport.auditq(["search", "--store", copy, "-k", "wal", "--format", "json"]).out.split(separator: "\n").count, 1)
        let head = try String(contentsOfFile: copy + "-head", encoding: .utf8)
        // (Read from the head file: opening the copy for writing here would checkpoint its WAL.)
        let batches = try XCTUnwrap(head.split(separator: "\n").first { $0.hasPrefix("batch ") }?.dropFirst(6))

        // One byte of the WAL's last frame (the second import's commit) flipped.
        var wal = try Data(contentsOf: URL(fileURLWithPath: copy + "-wal"))
        wal[wal.count - 100] ^= 0xFF
        try wal.write(to: URL(fileURLWithPath: copy + "-wal"))
        try FileManager.default.removeItem(atPath: copy + "-shm")

        let verify = try TestSupport.auditq(["verify", "--store", copy])
        XCTAssertEqual(verify.status, 1, verify.out + verify.stderr)
        XCTAssertTrue(verify.stderr.contains("chain truncated") && verify.stderr.contains("records batch \(batches)"), verify.stderr)
        let search = try TestSupport.auditq(["search", "--store", copy, "-k", "wal"])
        XCTAssertEqual(search.status, 1, "the event is gone: no match")
        XCTAssertTrue(search.stderr.hasPrefix("auditq: warning: \(copy): chain truncated"), search.stderr)
        XCTAssertEqual(try TestSupport.auditq(["status", "--store", copy]).status, 1)
        let write = try TestSupport.auditq(["import", "--store", copy, second])
        XCTAssertEqual(write.status, 65, write.stderr)
        XCTAssertEqual(write.stderr.split(separator: "\n").count, 1, write.stderr)
        XCTAssertTrue(write.stderr.contains("nothing written"), write.stderr)
        XCTAssertEqual(try String(contentsOfFile: copy + "-head", encoding: .utf8), head, "the head file still names the lost batch")
        XCTAssertEqual(try TestSupport.auditq(["verify", "--store", copy]).status, 1, "and verify still fails")
    }

    /// A store file cut short (a copy that stopped, a disk that lost its
    /// tail): every command names the file and the problem in one line and
    /// writes nothing; a deleted head file is named by verify.
    func testTruncatedStoreAndMissingHeadFileAreNamed() throws {
        let (dir, store) = try makeStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cut = dir.appendingPathComponent("cut.db").path
        let data = try Data(contentsOf: URL(fileURLWithPath: store))
        XCTAssertGreaterThan(data.count, 40_000)
        try data.prefix(data.count / 3).write(to: URL(fileURLWithPath: cut))
        let before = try Data(contentsOf: URL(fileURLWithPath: cut))
        for command in [["verify"], ["status"], ["search", "-k", "x"], ["summary"],
                        ["import", dir.appendingPathComponent("audit.log").path]] {
            let r = try TestSupport.auditq(command + ["--store", cut])
            XCTAssertNotEqual(r.status, 0, "\(command)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(command): \(r.stderr)")
            XCTAssertTrue(r.stderr.hasPrefix("auditq: \(cut): ") && r.stderr.contains("malformed"), "\(command): \(r.stderr)")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: cut)), before, "nothing was written")

        // A head file older than the chain (put back from a copy) is named too.
        let head = StorePath.headFile(for: store)
        try FileManager.default.copyItem(atPath: head, toPath: head + ".old")
        let more = dir.appendingPathComponent("more.log").path
        try "type=SYSCALL msg=audit(1764000001.100:51): arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=1 a2=0 a3=0 items=0 ppid=1 pid=100 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=1 comm=\"cat\" exe=\"/usr/bin/cat\" key=\"more\"\n"
            .write(toFile: more, atomically: true, encoding: .utf8)
        XCTAssertEqual(try TestSupport.auditq(["import", "-q", "--store", store, more]).status, 0)
        try FileManager.default.removeItem(atPath: head)
        try FileManager.default.moveItem(atPath: head + ".old", toPath: head)
        let stale = try TestSupport.auditq(["verify", "--store", store])
        XCTAssertEqual(stale.status, 0, stale.stderr)
        XCTAssertTrue(stale.out.contains("note: head file \(head) records batch"), stale.out)

        try FileManager.default.removeItem(atPath: head)
        let verify = try TestSupport.auditq(["verify", "--store", store])
        XCTAssertEqual(verify.status, 0)
        XCTAssertTrue(verify.out.contains("note: no head file beside the store"), verify.out)
    }

    // MARK: (h) the append-only triggers

    func testAppendOnlyTriggersRefuseUpdateAndDelete() throws {
        let (dir, store) = try makeStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        let statements = [
            "UPDATE event SET pid = 1",
            "DELETE FROM event",
            "UPDATE text SET value = value || '!' WHERE id = 1",
            "DELETE FROM text WHERE id = 1",
            "UPDATE raw_block SET raw_size = raw_size WHERE id = 1",
            "DELETE FROM raw_block WHERE id = 1",
            "UPDATE path SET inode = 0 WHERE event_id = 1",
            "DELETE FROM path WHERE event_id = 1",
            "UPDATE coverage SET detail = 'edited' WHERE id = 1",
            "DELETE FROM coverage WHERE id = 1",
            "UPDATE batch SET source = 'edited' WHERE id = 1",
            "DELETE FROM batch WHERE id = 1",
        ]
        try withDatabase(store, dropping: []) { db in
            for sql in statements {
                do {
                    try db.inSavepoint {
                        try db.execute(sql: sql)
                        return .commit
                    }
                    XCTFail("'\(sql)' was accepted")
                } catch let error as DatabaseError {
                    XCTAssertTrue((error.message ?? "").contains("append-only"), "'\(sql)': \(error)")
                }
            }
        }
        try assertVerifies(store)
        let summary = try TestSupport.auditq(["summary", "--store", store])
        XCTAssertTrue(summary.out.contains("Number of events: \(Self.eventCount)\n"), summary.out)
    }

    // MARK: (i) rows added outside the chain

    /// INSERT is not blocked by the triggers, so a forged row must be caught by
    /// verify wherever its id lies: after the last batch, or at id 0 or below,
    /// outside every batch's range.
    func testForgedRowsOutsideTheChainAreCaught() throws {
        let (dir, store) = try makeStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        let copyEvent = "INSERT INTO event (id, node, time_ms, serial, part, types, records, pid, uid, auid, ses, comm, exe, key, raw_block, raw_offset, raw_length) SELECT {ID}, node, time_ms, 999999, 0, types, records, 31337, 0, 0, ses, comm, exe, key, raw_block, raw_offset, raw_length FROM event WHERE id = 1"
        let forgeries: [(name: String, sql: String)] = [
            ("event after the last batch", copyEvent.replacingOccurrences(of: "{ID}", with: "(SELECT max(id) + 1 FROM event)")),
            ("event with id 0", copyEvent.replacingOccurrences(of: "{ID}", with: "0")),
            ("event with a negative id", copyEvent.replacingOccurrences(of: "{ID}", with: "-5")),
            ("path row of event 0", "INSERT INTO path (event_id, item, name) VALUES (0, 0, 1)"),
            ("path row with a negative event id", "INSERT INTO path (event_id, item, name) VALUES (-3, 0, 1)"),
            ("coverage row with id 0", "INSERT INTO coverage (id, kind, recorded_ms, count) VALUES (0, 'import', 0, 1)"),
            ("raw block with id 0", "INSERT INTO raw_block (id, codec, raw_size, data) SELECT 0, codec, raw_size, data FROM raw_block WHERE id = 1"),
            ("text with a negative id", "INSERT INTO text (id, value) VALUES (-1, 'forged')"),
        ]
        let files = [store, store + "-wal", StorePath.headFile(for: store)]
        for (n, forgery) in forgeries.enumerated() {
            let copy = dir.appendingPathComponent("copy\(n)")
            try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
            for f in files where FileManager.default.fileExists(atPath: f) {
                try FileManager.default.copyItem(atPath: f, toPath: copy.appendingPathComponent((f as NSString).lastPathComponent).path)
            }
            let copied = copy.appendingPathComponent((store as NSString).lastPathComponent).path
            // The schema's CHECK constraints refuse ids below 1; what gets in, verify must catch.
            do {
                try withDatabase(copied, dropping: []) { db in try db.execute(sql: forgery.sql) }
            } catch let error as DatabaseError {
                XCTAssertEqual(error.resultCode, .SQLITE_CONSTRAINT, "\(forgery.name): \(error)")
                continue
            }
            let v = try TestSupport.auditq(["verify", "--store", copied])
            XCTAssertEqual(v.status, 1, "\(forgery.name): verify did not notice the forged row: \(v.out)\(v.stderr)")
            XCTAssertTrue(v.stderr.contains("FAILED"), "\(forgery.name): \(v.stderr)")
        }
    }

    // MARK: helpers

    /// The generated log: each event is SYSCALL (openat) + CWD + PATH + EOE,
    /// distinct serials and pids, one new file name per event.
    struct Generated {
        let text: String
        static let shared = Generated(events: TamperTests.eventCount)

        init(events: Int) {
            var t = ""
            t.reserveCapacity(events * 900)
            for i in 0..<events {
                let serial = 500_000 + i
                let stamp = "\(1_682_609_045 + i / 20).\(String(format: "%03d", (i % 20) * 50)):\(serial)"
                let pid = 100_000 + i
                t += "type=SYSCALL msg=audit(\(stamp)): arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=7ffd6c1e a2=0 a3=0 items=1 ppid=3505 pid=\(pid) auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts7 ses=3 comm=\"cat\" exe=\"/usr/bin/cat\" subj=unconfined key=\"data-read\"\n"
                t += "type=CWD msg=audit(\(stamp)): cwd=\"/srv/data\"\n"
                t += "type=PATH msg=audit(\(stamp)): item=0 name=\"/srv/data/file-\(serial)\" inode=\(serial) dev=fd:01 mode=0100644 ouid=1000 ogid=1000 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0\n"
                t += "type=EOE msg=audit(\(stamp)): \n"
            }
            text = t
        }
    }

    /// A fresh store in a fresh directory, imported and verified.
    func makeStore(_ name: String = #function) throws -> (URL, String) {
        let dir = TestSupport.temporaryDirectory(name)
        let log = dir.appendingPathComponent("audit.log")
        try Data(Generated.shared.text.utf8).write(to: log)
        let store = dir.appendingPathComponent("s.db").path
        let r = try TestSupport.auditq(["import", "--store", store, log.path])
        XCTAssertEqual(r.status, 0, "import: \(r.stderr)")
        try assertVerifies(store)
        return (dir, store)
    }

    func assertVerifies(_ store: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let v = try TestSupport.auditq(["verify", "--store", store])
        XCTAssertEqual(v.status, 0, "verify: \(v.stderr)", file: file, line: line)
        XCTAssertTrue(v.out.contains("chain ok"), "verify: \(v.out)", file: file, line: line)
    }

    /// Exit 1, one line on stderr, naming "batch N" for the first bad batch.
    func assertVerifyFails(_ store: String, firstBadBatch n: Int64, file: StaticString = #filePath, line: UInt = #line) throws {
        let v = try TestSupport.auditq(["verify", "--store", store])
        XCTAssertEqual(v.status, 1, "verify did not fail: \(v.out)\(v.stderr)", file: file, line: line)
        XCTAssertFalse(v.out.contains("chain ok"), "verify said 'chain ok' for a tampered store", file: file, line: line)
        let lines = v.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "expected one line on stderr:\n\(v.stderr)", file: file, line: line)
        let named = try NSRegularExpression(pattern: "\\bbatch \(n)\\b")
        XCTAssertNotNil(named.firstMatch(in: v.stderr, range: NSRange(v.stderr.startIndex..., in: v.stderr)),
                        "stderr does not name the first bad batch, batch \(n):\n\(v.stderr)", file: file, line: line)
        // No earlier batch may be blamed.
        for earlier in 1..<max(1, n) {
            let blamed = try NSRegularExpression(pattern: "^auditq: verify FAILED: batch \(earlier)\\b")
            XCTAssertNil(blamed.firstMatch(in: v.stderr, range: NSRange(v.stderr.startIndex..., in: v.stderr)),
                         "verify blames batch \(earlier), before the changed batch \(n):\n\(v.stderr)", file: file, line: line)
        }
    }

    struct BatchRow {
        var id: Int64
        var firstText: Int64, lastText: Int64
        var firstBlock: Int64, lastBlock: Int64
        var firstEvent: Int64, lastEvent: Int64
        var firstCoverage: Int64, lastCoverage: Int64
    }

    func batchRows(_ store: String) throws -> [BatchRow] {
        let queue = try DatabaseQueue(path: store)
        defer { try? queue.close() }
        return try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM batch ORDER BY id").map {
                BatchRow(id: $0["id"], firstText: $0["first_text"], lastText: $0["last_text"],
                         firstBlock: $0["first_block"], lastBlock: $0["last_block"],
                         firstEvent: $0["first_event"], lastEvent: $0["last_event"],
                         firstCoverage: $0["first_coverage"], lastCoverage: $0["last_coverage"])
            }
        }
    }

    /// The batch whose first_event…last_event holds event `id`.
    func batch(of id: Int64, _ store: String) throws -> Int64 {
        let rows = try batchRows(store)
        guard let b = rows.first(where: { $0.firstEvent <= id && id <= $0.lastEvent }) else {
            XCTFail("no batch covers event \(id)")
            return -1
        }
        return b.id
    }

    /// A raw SQLite write to the store file, outside auditq, with the named
    /// triggers dropped first; the connection is closed before returning.
    @discardableResult
    func withDatabase<T>(_ store: String, dropping triggers: [String], _ body: (Database) throws -> T) throws -> T {
        let queue = try DatabaseQueue(path: store)
        defer { try? queue.close() }
        return try queue.writeWithoutTransaction { db in
            for t in triggers { try db.execute(sql: "DROP TRIGGER \(t)") }
            return try body(db)
        }
    }
}
