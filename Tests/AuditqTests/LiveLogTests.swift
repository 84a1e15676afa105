import Foundation
import XCTest

/// A log produced on this machine by a real auditd (tools/make-audit-log:
/// private config dir, rules with a unique key, a small workload, audit
/// state restored), imported, and compared with ausearch.
final class LiveLogTests: XCTestCase {
    func testLiveLogMatchesAusearch() throws {
        guard geteuid() == 0 else { throw TestSupport.missing("needs root to run auditd and load audit rules") }
        guard let ausearch = TestSupport.which("ausearch"), TestSupport.which("auditd") != nil else {
            throw TestSupport.missing("auditd/ausearch are not installed")
        }
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = "auditq-test-\(getpid())"
        let script = TestSupport.repository.appendingPathComponent("tools/make-audit-log").path
        let made = try TestSupport.run(script, [dir.appendingPathComponent("gen").path, "--events", "1500", "--key", key])
        XCTAssertEqual(made.status, 0, "make-audit-log failed: \(made.stderr)")
        guard made.status == 0 else { return }
        let log = dir.appendingPathComponent("gen/audit.log").path
        let store = dir.appendingPathComponent("s.db").path
        let imported = try TestSupport.auditq(["import", "--store", store, log])
        XCTAssertEqual(imported.status, 0, imported.stderr)

        let theirs = try TestSupport.run(ausearch, ["-if", log, "-k", key, "--raw"])
        let ours = try TestSupport.auditq(["search", "--store", store, "-k", key, "--raw"])
        XCTAssertEqual(theirs.status, 0)
        XCTAssertGreaterThan(theirs.out.split(separator: "\n").count, 1500)
        XCTAssertEqual(ours.out, theirs.out, "auditq search -k --raw differs from ausearch -k --raw")

        // Every distinct msg=audit(time:serial) of the log is one stored event.
        let text = try String(contentsOfFile: log, encoding: .utf8)
        var stamps = Set<Substring>()
        for line in text.split(separator: "\n") {
            guard let open = line.range(of: "msg=audit("), let close = line[open.upperBound...].firstIndex(of: ")") else { continue }
            stamps.insert(line[open.upperBound..<close])
        }
        let json = try TestSupport.auditq(["search", "--store", store, "--format", "json"])
        XCTAssertEqual(json.out.split(separator: "\n").count, stamps.count)

        // The failed opens the workload makes are found as ausearch finds them.
        let failedRef = try TestSupport.run(ausearch, ["-if", log, "-k", key, "-sv", "no", "-sc", "openat", "--raw"])
        let failedOurs = try TestSupport.auditq(["search", "--store", store, "-k", key, "-sv", "no", "-sc", "openat", "--raw"])
        XCTAssertEqual(failedOurs.out, failedRef.out)
        XCTAssertEqual(try TestSupport.auditq(["verify", "--store", store]).status, 0)
    }
}
