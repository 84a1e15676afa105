import Foundation
import GRDB
import XCTest

/// Readers while a large import writes: every search sees whole batches
/// only (its event count is one the chain's batch ends allow), status and a
/// report answer, and the import ends with every event stored once.
final class ConcurrentReadTests: XCTestCase {
    func testReadersDuringAnImportSeeWholeBatchesOnly() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("audit.log").path, store = dir.appendingPathComponent("s.db").path
        let total = 60_000
        try FullDiskTests.execLog(total).write(toFile: log, atomically: false, encoding: .utf8)

        let importer = Process()
        importer.executableURL = URL(fileURLWithPath: TestSupport.auditq)
        importer.arguments = ["import", "-q", "--store", store, log]
        importer.standardOutput = FileHandle.nullDevice
        importer.standardError = FileHandle.nullDevice
        try importer.run()

        var seen: [Int] = [], statuses = 0, reports = 0
        while importer.isRunning {
            let r = try TestSupport.auditq(["search", "--store", store, "-k", "exec", "--format", "csv"])
            if r.status == 0 { seen.append(r.out.split(separator: "\n").count - 1) }
            if try TestSupport.auditq(["status", "--store", store, "--format", "json"]).stdout.isEmpty == false { statuses += 1 }
            if try TestSupport.auditq(["report", "executable", "--summary", "--store", store]).status == 0 { reports += 1 }
        }
        importer.waitUntilExit()
        XCTAssertEqual(importer.terminationStatus, 0)
        XCTAssertGreaterThan(seen.count, 0, "a search ran while the import wrote")
        XCTAssertGreaterThan(statuses + reports, 0)

        // The event count after each batch, from the chain.
        let queue = try DatabaseQueue(path: store, configuration: { var c = Configuration(); c.readonly = true; return c }())
        let ends = Set(try queue.read { db in try Int.fetchAll(db, sql: "SELECT last_event FROM batch WHERE last_event >= first_event") })
        for count in seen where count > 0 {
            XCTAssertTrue(ends.contains(count), "a search saw \(count) events: not the end of a committed batch")
        }
        XCTAssertEqual(TestSupport.storedCount(store, ["-k", "exec"]), total)
        XCTAssertEqual(try TestSupport.auditq(["verify", "--store", store]).status, 0)
    }
}
