import Foundation
import XCTest

/// `auditq search` over a small hand-written log: every ausearch-style filter
/// returns exactly the expected events (compared by serial through
/// `--format csv`, column 4), JSON lines carry the documented fields, `--raw`
/// gives back the input lines byte for byte, and the real ausearch agrees.
///
/// The five events (local time, as -ts/-te read it):
/// - 101, 04/27/2023 10:00:00.100: execve of /usr/bin/dash, SYSCALL+EXECVE+CWD+PATH×2+EOE;
///   pid 1001, ppid 1000, uid/euid/auid 1000, ses 5, comm test-script.sh, key test-script, cwd /home/user
/// - 102, 04/27/2023 10:05:00.200: openat /etc/shadow failed with -13, SYSCALL+CWD+PATH+EOE;
///   pid 1002, ppid 1001, uid/euid/auid 1001, ses 6, comm cat, key secret-read, cwd /root
/// - 103, 04/28/2023 14:30:00.300: connect to 127.0.0.1:8080, SYSCALL+SOCKADDR+EOE;
///   pid 1003, ppid 1, uid/euid 0, auid and ses unset, comm curl, key net
/// - 104, 04/28/2023 14:31:00.400: USER_LOGIN acct=mallory res=failed (one record);
///   pid 1004, uid 0, auid 1002, ses 7, exe /usr/sbin/sshd
/// - 105, 04/28/2023 14:32:00.500: unlinkat /var/tmp/scratch.txt, SYSCALL+CWD+PATH×2+EOE;
///   pid 1005, ppid 1003, uid/auid 1002, euid 0, ses 7, comm rm, key test-script-cleanup, cwd /var/tmp
final class SearchCLITests: XCTestCase {
    var dir: URL!
    var store: String!
    var logPath: String!
    var log: HandLog!

