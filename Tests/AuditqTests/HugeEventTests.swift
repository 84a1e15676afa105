import Foundation
import XCTest

/// Events at the sizes a log can hold: an execve of 1000 arguments (128 KiB
/// of argv, spread over EXECVE records as the kernel spreads them, some
/// hex-encoded), 200 PATH items and a 60 KiB PROCTITLE record. Each is stored
/// whole: `--raw` gives the records back as read, argv and the paths are
/// complete, the chain verifies, and the small event after it is intact.
final class HugeEventTests: XCTestCase {
    static let argumentCount = 1000
    static let pathCount = 200

    /// Argument i: 130 letters and digits; every 50th holds a space, which
    /// the kernel logs hex-encoded.
    static func argument(_ i: Int) -> String {
        let body = "arg\(i)-" + String(repeating: "x", count: 130)
        return String((i % 50 == 49 ? body.replacingOccurrences(of: "xx", with: "x ", options: [], range: nil) : body).prefix(130))
    }

    static func hex(_ s: String) -> String { s.utf8.map { String(format: "%02X", $0) }.joined() }

    /// The log: the huge event (serial 700), then a small one (serial 701).
    static func log() -> String {
        let stamp = "msg=audit(1764000000.123:700):"
        var lines = ["type=SYSCALL \(stamp) arch=c000003e syscall=59 success=yes exit=0 a0=55d0 a1=55d1 a2=55d2 a3=0 items=\(pathCount) ppid=1 pid=4242 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=3 comm=\"true\" exe=\"/usr/bin/true\" key=\"huge\""]
        // The kernel starts a new EXECVE record when one would pass ~7.5 KB.
        var record = "type=EXECVE \(stamp) argc=\(argumentCount)"
        for i in 0..<argumentCount {
            let value = i == 0 ? "/usr/bin/true" : argument(i)
            let field = value.contains(" ") ? " a\(i)=\(hex(value))" : " a\(i)=\"\(value)\""
            if record.utf8.count + field.utf8.count > 7500 {
                lines.append(record)
                record = "type=EXECVE \(stamp)"
            }
            record += field
        }
        lines.append(record)
        lines.append("type=CWD \(stamp) cwd=\"/tmp/huge\"")
        for i in 0..<pathCount {
            lines.append("type=PATH \(stamp) item=\(i) name=\"/tmp/huge/f\(i)\" inode=\(9000 + i) dev=08:01 mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0")
        }
        // 30 KiB of title, 60 KiB of hex (the line limit is 64 KiB).
        let title = "true\u{0}" + String(repeating: "t", count: 30 * 1024 - 5)
        lines.append("type=PROCTITLE \(stamp) proctitle=\(hex(title))")
        let small = "msg=audit(1764000000.200:701):"
        lines.append("type=SYSCALL \(small) arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=1 a2=0 a3=0 items=1 ppid=1 pid=4243 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=3 comm=\"cat\" exe=\"/usr/bin/cat\" key=\"huge\"")
        lines.append("type=CWD \(small) cwd=\"/tmp/huge\"")
        lines.append("type=PATH \(small) item=0 name=\"/etc/hostname\" inode=12 dev=08:01 mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0")
        lines.append("type=PROCTITLE \(small) proctitle=636174")
        return lines.joined(separator: "\n") + "\n"
    }

    func testHugeEventsAreStoredWhole() throws {
        guard let ausearch = TestSupport.which("ausearch") else { throw TestSupport.missing("ausearch is not installed") }
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("audit.log").path, store = dir.appendingPathComponent("s.db").path
        let text = Self.log()
        try text.write(toFile: log, atomically: true, encoding: .utf8)
        let execveRecords = text.split(separator: "\n").filter { $0.hasPrefix("type=EXECVE") }.count
        XCTAssertGreaterThan(execveRecords, 15, "argv spread over many EXECVE records")
        XCTAssertGreaterThan(text.utf8.count, 128 * 1024 + 60 * 1024)

        let imported = try TestSupport.auditq(["import", "--store", store, log])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        XCTAssertTrue(imported.out.contains("imported 2 new event(s)"), imported.out + imported.stderr)
        XCTAssertEqual(try TestSupport.auditq(["verify", "--store", store]).status, 0)

        // --raw gives back the log as written. ausearch cuts a record line at
        // 8969 bytes (auditd's MAX_AUDIT_MESSAGE_LENGTH: neither the kernel
        // nor auditd writes longer ones); up to there the two agree.
        let theirs = try TestSupport.run(ausearch, ["-if", log, "--raw"]).out
        let ours = try TestSupport.auditq(["search", "--store", store, "--raw"]).out
        XCTAssertTrue(ours == text, "--raw prints the records as they were read")
        let cut = ours.split(separator: "\n").map { String($0.utf8.prefix(8969))! }.joined(separator: "\n") + "\n"
        XCTAssertTrue(cut == theirs, "--raw agrees with ausearch --raw up to ausearch's line length")

        struct Event: Decodable { var serial: Int64; var argv: [String]?; var paths: [Path]?; struct Path: Decodable { var name: String? } }
        let events = try TestSupport.auditq(["search", "--store", store, "--format", "json"]).out
            .split(separator: "\n").map { try JSONDecoder().decode(Event.self, from: Data($0.utf8)) }
        XCTAssertEqual(events.map(\.serial), [700, 701])
        let argv = try XCTUnwrap(events.first?.argv)
        XCTAssertEqual(argv.count, Self.argumentCount)
        XCTAssertEqual(argv.dropFirst().reduce(0) { $0 + $1.utf8.count }, (Self.argumentCount - 1) * 130)
        XCTAssertEqual(argv[49], Self.argument(49), "a hex-encoded argument is decoded")
        XCTAssertEqual(argv[999], Self.argument(999))
        XCTAssertEqual(events.first?.paths?.count, Self.pathCount)
        XCTAssertEqual(events.first?.paths?.last?.name, "/tmp/huge/f199")
        XCTAssertEqual(events.last?.paths?.map(\.name), ["/etc/hostname"], "the next event is intact")

        // The last PATH item is searchable like the first.
        let found = try TestSupport.auditq(["search", "--store", store, "-f", "/tmp/huge/f199", "--format", "json"]).out
        XCTAssertEqual(found.split(separator: "\n").count, 1)
    }
}
