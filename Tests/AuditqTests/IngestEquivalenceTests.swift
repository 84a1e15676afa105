import AuditQuery
import AuditStore
import Foundation
import GRDB
import XCTest

/// Every source feeds one ingest pipeline: importing a log, and collecting
/// the same records live (auditd's plugin stream on stdin, a followed log),
/// store the same event rows — every column, the same text ids, the same
/// PATH rows — and the same bytes the hash chain covers for each of them.
final class IngestEquivalenceTests: XCTestCase {
    /// A real log made on this machine (auditd 3.0.9, RAW format).
    var sample: URL { TestSupport.repository.appendingPathComponent("tools/sample/audit.log") }

    func testImportAndLiveCollectionStoreTheSameEventsAndHashes() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let imported = dir.appendingPathComponent("import.db").path
        let result = try TestSupport.auditq(["import", "-q", "--store", imported, sample.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        let reference = try rows(imported)
        XCTAssertGreaterThan(reference.events.count, 400, "the sample log holds 410 events")
        XCTAssertGreaterThan(reference.paths.count, 0)

        // auditd's plugin stream: the log's records on stdin, to its end.
        let plugin = dir.appendingPathComponent("plugin.db").path
        let pluginRun = try AuditqdProcess(["--plugin", "--store", plugin], stdin: true)
        pluginRun.inPipe.fileHandleForWriting.write(try Data(contentsOf: sample))
        try pluginRun.inPipe.fileHandleForWriting.close()
        XCTAssertEqual(pluginRun.stop(signal: 0, timeout: 60), 0, pluginRun.stderr)
        try assertSame(try rows(plugin), reference, "the plugin stream")

        // A followed log, until every event is in.
        let log = dir.appendingPathComponent("audit.log").path
        try FileManager.default.copyItem(atPath: sample.path, toPath: log)
        let followed = dir.appendingPathComponent("follow.db").path
        let followRun = try AuditqdProcess(["--follow", log, "--store", followed])
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, (try? eventCount(followed)) ?? 0 < reference.events.count { usleep(100_000) }
        XCTAssertEqual(followRun.stop(), 0, followRun.stderr)
        try assertSame(try rows(followed), reference, "a followed log")

        for store in [imported, plugin, followed] {
            let verify = try TestSupport.auditq(["verify", "--store", store])
            XCTAssertEqual(verify.status, 0, verify.out + verify.stderr)
        }
    }

    struct Rows {
        /// Each event row as the chain encodes it (its position in a raw
        /// block aside: batches cut blocks where they end), then its raw text.
        var events: [[UInt8]] = []
        var paths: [[UInt8]] = []
        var texts: [String] = []
    }

    func eventCount(_ path: String) throws -> Int {
        guard FileManager.default.fileExists(atPath: path) else { return 0 }
        let store = try EventStore(path: path, access: .read)
        return try store.pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM event") ?? 0 }
    }

    func rows(_ path: String) throws -> Rows {
        let store = try EventStore(path: path, access: .read)
        let reader = EventReader(store: store)
        var out = Rows()
        try store.pool.read { db in
            let last = try Int64.fetchOne(db, sql: "SELECT max(id) FROM event") ?? 0
            let paths = try Int64.fetchOne(db, sql: "SELECT max(event_id) FROM path") ?? 0
            let all = ChainHasher.Ranges(text: .init(first: 1, last: 0), block: .init(first: 1, last: 0),
                                         event: .init(first: 1, last: max(last, paths)), coverage: .init(first: 1, last: 0))
            for row in try ChainHasher.values(db, .event, ranges: all) {
                out.events.append(Self.encode(Array(row.dropLast(3)) + [row.last!]))
            }
            out.paths = try ChainHasher.values(db, .path, ranges: all).map(Self.encode)
            out.texts = try String.fetchAll(db, sql: "SELECT value FROM text ORDER BY id")
        }
        var i = 0
        try reader.forEach(EventFilter()) { event, db in
            if i < out.events.count { out.events[i] += Array(try reader.raw(event, db)) }
            i += 1
        }
        XCTAssertEqual(i, out.events.count, "every event row is read back with its raw text")
        return out
    }

    static func encode(_ values: [ChainHasher.Value]) -> [UInt8] {
        var bytes: [UInt8] = []
        for value in values {
            switch value {
            case .null: bytes.append(0)
            case .integer(let v): bytes.append(1); withUnsafeBytes(of: v.littleEndian) { bytes += $0 }
            case .real(let v): bytes.append(2); withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 }
            case .text(let b): bytes.append(3); withUnsafeBytes(of: Int64(b.count).littleEndian) { bytes += $0 }; bytes += b
            case .blob(let b): bytes.append(4); withUnsafeBytes(of: Int64(b.count).littleEndian) { bytes += $0 }; bytes += b
            }
        }
        return bytes
    }

    func assertSame(_ got: Rows, _ expected: Rows, _ source: String, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(got.events.count, expected.events.count, "\(source): event count", file: file, line: line)
        if let i = zip(got.events, expected.events).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
            XCTFail("\(source): event \(i + 1) differs from the imported one:\n  got:      \(String(decoding: got.events[i], as: UTF8.self).prefix(400))\n  expected: \(String(decoding: expected.events[i], as: UTF8.self).prefix(400))", file: file, line: line)
        }
        XCTAssertEqual(got.paths, expected.paths, "\(source): PATH rows", file: file, line: line)
        XCTAssertEqual(got.texts, expected.texts, "\(source): text values and their ids", file: file, line: line)
    }
}