    override func setUpWithError() throws {
        dir = TestSupport.temporaryDirectory(name)
        log = HandLog()
        logPath = dir.appendingPathComponent("audit.log").path
        try Data(log.text.utf8).write(to: URL(fileURLWithPath: logPath))
        store = dir.appendingPathComponent("s.db").path
        let r = try TestSupport.auditq(["import", "--store", store, logPath])
        XCTAssertEqual(r.status, 0, "import: \(r.stderr)")
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(at: dir) }
    }

    // MARK: filters

    func testKey() throws {
        try expect(["-k", "test-script"], [101, 105])
        try expect(["-k", "net"], [103])
        try expect(["--key", "secret-read"], [102])
        // Substring, as ausearch: "scr" is inside "test-script" and "test-script-cleanup".
        try expect(["-k", "scr"], [101, 105])
        try expect(["-k", "cleanup"], [105])
        // -w: whole values only.
        try expect(["-w", "-k", "test-script"], [101])
        try expect(["-w", "-k", "scr"], [])
    }

    func testPidAndParentPid() throws {
        try expect(["-p", "1003"], [103])
        try expect(["-p", "1004"], [104])
        try expect(["-pp", "1001"], [102])
        try expect(["-pp", "1003"], [105])
        try expect(["-p", "9999"], [])
    }

    func testUserIDs() throws {
        try expect(["-ui", "0"], [103, 104])
        try expect(["-ui", "1000"], [101])
        try expect(["-ui", "root"], [103, 104])   // a name, as ausearch takes it
        try expect(["-ul", "1002"], [104, 105])
        try expect(["-ul", "1000"], [101])
        try expect(["-ul", "4294967295"], [103])  // auid unset
        // -ua: uid, euid or auid.
        try expect(["-ua", "0"], [103, 104, 105])
        try expect(["-ua", "1002"], [104, 105])
        try expect(["-ue", "0"], [103, 105])
    }

    func testExecutableAndCommand() throws {
        try expect(["-x", "/usr/bin/cat"], [102])
        try expect(["-x", "/usr/bin/c"], [102, 103])
        try expect(["-x", "sshd"], [104])
        try expect(["-w", "-x", "cat"], [])
        try expect(["-w", "-x", "/usr/bin/cat"], [102])
        try expect(["-c", "cu"], [103])
        try expect(["-c", "rm"], [105])
        try expect(["-c", "test-script.sh"], [101])
    }

    func testFile() throws {
        try expect(["-f", "shadow"], [102])
        try expect(["-f", "/etc/shadow"], [102])
        try expect(["-f", "ld-linux"], [101])
        try expect(["-f", "/var/tmp"], [105])
        // PATH name or the working directory (101 runs in /home/user).
        try expect(["-f", "/home/user"], [101])
        try expect(["-f", "/root"], [102])
        try expect(["-w", "-f", "/var/tmp/"], [105])
        try expect(["-w", "-f", "/var/tmp/scratch"], [])
    }

    func testMessageType() throws {
        try expect(["-m", "USER_LOGIN"], [104])
        try expect(["-m", "SOCKADDR"], [103])
        try expect(["-m", "EXECVE"], [101])
        try expect(["-m", "PATH"], [101, 102, 105])
        try expect(["-m", "SYSCALL"], [101, 102, 103, 105])
        try expect(["-m", "EXECVE,USER_LOGIN"], [101, 104])
    }

    func testSyscallByNameAndNumber() throws {
        try expect(["-sc", "connect"], [103])
        try expect(["-sc", "42"], [103])
        try expect(["-sc", "execve"], [101])
        try expect(["-sc", "59"], [101])
        try expect(["-sc", "openat"], [102])
        try expect(["-sc", "unlinkat"], [105])
    }

    func testSuccess() throws {
        try expect(["-sv", "yes"], [101, 103, 105])
        // A failed syscall and a login with res=failed.
        try expect(["-sv", "no"], [102, 104])
    }

    func testExitValue() throws {
        try expect(["--exit=-13"], [102])
        try expect(["-e", "0"], [101, 103, 105])
    }

    /// ausearch takes `-e -13`, and `auditq search --help` gives "-13" as the
    /// example; a negative value must not be read as another option.
    func testExitValueTakesANegativeErrnoAsAusearchDoes() throws {
        try expect(["-e", "-13"], [102])
    }

    func testSession() throws {
        try expect(["--session", "7"], [104, 105])
        try expect(["--session", "5"], [101])
        try expect(["--session", "6"], [102])
    }

    func testAuditSerial() throws {
        try expect(["-a", "103"], [103])
    }

    func testTimeRange() throws {
        // MM/DD/YYYY HH:MM:SS, date and time as two words like ausearch.
        try expect(["-ts", "04/28/2023", "00:00:00"], [103, 104, 105])
        try expect(["-te", "04/27/2023", "10:01:00"], [101])
        try expect(["-ts", "04/28/2023", "14:31:00", "-te", "04/28/2023", "14:31:30"], [104])
        // YYYY-MM-DD: a start is that day's midnight, an end the whole day.
        try expect(["-ts", "2023-04-28"], [103, 104, 105])
        try expect(["-te", "2023-04-27"], [101, 102])
        try expect(["-ts", "2023-04-27", "10:05:00", "-te", "2023-04-27"], [102])
        try expect(["-ts", "04/29/2023"], [])
    }

    func testFiltersCombineWithAnd() throws {
        try expect(["-k", "test-script", "-sc", "unlinkat"], [105])
        try expect(["-ua", "1002", "-m", "USER_LOGIN"], [104])
        try expect(["-sv", "no", "-ts", "2023-04-28"], [104])
        try expect(["-k", "net", "-p", "1001"], [])
    }

    func testLimit() throws {
        try expect(["--limit", "2"], [101, 102])
        try expect(["--limit", "2", "-sv", "yes"], [101, 103])
        try expect(["--limit", "10"], [101, 102, 103, 104, 105])
    }

    func testNoMatchExitsOneWithNoMatchesOnStderr() throws {
        for format in ["text", "raw", "json"] {
            let r = try search(["-k", "no-such-key", "--format", format])
            XCTAssertEqual(r.status, 1, "\(format): \(r.stderr)")
            XCTAssertTrue(r.stdout.isEmpty, "\(format): printed \(r.out)")
            let lines = r.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "\(format): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("<no matches>"), "\(format): \(r.stderr)")
        }
    }

    // MARK: output formats

    func testJSONLinesCarryTheDocumentedFields() throws {
        let r = try search(["--format", "json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.out.split(separator: "\n")
        XCTAssertEqual(lines.count, 5)
        var bySerial: [Int: [String: Any]] = [:]
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
            guard let o = object as? [String: Any] else { XCTFail("not a JSON object: \(line)"); continue }
            for field in ["id", "time", "serial", "types", "records"] {
                XCTAssertNotNil(o[field], "missing \(field): \(line)")
            }
            XCTAssertNotNil(o["id"] as? Int)
            XCTAssertTrue((o["time"] as? String)?.hasPrefix("2023-04-2") ?? false, "time: \(String(describing: o["time"]))")
            guard let serial = o["serial"] as? Int else { XCTFail("serial: \(line)"); continue }
            bySerial[serial] = o
            // records[]: the event's lines as read.
            XCTAssertEqual(o["records"] as? [String], log.events[serial]?.lines, "records of \(serial)")
        }
        XCTAssertEqual(bySerial.keys.sorted(), [101, 102, 103, 104, 105])

        let e1 = try XCTUnwrap(bySerial[101])
        XCTAssertEqual(e1["types"] as? [String], ["SYSCALL", "EXECVE", "CWD", "PATH", "PATH", "EOE"])
        XCTAssertEqual(e1["syscall"] as? String, "execve")
        XCTAssertEqual(e1["success"] as? Bool, true)
        XCTAssertEqual(e1["pid"] as? Int, 1001)
        XCTAssertEqual(e1["ppid"] as? Int, 1000)
        XCTAssertEqual(e1["uid"] as? Int, 1000)
        XCTAssertEqual(e1["auid"] as? Int, 1000)
        XCTAssertEqual(e1["ses"] as? Int, 5)
        XCTAssertEqual(e1["comm"] as? String, "test-script.sh")
        XCTAssertEqual(e1["exe"] as? String, "/usr/bin/dash")
        XCTAssertEqual(e1["key"] as? String, "test-script")
        XCTAssertEqual(e1["argv"] as? [String], ["/bin/sh", "./run.sh"])
        XCTAssertEqual(e1["time_ms"] as? Int, log.events[101]!.timeMs)
        let paths = try XCTUnwrap(e1["paths"] as? [[String: Any]])
        XCTAssertEqual(paths.compactMap { $0["name"] as? String }, ["/home/user/run.sh", "/lib64/ld-linux-x86-64.so.2"])

        let e2 = try XCTUnwrap(bySerial[102])
        XCTAssertEqual(e2["syscall"] as? String, "openat")
        XCTAssertEqual(e2["success"] as? Bool, false)
        XCTAssertEqual(e2["exit"] as? Int, -13)
        XCTAssertEqual((e2["paths"] as? [[String: Any]])?.first?["name"] as? String, "/etc/shadow")

        let e3 = try XCTUnwrap(bySerial[103])
        XCTAssertEqual(e3["syscall"] as? String, "connect")
        let sockaddr = try XCTUnwrap(e3["sockaddr"] as? [String: Any], "no sockaddr object")
        XCTAssertEqual(sockaddr["family"] as? String, "inet")
        XCTAssertEqual(sockaddr["address"] as? String, "127.0.0.1")
        XCTAssertEqual(sockaddr["port"] as? Int, 8080)

        let e4 = try XCTUnwrap(bySerial[104])
        XCTAssertEqual(e4["types"] as? [String], ["USER_LOGIN"])
        XCTAssertEqual(e4["success"] as? Bool, false)
        XCTAssertEqual(e4["pid"] as? Int, 1004)
        XCTAssertEqual(e4["auid"] as? Int, 1002)
        let fields = try XCTUnwrap(e4["fields"] as? [String: Any], "no fields object")
        XCTAssertEqual(fields["acct"] as? String, "mallory")
        XCTAssertEqual(fields["res"] as? String, "failed")
        XCTAssertEqual(fields["op"] as? String, "login")
        XCTAssertEqual(fields["addr"] as? String, "10.0.0.5")
        XCTAssertNil(e4["syscall"])

        let e5 = try XCTUnwrap(bySerial[105])
        XCTAssertEqual(e5["key"] as? String, "test-script-cleanup")
        XCTAssertEqual((e5["paths"] as? [[String: Any]])?.compactMap { $0["name"] as? String }, ["/var/tmp/", "/var/tmp/scratch.txt"])
    }

    func testRawIsByteIdenticalToTheInputLines() throws {
        let all = try search(["--raw"])
        XCTAssertEqual(all.status, 0, all.stderr)
        XCTAssertEqual(all.out, log.text, "--raw of every event differs from the log")
        for (args, serials) in [(["-k", "net"], [103]), (["-m", "USER_LOGIN"], [104]), (["-k", "scr"], [101, 105]),
                                (["-sv", "no"], [102, 104])] {
            let expected = serials.map { log.events[$0]!.lines.map { $0 + "\n" }.joined() }.joined()
            for flag in [["--raw"], ["-r"], ["--format", "raw"]] {
                let r = try search(args + flag)
                XCTAssertEqual(r.status, 0, "\(args + flag): \(r.stderr)")
                XCTAssertTrue(r.stdout == Data(expected.utf8), "\(args + flag): not the input lines:\n\(r.out)")
            }
        }
    }

    /// JSON `records` hold each line as a JSON string: an ENRICHED record's
    /// \x1d, a DEL, quotes and backslashes escaped, UTF-8 kept, bytes that
    /// are not UTF-8 replaced by U+FFFD; text cuts the ENRICHED part off.
    func testRecordsWithControlAndNonASCIIBytes() throws {
        let lines: [[UInt8]] = [
            Array(#"type=USER_CMD msg=audit(1682589900.500:301): pid=77 uid=0 auid=0 ses=3 msg='cmd="a\b" exe="/usr/bin/sudo" res=success'"#.utf8)
                + [0x1D] + Array(#"UID="root" AUID="root""#.utf8),
            Array("type=USER_AUTH msg=audit(1682589900.600:302): pid=78 uid=0 auid=0 ses=3 msg='op=PAM acct=\"".utf8)
                + [0xC3, 0xA9, 0x7F, 0xFF, 0x41] + Array("\" res=failed'".utf8),
        ]
        let path = dir.appendingPathComponent("odd.log").path
        try Data(lines.flatMap { $0 + [0x0A] }).write(to: URL(fileURLWithPath: path))
        let odd = dir.appendingPathComponent("odd.db").path
        XCTAssertEqual(try TestSupport.auditq(["import", "--store", odd, path]).status, 0)
        let json = try TestSupport.auditq(["search", "--store", odd, "--format", "json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let objects = try json.out.split(separator: "\n").map {
            try XCTUnwrap(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        XCTAssertEqual(objects.compactMap { ($0["records"] as? [String])?.first },
                       lines.map { String(decoding: $0, as: UTF8.self) })
        XCTAssertTrue(json.out.contains(#"\"a\\b\""#), json.out)
        XCTAssertTrue(json.out.contains(#"\u001dUID="#), json.out)
        XCTAssertTrue(json.out.contains("\u{E9}\\u007f\u{FFFD}A"), json.out)
        let text = try TestSupport.auditq(["search", "--store", odd])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.range(of: Data(lines[0].prefix { $0 != 0x1D } + [0x0A])) != nil, text.out)
        XCTAssertFalse(text.out.contains("UID=\"root\""), text.out)
        let raw = try TestSupport.auditq(["search", "--store", odd, "--raw"])
        XCTAssertEqual(raw.stdout, Data(lines.flatMap { $0 + [0x0A] }))
    }

    /// CSV quotes a field holding a comma or a quote (doubling the quotes),
    /// argv decoded: hex-encoded arguments, UTF-8 and quotes included.
    func testCSVQuotesArgvAndFields() throws {
        let log = """
        type=SYSCALL msg=audit(1682589900.700:303): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 items=1 ppid=1 pid=88 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=3 comm="true" exe="/usr/bin/true" key="a,b"
        type=EXECVE msg=audit(1682589900.700:303): argc=3 a0="/bin/true" a1=636166C3A9 a2=71756F74652264

        """
        let path = dir.appendingPathComponent("argv.log").path
        try Data(log.utf8).write(to: URL(fileURLWithPath: path))
        let store = dir.appendingPathComponent("argv.db").path
        XCTAssertEqual(try TestSupport.auditq(["import", "--store", store, path]).status, 0)
        let csv = try TestSupport.auditq(["search", "--store", store, "--format", "csv"])
        XCTAssertEqual(csv.status, 0, csv.stderr)
        let row = try XCTUnwrap(csv.out.split(separator: "\n").dropFirst().first.map(String.init))
        // The six container columns follow argv, empty: an imported log names no container.
        XCTAssertTrue(row.hasSuffix(",\"a,b\",,,\"/bin/true caf\u{E9} quote\"\"d\",,,,,,"), row)
    }

    // MARK: ausearch as the reference

    func testRawKeySearchMatchesAusearch() throws {
        try compareWithAusearch([["-k", "test-script"], ["-k", "scr"], ["-k", "net"], ["-k", "secret-read"], ["-k", "cleanup"]])
    }

    func testOtherFiltersMatchAusearch() throws {
        try compareWithAusearch([
            ["-p", "1003"], ["-pp", "1001"], ["-ui", "0"], ["-ul", "1002"], ["-ua", "0"], ["-ue", "0"],
            ["-x", "/usr/bin/c"], ["-c", "cu"], ["-f", "/var/tmp"], ["-f", "shadow"], ["-m", "PATH"],
            ["-m", "EXECVE,USER_LOGIN"], ["-sc", "connect"], ["-sc", "59"], ["-sv", "yes"], ["-sv", "no"],
            ["--session", "7"], ["-w", "-k", "test-script"], ["-a", "104"],
        ])
    }

    // MARK: helpers

    func search(_ args: [String]) throws -> TestSupport.Result {
        try TestSupport.auditq(["search", "--store", store] + args)
    }

    /// Serials of the events `auditq search ARGS --format csv` prints, in order.
    func serials(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> [Int] {
        let r = try search(args + ["--format", "csv"])
        if r.status == 1 {
            XCTAssertTrue(r.stderr.contains("<no matches>"), "\(args): \(r.stderr)", file: file, line: line)
            return []
        }
        XCTAssertEqual(r.status, 0, "\(args): \(r.stderr)", file: file, line: line)
        let rows = r.out.split(separator: "\n").map { Self.csvFields(String($0)) }
        XCTAssertEqual(rows.first?[3], "serial", "csv column 4 is not 'serial': \(rows.first ?? [])", file: file, line: line)
        return rows.dropFirst().compactMap { $0.count > 3 ? Int($0[3]) : nil }
    }

    func expect(_ args: [String], _ expected: [Int], file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try serials(args, file: file, line: line), expected, "auditq search \(args.joined(separator: " "))", file: file, line: line)
    }

    /// One CSV row (RFC 4180 quoting).
    static func csvFields(_ row: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var chars = row.makeIterator()
        var pending: Character? = nil
        while let c = pending ?? chars.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    if let next = chars.next() {
                        if next == "\"" { current.append("\"") } else { quoted = false; pending = next }
                    } else { quoted = false }
                } else { current.append(c) }
            } else if c == "\"" && current.isEmpty {
                quoted = true
            } else if c == "," {
                fields.append(current); current = ""
            } else {
                current.append(c)
            }
        }
        fields.append(current)
        return fields
    }

    func compareWithAusearch(_ cases: [[String]], file: StaticString = #filePath, line: UInt = #line) throws {
        guard let ausearch = TestSupport.which("ausearch") else { throw TestSupport.missing("ausearch is not installed") }
        for args in cases {
            let reference = try TestSupport.run(ausearch, ["-if", logPath] + args + ["--raw"])
            let ours = try search(args + ["--raw"])
            XCTAssertEqual(ours.status, reference.status, "\(args): exit status differs from ausearch (\(reference.stderr))", file: file, line: line)
            XCTAssertTrue(ours.stdout == reference.stdout,
                          "\(args): auditq --raw differs from ausearch --raw\n--- ausearch\n\(reference.out)--- auditq\n\(ours.out)", file: file, line: line)
        }
    }
}

/// The hand-written log described above SearchCLITests.
struct HandLog {
    struct Event {
        var serial: Int
        var timeMs: Int
        var lines: [String]
    }

    let events: [Int: Event]
    let text: String

    init() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone.current
        func stamp(_ day: Int, _ hour: Int, _ minute: Int, ms: Int, serial: Int) -> (String, Int) {
            let date = calendar.date(from: DateComponents(year: 2023, month: 4, day: day, hour: hour, minute: minute))!
            let seconds = Int(date.timeIntervalSince1970)
            return ("\(seconds).\(String(format: "%03d", ms)):\(serial)", seconds * 1000 + ms)
        }
        var list: [Event] = []
        func add(_ serial: Int, _ when: (String, Int), _ body: (String) -> [String]) {
            list.append(Event(serial: serial, timeMs: when.1, lines: body("msg=audit(\(when.0)):")))
        }
        add(101, stamp(27, 10, 0, ms: 100, serial: 101)) { m in [
            "type=SYSCALL \(m) arch=c000003e syscall=59 success=yes exit=0 a0=55fdabf92380 a1=55fdabf99b20 a2=55fdabf2f2d0 a3=6ba537a8c6848fb8 items=2 ppid=1000 pid=1001 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts7 ses=5 comm=\"test-script.sh\" exe=\"/usr/bin/dash\" subj=unconfined key=\"test-script\"",
            "type=EXECVE \(m) argc=2 a0=\"/bin/sh\" a1=\"./run.sh\"",
            "type=CWD \(m) cwd=\"/home/user\"",
            "type=PATH \(m) item=0 name=\"/home/user/run.sh\" inode=6309361 dev=fd:02 mode=0100755 ouid=1000 ogid=1000 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0",
            "type=PATH \(m) item=1 name=\"/lib64/ld-linux-x86-64.so.2\" inode=393521 dev=fd:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0",
            "type=EOE \(m) ",
        ] }
        add(102, stamp(27, 10, 5, ms: 200, serial: 102)) { m in [
            "type=SYSCALL \(m) arch=c000003e syscall=257 success=no exit=-13 a0=ffffff9c a1=7ffd1c2a a2=0 a3=0 items=1 ppid=1001 pid=1002 auid=1001 uid=1001 gid=1001 euid=1001 suid=1001 fsuid=1001 egid=1001 sgid=1001 fsgid=1001 tty=pts8 ses=6 comm=\"cat\" exe=\"/usr/bin/cat\" subj=unconfined key=\"secret-read\"",
            "type=CWD \(m) cwd=\"/root\"",
            "type=PATH \(m) item=0 name=\"/etc/shadow\" inode=1234 dev=fd:01 mode=0100640 ouid=0 ogid=42 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0",
            "type=EOE \(m) ",
        ] }
        add(103, stamp(28, 14, 30, ms: 300, serial: 103)) { m in [
            "type=SYSCALL \(m) arch=c000003e syscall=42 success=yes exit=0 a0=3 a1=7ffd a2=10 a3=0 items=0 ppid=1 pid=1003 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"curl\" exe=\"/usr/bin/curl\" subj=unconfined key=\"net\"",
            // AF_INET (0x0002), port 8080 (0x1F90), 127.0.0.1.
            "type=SOCKADDR \(m) saddr=02001F907F0000010000000000000000",
            "type=EOE \(m) ",
        ] }
        add(104, stamp(28, 14, 31, ms: 400, serial: 104)) { m in [
            "type=USER_LOGIN \(m) pid=1004 uid=0 auid=1002 ses=7 subj=unconfined msg='op=login acct=\"mallory\" exe=\"/usr/sbin/sshd\" hostname=10.0.0.5 addr=10.0.0.5 terminal=sshd res=failed'",
        ] }
        add(105, stamp(28, 14, 32, ms: 500, serial: 105)) { m in [
            "type=SYSCALL \(m) arch=c000003e syscall=263 success=yes exit=0 a0=ffffff9c a1=55d1 a2=0 a3=0 items=2 ppid=1003 pid=1005 auid=1002 uid=1002 gid=1002 euid=0 suid=0 fsuid=0 egid=1002 sgid=1002 fsgid=1002 tty=pts9 ses=7 comm=\"rm\" exe=\"/usr/bin/rm\" subj=unconfined key=\"test-script-cleanup\"",
            "type=CWD \(m) cwd=\"/var/tmp\"",
            "type=PATH \(m) item=0 name=\"/var/tmp/\" inode=2 dev=fd:01 mode=041777 ouid=0 ogid=0 rdev=00:00 nametype=PARENT cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0",
            "type=PATH \(m) item=1 name=\"/var/tmp/scratch.txt\" inode=77 dev=fd:01 mode=0100644 ouid=1002 ogid=1002 rdev=00:00 nametype=DELETE cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0",
            "type=EOE \(m) ",
        ] }
        events = Dictionary(uniqueKeysWithValues: list.map { ($0.serial, $0) })
        text = list.flatMap(\.lines).map { $0 + "\n" }.joined()
    }
}
