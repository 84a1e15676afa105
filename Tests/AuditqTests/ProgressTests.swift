import Foundation
import XCTest

/// Import shows progress (file, percent of bytes, events, events/s) on a
/// terminal and stays quiet when stderr is not one.
final class ProgressTests: XCTestCase {
    func testProgressOnATerminalOnly() throws {
        guard let script = TestSupport.which("script") else { throw TestSupport.missing("script(1) is not installed") }
        let sample = TestSupport.repository.appendingPathComponent("tools/sample/audit.log").path
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }

        // script(1) gives the command a pseudo-terminal; what it wrote there comes back on stdout.
        let tty = dir.appendingPathComponent("tty.db").path
        let command = "'\(TestSupport.auditq)' import --store '\(tty)' '\(sample)'"
        let onTerminal = try TestSupport.run(script, ["-q", "-e", "-c", command, "/dev/null"])
        XCTAssertEqual(onTerminal.status, 0, onTerminal.out)
        XCTAssertTrue(onTerminal.out.contains("importing audit.log 100%"), onTerminal.out)
        XCTAssertTrue(onTerminal.out.contains("events/s"), onTerminal.out)

        let piped = try TestSupport.auditq(["import", "--store", dir.appendingPathComponent("pipe.db").path, sample])
        XCTAssertEqual(piped.status, 0)
        XCTAssertEqual(piped.stderr, "", "progress must stay off when stderr is not a terminal")
        XCTAssertTrue(piped.out.hasPrefix("imported 410 new event(s)"), piped.out)
    }
}
