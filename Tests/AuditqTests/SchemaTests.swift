@testable import AuditStore
import Foundation
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
}
