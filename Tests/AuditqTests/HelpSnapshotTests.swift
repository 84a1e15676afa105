import Foundation
import XCTest

/// The whole --help text of each command, against Tests/AuditqTests/Snapshots.
/// Regenerate with AUDITQ_REGENERATE_GOLDEN=1 and review the diff.
final class HelpSnapshotTests: XCTestCase {
    static let folder = TestSupport.repository.appendingPathComponent("Tests/AuditqTests/Snapshots")

    func testHelpTexts() throws {
        for command in [[], ["import"], ["search"], ["summary"], ["tree"], ["timeline"], ["verify"], ["checkpoint"], ["export"], ["status"],
                        ["rules"], ["rules", "load"], ["rules", "list"], ["rules", "diff"], ["auditqd"],
                        ["report"], ["report", "summary"], ["report", "auth"], ["report", "login"], ["report", "user"],
                        ["report", "executable"], ["report", "file"], ["report", "syscall"], ["report", "key"],
                        ["report", "anomaly"], ["report", "mods"], ["report", "config"]] {
            let result = command == ["auditqd"]
                ? try TestSupport.run(AuditqdProcess.executable, ["--help"])
                : try TestSupport.auditq(command + ["--help"])
            XCTAssertEqual(result.status, 0)
            let name = (command == ["auditqd"] ? command : ["auditq"] + command).joined(separator: "-") + ".txt"
            let file = Self.folder.appendingPathComponent(name)
            if ProcessInfo.processInfo.environment["AUDITQ_REGENERATE_GOLDEN"] == "1" {
                try FileManager.default.createDirectory(at: Self.folder, withIntermediateDirectories: true)
                try result.out.write(to: file, atomically: true, encoding: .utf8)
                continue
            }
            XCTAssertEqual(result.out, try String(contentsOf: file, encoding: .utf8), "\(name) changed")
        }
    }
}
