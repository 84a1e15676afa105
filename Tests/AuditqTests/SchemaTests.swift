@testable import AuditStore
import Foundation
import GRDB
import XCTest

/// The binaries carry schema/*.sql (tools/embed-schema); the two must agree.
final class SchemaTests: XCTestCase {
    func testCarriedMigrationsMatchSchemaFolder() throws {
        let folder = TestSupport.repository.appendingPathComponent("schema")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".sql") }.sorted()
        XCTAssertEqual(SchemaMigrations.all.map(\.name), files,
                       "schema/ and the carried migrations list different files: run tools/embed-schema")
        for migration in SchemaMigrations.all {
            let text = try String(contentsOf: folder.appendingPathComponent(migration.name), encoding: .utf8)
            XCTAssertEqual(migration.sql + "\n", text, "\(migration.name) differs from the carried copy: run tools/embed-schema")
        }
    }

    func testMigrationsAreNumberedInOrder() {
        let numbers = SchemaMigrations.all.compactMap { Int($0.name.prefix(4)) }
        XCTAssertEqual(numbers, Array(1...numbers.count))
    }

    /// A store a newer auditq migrated further: every command says so in one
    /// line (exit 65) and none writes to it.
    func testStoreFromANewerAuditqIsRefused() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = dir.appendingPathComponent("s.db").path
        let sample = TestSupport.repository.appendingPathComponent("tools/sample/audit.log").path
        XCTAssertEqual(try TestSupport.auditq(["import", "-q", "--store", store, sample]).status, 0)
        let queue = try DatabaseQueue(path: store)
        try queue.write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('0099_future.sql')") }
        try queue.close()
        let before = try Data(contentsOf: URL(fileURLWithPath: store))
        for command in [["verify"], ["status"], ["search", "-k", "x"], ["report", "file"], ["import", sample]] {
            let r = try TestSupport.auditq(command + ["--store", store])
            XCTAssertEqual(r.status, 65, "\(command): \(r.stderr)")
            XCTAssertEqual(r.stderr, "auditq: \(store) was written by a newer auditq (unknown migration 0099_future.sql)\n", "\(command)")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: store)), before)
    }
}
