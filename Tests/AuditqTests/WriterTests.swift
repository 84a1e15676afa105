import AuditRecords
import AuditStore
import Foundation
import GRDB
import XCTest

/// The writer on its own, through its API.
final class WriterTests: XCTestCase {
    func event(_ serial: Int64) -> AuditEvent {
        var e = AuditEvent()
        e.timeMs = 1_700_000_000_000 + serial
        e.serial = serial
        e.recordTypes = [1300]
        e.pid = serial
        e.exe = "/usr/bin/writer-\(serial % 7)"
        e.raw = Array("type=SYSCALL msg=audit(\(1_700_000_000 + serial / 1000).\(String(format: "%03d", serial % 1000)):\(serial)): pid=\(serial)\n".utf8)
        return e
    }

    /// Two writers on one store (two processes, in effect) take turns: each
    /// notices the other's batches, nothing is overwritten or skipped, and
    /// the chain verifies.
    func testTwoWritersTakingTurnsKeepEveryEvent() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("s.db").path
        let a = EventWriter(store: try EventStore(path: path, access: .write))
        let b = EventWriter(store: try EventStore(path: path, access: .write))
        var expected = 0
        for round in 0..<4 {
            let writer = round % 2 == 0 ? a : b
            let events = (0..<50).map { event(Int64(round * 100 + $0 + 1)) }
            let result = try writer.commit(events: events, source: "test")
            XCTAssertEqual(result.inserted, 50, "round \(round)")
            expected += 50
        }
        // The same events again through the other writer: all duplicates.
        let again = try b.commit(events: (0..<50).map { event(Int64($0 + 1)) }, source: "test")
        XCTAssertEqual(again.inserted, 0)
        let report = try ChainVerifier.verify(try EventStore(path: path, access: .read))
        XCTAssertTrue(report.ok, report.problem ?? "")
        XCTAssertEqual(report.events, Int64(expected))
    }

    /// One batch mixing events already stored, new events (more than one
    /// multi-row insert's worth, with PATH items) and repeats within the
    /// batch: exactly the new ones are stored, once each, with consecutive
    /// ids in the batch's order, their PATH rows and raw text intact, and
    /// the chain verifies.
    func testBatchMixingStoredNewAndRepeatedEventsStoresEachNewOneOnce() throws {
        try mixedBatch(prefetchLimit: 65_536)
    }

    /// The same when the batch's time span holds more stored events than the
    /// writer reads at once: each event is then looked up alone.
    func testBatchMixingStoredAndNewEventsPastThePrefetchLimit() throws {
        try mixedBatch(prefetchLimit: 4)
    }

    func mixedBatch(prefetchLimit: Int) throws {
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("s.db").path
        let writer = EventWriter(store: try EventStore(path: path, access: .write), prefetchLimit: prefetchLimit)
        func withPath(_ serial: Int64) -> AuditEvent {
            var e = event(serial)
            e.paths = [PathItem(item: 0, name: "/etc/file-\(serial)", inode: serial, mode: 0o100644, nametype: "NORMAL", ouid: 0)]
            return e
        }
        // Stored first: every third serial from 1 to 60.
        let first = stride(from: 1, through: 60, by: 3).map { withPath(Int64($0)) }
        XCTAssertEqual(try writer.commit(events: first, source: "test").inserted, first.count)
        // Then 1...60 (a third of them stored), with 10...19 repeated.
        let batch = (1...60).map { withPath(Int64($0)) } + (10...19).map { withPath(Int64($0)) }
        let result = try writer.commit(events: batch, source: "test")
        XCTAssertEqual(result.inserted, 40)
        XCTAssertEqual(result.duplicates, 30)

        let store = try EventStore(path: path, access: .read)
        let rows = try store.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT e.id, e.serial, p.inode FROM event e JOIN path p ON p.event_id = e.id ORDER BY e.id")
        }
        let serials: [Int64] = rows.map { $0[1] }
        XCTAssertEqual(serials.count, 60, "each event once, each with its PATH row")
        XCTAssertEqual(Set(serials).count, 60)
        XCTAssertEqual(rows.map { $0[0] as Int64 }, Array(1...60), "ids consecutive")
        XCTAssertEqual(rows.map { $0[2] as Int64 }, serials, "each PATH row belongs to its event")
        let second = rows.dropFirst(first.count).map { $0[1] as Int64 }
        XCTAssertEqual(second, (1...60).filter { ($0 - 1) % 3 != 0 }.map(Int64.init), "new events in batch order")
        let report = try ChainVerifier.verify(store)
        XCTAssertTrue(report.ok, report.problem ?? "")
        XCTAssertEqual(report.events, 60)
    }
}
