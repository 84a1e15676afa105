import Foundation
import XCTest

/// The whole --help text of each command, against Tests/AuditqTests/Snapshots.
/// Regenerate with AUDITQ_REGENERATE_GOLDEN=1 and review the diff.
final class HelpSnapshotTests: XCTestCase {
    static let folder = TestSupport.repository.appendingPathComponent("Tests/AuditqTests/Snapshots")

    func testHelpTexts() throws {
        for command in [[], ["import"], ["search"], ["summary"], ["tree"], ["timeline"], ["verify"], ["checkpoint"], ["export"], ["status"], ["containers"], ["profile"], ["detect"], ["alerts"],
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

    /// Both executables print one version and say a failure the same way:
    /// one line naming the tool, the exit status from one mapping.
    func testBothExecutablesShareVersionMainAndExitStatuses() throws {
        let versions = try [TestSupport.auditq(["--version"]), TestSupport.run(AuditqdProcess.executable, ["--version"])]
        XCTAssertEqual(versions.map(\.status), [0, 0])
        XCTAssertEqual(versions[0].out, versions[1].out)
        XCTAssertFalse(versions[0].out.isEmpty)

        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let notAStore = dir.appendingPathComponent("not-a-store.db")
        try Data("not an SQLite file\n".utf8).write(to: notAStore)
        let cases: [(tool: String, result: TestSupport.Result, status: Int32)] = [
            ("auditq", try TestSupport.auditq(["search", "--store", notAStore.path]), 65),
            ("auditqd", try TestSupport.run(AuditqdProcess.executable, ["--follow", "/etc/hostname", "--store", notAStore.path]), 65),
            ("auditq", try TestSupport.auditq(["search", "--store", dir.appendingPathComponent("missing.db").path]), 66),
            ("auditqd", try TestSupport.run(AuditqdProcess.executable, ["--follow", dir.appendingPathComponent("missing/audit.log").path,
                                                                        "--store", dir.appendingPathComponent("s.db").path]), 66),
            ("auditq", try TestSupport.auditq(["search", "--no-such-option"]), 64),
            ("auditqd", try TestSupport.run(AuditqdProcess.executable, ["--no-such-option"]), 64),
        ]
        for c in cases {
            XCTAssertEqual(c.result.status, c.status, "\(c.tool): \(c.result.stderr)")
            XCTAssertEqual(c.result.stderr.split(separator: "\n").count, 1, c.result.stderr)
            XCTAssertTrue(c.result.stderr.hasPrefix("\(c.tool): "), c.result.stderr)
        }
    }
}
