import AuditRecords
import AuditStore
import Foundation
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
}
