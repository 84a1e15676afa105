import Foundation
import XCTest

/// Who may read a store: a user who is not its owner or group gets one line
/// and exit 77 from every command; a store opened up to every user is named
/// by verify (a warning when readable, a failure when writable) and fails
/// PCI 10.3; auditqd without the audit capabilities exits 77.
final class PermissionTests: XCTestCase {
    /// A folder nobody can enter, holding copies of the binaries and a store.
    func setUp(_ name: String = #function) throws -> (dir: URL, store: String, binaries: URL) {
        guard geteuid() == 0, TestSupport.which("setpriv") != nil else {
            throw TestSupport.missing("needs root and setpriv to run as nobody")
        }
        let dir = TestSupport.temporaryDirectory(name)
        chmod(dir.path, 0o755)
        let store = dir.appendingPathComponent("s.db").path
        let imported = try TestSupport.auditq(["import", "-q", "--store", store,
                                               TestSupport.repository.appendingPathComponent("tools/sample/audit.log").path])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        for name in ["auditq", "auditqd"] {
            let copy = dir.appendingPathComponent(name).path
            try FileManager.default.copyItem(atPath: TestSupport.productsDirectory.appendingPathComponent(name).path, toPath: copy)
            chmod(copy, 0o755)
        }
        return (dir, store, dir)
    }

    func asNobody(_ binary: URL, _ arguments: [String]) throws -> TestSupport.Result {
        try TestSupport.run(TestSupport.which("setpriv")!, ["--reuid=65534", "--regid=65534", "--clear-groups", "--", binary.path] + arguments)
    }

    func testAnotherUserGetsOneLineAndExit77() throws {
        let (dir, store, binaries) = try setUp()
        defer { try? FileManager.default.removeItem(at: dir) }
        let before = try Data(contentsOf: URL(fileURLWithPath: store))
        for command in [["search", "-k", "x"], ["status"], ["verify"], ["summary"], ["report", "file"],
                        ["import", TestSupport.repository.appendingPathComponent("tools/sample/audit.log").path]] {
            let r = try asNobody(binaries.appendingPathComponent("auditq"), command + ["--store", store])
            XCTAssertEqual(r.status, 77, "\(command): \(r.stderr)")
            XCTAssertEqual(r.stderr, "auditq: \(store): permission denied (the store is its owner's and group's: run as root or as a member of its group)\n", "\(command)")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: store)), before, "the store is unchanged")
    }

    func testAStoreOpenToEveryUserIsNamed() throws {
        let (dir, store, _) = try setUp()
        defer { try? FileManager.default.removeItem(at: dir) }
        chmod(store, 0o644)
        let readable = try TestSupport.auditq(["verify", "--store", store])
        XCTAssertEqual(readable.status, 0, readable.stderr)
        XCTAssertTrue(readable.out.contains("warning: \(store) is mode 644: readable by every user"), readable.out)
        let report = try ComplianceTests.report(store)
        let control = ComplianceTests.control(report, "10.3")
        XCTAssertEqual(control["status"] as? String, "fail", "\(control)")
        XCTAssertTrue((control["reason"] as? String ?? "").contains("\(store) is mode 644"), "\(control)")

        chmod(store, 0o666)
        let writable = try TestSupport.auditq(["verify", "--store", store])
        XCTAssertEqual(writable.status, 1)
        XCTAssertEqual(writable.stderr, "auditq: verify FAILED: \(store) is mode 666: writable by every user\n")
        chmod(store, 0o640)
        XCTAssertFalse(try TestSupport.auditq(["verify", "--store", store]).out.contains("warning"))
    }

    func testAuditqdWithoutAuditCapabilitiesExits77() throws {
        let (dir, _, binaries) = try setUp()
        defer { try? FileManager.default.removeItem(at: dir) }
        let own = dir.appendingPathComponent("nobody")
        try FileManager.default.createDirectory(at: own, withIntermediateDirectories: true)
        XCTAssertEqual(chown(own.path, 65534, 65534), 0)
        for mode in ["primary", "passive"] {
            let r = try asNobody(binaries.appendingPathComponent("auditqd"),
                                 ["--store", own.appendingPathComponent("s.db").path, "--no-sensor", "--mode", mode])
            XCTAssertEqual(r.status, 77, "\(mode): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            XCTAssertTrue(r.stderr.contains("needs root"), r.stderr)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: own.path), [], "no store was made")
    }
}
