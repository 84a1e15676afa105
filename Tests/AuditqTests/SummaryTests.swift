import Foundation
import XCTest

/// `auditq summary` prints aureport --summary's figures, counted the way
/// aureport counts them, for every corpus file and the shipped sample.
final class SummaryTests: XCTestCase {
    /// Files where auditq reads more than aureport, on purpose.
    static let known: [String: String] = [
        "audit-ubuntu16.log": "aureport skips the AppArmor AVC event; auditq keeps it",
        "record-avc-apparmor.txt": "aureport skips the AppArmor AVC event; auditq keeps it",
        "audit-rhel7.log": "auditq keeps the old DAEMON_CONFIG record written without a colon after its stamp",
        "audit-rhel6.log": "aureport does not list the cwd of this USER_CMD record as a file",
        "record-bind-ipv4-bigendian.txt": "auditq decodes the big-endian socket address (host 0.0.0.0)",
        "record-uringop.txt": "auditq reads the pid of URINGOP records",
    ]

    func testFiguresMatchAureport() throws {
        guard let aureport = TestSupport.which("aureport") else { throw TestSupport.missing("aureport is not installed") }
        let files = try TestSupport.corpusLogs()
            + [TestSupport.repository.appendingPathComponent("tools/sample/audit.log")]
        var compared = 0
        for file in files where Self.known[file.lastPathComponent] == nil {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let store = dir.appendingPathComponent("s.db").path
            XCTAssertEqual(try TestSupport.auditq(["import", "-q", "--store", store, file.path]).status, 0)
            func figures(_ text: String) -> [String] {
                text.split(separator: "\n").map(String.init).filter { $0.hasPrefix("Number of ") }
            }
            let theirs = figures(try TestSupport.run(aureport, ["-if", file.path, "--summary"]).out)
            let ours = figures(try TestSupport.auditq(["summary", "--store", store]).out)
            XCTAssertEqual(theirs.count, 23, "aureport printed \(theirs)")
            XCTAssertEqual(Array(ours.prefix(theirs.count)), theirs, file.lastPathComponent)
            compared += 1
        }
        XCTAssertGreaterThan(compared, 25)
    }
}
