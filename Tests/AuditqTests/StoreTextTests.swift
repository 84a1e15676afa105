import Foundation
import GRDB
import XCTest

/// Decoded values are stored whole: a hex-encoded comm holding a NUL byte
/// keeps every byte in the store, and the chain still verifies.
final class StoreTextTests: XCTestCase {
    func testValueWithNulByteIsStoredWhole() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("audit.log")
        // comm = "foo\0bar", exe = "/tmp/a b" (hex, as the kernel writes untrusted strings)
        try """
        type=SYSCALL msg=audit(1700000000.123:77): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 items=0 ppid=1 pid=4242 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=3 comm=666F6F00626172 exe=2F746D702F612062 key="nul-test"
        type=EOE msg=audit(1700000000.123:77): \n
        """.write(to: log, atomically: true, encoding: .utf8)
        let store = dir.appendingPathComponent("s.db").path
        XCTAssertEqual(try TestSupport.auditq(["import", "--store", store, log.path]).status, 0)
        XCTAssertEqual(try TestSupport.auditq(["verify", "--store", store]).status, 0)
        let lengths = try DatabaseQueue(path: store).read { db in
            try Int.fetchAll(db, sql: "SELECT length(CAST(value AS BLOB)) FROM text WHERE value LIKE 'foo%' OR value LIKE '/tmp/a%' ORDER BY 1")
        }
        XCTAssertEqual(lengths, [7, 8])
        let found = try TestSupport.auditq(["search", "--store", store, "-x", "/tmp/a b", "--format", "csv"])
        XCTAssertEqual(found.status, 0)
        XCTAssertTrue(found.out.contains(",4242,"), found.out)
    }
}
