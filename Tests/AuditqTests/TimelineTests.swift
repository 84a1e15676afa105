import AuditRecords
import AuditStore
import Foundation
import XCTest

/// `search --source/--hook`, `timeline` and the audit ↔ sensor correlation
/// over one store: a hand-written audit.log imported with `auditq import`,
/// plus sensor events committed through the real writer in the shape the
/// sensor stores them (one record of type 3100 + kind, fields JSON, raw line).
///
/// Times are T + seconds, T = 2024-03-01 12:00:00 UTC. Audit events (serial):
/// - 201 T+0.100 pid 4242 ses 9: execve /usr/bin/curl
/// - 202 T+1.000 pid 4242: openat "secret.txt" in cwd /home/u
/// - 203 T+2.000 pid 4242: connect 127.0.0.1:8080
/// - 204 T+3.000 pid 4242: kill of 4300 (OBJ_PID opid=4300)
/// - 205 T+10.000 pid 4242: openat /etc/passwd (no sensor event)
/// - 206 T+20.000 pid 4242: unlinkat /tmp/x (the sensor's is 5 s later)
/// - 207 T+0.050 pid 5555 ses 9: execve /usr/bin/bash
/// - 208 T+1.000 pid 6000 ses 10: openat /etc/hosts
/// - 209 T+30.000 pid 4242: openat /etc/group failed -13
/// - 210 T+30.500 pid 4242: openat /etc/group ok
/// Sensor events (serial = boot ns):
/// - 9001 LSM_EXEC      T+0.099 pid 4242 /usr/bin/curl        ↔ 201
/// - 9002 LSM_FILE_OPEN T+1.001 pid 4242 /home/u/secret.txt   ↔ 202
/// - 9003 LSM_CONNECT   T+2.000 pid 4242 127.0.0.1:8080       ↔ 203
/// - 9004 LSM_KILL      T+3.001 pid 4242 target 4300 sig 9    ↔ 204
/// - 9005 LSM_FILE_OPEN T+5.000 pid 4242 /etc/shadow          (lsm only)
/// - 9006 LSM_UNLINK    T+25.000 pid 4242 /tmp/x              (lsm only: 5 s after 206)
/// - 9007 TP_EXEC       T+0.050 pid 5555 ses 9 /usr/bin/bash  ↔ 207
/// - 9008 TP_SYSCALL    T+40.000 pid 7777 ses 11 connect 10.0.0.1:443
/// - 9009 LSM_FILE_OPEN T+1.000 pid 6001 ses 10 /etc/hosts    (another pid than 208)
/// - 9010 LSM_FILE_OPEN T+30.499 pid 4242 /etc/group          ↔ 210 only (the closer one)
final class TimelineTests: XCTestCase {
    static let t0: Int64 = 1_709_294_400_000
    var dir: URL!
    var store: String!

    override func setUpWithError() throws {
        dir = TestSupport.temporaryDirectory(name)
        store = dir.appendingPathComponent("s.db").path
        let log = dir.appendingPathComponent("audit.log").path
        try Data(Self.auditLog.utf8).write(to: URL(fileURLWithPath: log))
        let r = try TestSupport.auditq(["import", "--store", store, log])
        XCTAssertEqual(r.status, 0, "import: \(r.stderr)")
        let writer = EventWriter(store: try EventStore(path: store, access: .write))
        let result = try writer.commit(events: Self.sensorEvents(), source: "sensor")
        XCTAssertEqual(result.inserted, 10)
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(at: dir) }
    }

    // MARK: search --source / --hook

    func testSourceSelectsAuditLsmOrTracepointEvents() throws {
        let audit = Array(201...210), lsm = [9001, 9002, 9003, 9004, 9005, 9006, 9009, 9010], tracepoint = [9007, 9008]
        try expect(["--source", "audit"], audit)
        try expect(["--source", "lsm"], lsm)
        try expect(["--source", "tracepoint"], tracepoint)
        try expect(["--source", "lsm,tracepoint"], (lsm + tracepoint).sorted())
        try expect(["--source", "audit", "--source", "tracepoint"], (audit + tracepoint).sorted())
        try expect(["--source", "LSM"], lsm)
        try expect([], (audit + lsm + tracepoint).sorted())
    }

    func testHookSelectsSensorKindsByHookOrRecordType() throws {
        try expect(["--hook", "file_open"], [9002, 9005, 9009, 9010])
        try expect(["--hook", "LSM_FILE_OPEN"], [9002, 9005, 9009, 9010])
        try expect(["--hook", "lsm_file_open"], [9002, 9005, 9009, 9010])
        try expect(["--hook", "socket_connect"], [9003])
        try expect(["--hook", "sys_enter"], [9008])
        try expect(["--hook", "sched_process_exec,task_kill"], [9004, 9007])
        try expect(["--hook", "bprm_check_security", "--hook", "path_unlink"], [9001, 9006])
        // A hook is a sensor hook: with --source audit nothing can match.
        try expect(["--hook", "file_open", "--source", "audit"], [])
        try expect(["--hook", "file_open", "--source", "tracepoint"], [])
        try expect(["--hook", "sched_process_exec", "--source", "tracepoint"], [9007])
        // -m takes the sensor's record type names too.
        try expect(["-m", "LSM_CONNECT"], [9003])
    }

    func testSourceAndHookCombineWithTheOtherFilters() throws {
        try expect(["--source", "lsm", "-p", "4242"], [9001, 9002, 9003, 9004, 9005, 9006, 9010])
        try expect(["--source", "audit", "-p", "4242", "-sc", "openat"], [202, 205, 209, 210])
        try expect(["--hook", "file_open", "-p", "4242"], [9002, 9005, 9010])
        try expect(["--hook", "file_open", "-f", "/etc/"], [9005, 9009, 9010])
        try expect(["--source", "tracepoint", "--session", "9"], [9007])
        try expect(["--source", "lsm", "--session", "10"], [9009])
        try expect(["--source", "lsm", "-ts", "@\(Self.t0 / 1000 + 2)", "-te", "@\(Self.t0 / 1000 + 6)"], [9003, 9004, 9005])
        try expect(["--source", "audit", "-x", "curl"], [201, 202, 203, 204, 205, 206, 209, 210])
        try expect(["--source", "lsm", "-x", "curl"], [9001])
    }

    func testUnknownHookOrSourceIsOneLineAndExit64() throws {
        for args in [["--hook", "no_such_hook"], ["--hook", "file_open,nope"], ["--source", "kprobe"]] {
            let r = try search(args)
            XCTAssertEqual(r.status, 64, "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stdout.isEmpty)
        }
        XCTAssertTrue(try search(["--hook", "no_such_hook"]).stderr.contains("unknown hook 'no_such_hook'"))
    }

    // MARK: seen_by in search JSON

    func testSearchJSONSaysWhichSourcesSawEachAction() throws {
        let r = try search(["--format", "json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        var seen: [Int: [String]] = [:]
        for line in r.out.split(separator: "\n") {
            let o = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let serial = try XCTUnwrap(o["serial"] as? Int)
            seen[serial] = o["seen_by"] as? [String]
            // The existing fields stay as they were.
            XCTAssertNotNil(o["records"] as? [String])
            XCTAssertNotNil(o["types"] as? [String])
        }
        let both = ["audit", "lsm"]
        XCTAssertEqual(seen[201], both); XCTAssertEqual(seen[9001], both)
        XCTAssertEqual(seen[202], both); XCTAssertEqual(seen[9002], both)
        XCTAssertEqual(seen[203], both); XCTAssertEqual(seen[9003], both)
        XCTAssertEqual(seen[204], both); XCTAssertEqual(seen[9004], both)
        XCTAssertEqual(seen[207], ["audit", "tracepoint"]); XCTAssertEqual(seen[9007], ["audit", "tracepoint"])
        XCTAssertEqual(seen[205], ["audit"])
        XCTAssertEqual(seen[206], ["audit"]); XCTAssertEqual(seen[9006], ["lsm"])
        XCTAssertEqual(seen[9005], ["lsm"])
        XCTAssertEqual(seen[208], ["audit"]); XCTAssertEqual(seen[9009], ["lsm"])
        XCTAssertEqual(seen[9008], ["tracepoint"])
        // The sensor event pairs with the closer of two opens of the same file.
        XCTAssertEqual(seen[209], ["audit"]); XCTAssertEqual(seen[210], both); XCTAssertEqual(seen[9010], both)
        // A filtered search marks the same way (the partner need not be in the result).
        let only = try search(["--format", "json", "-a", "202"])
        XCTAssertTrue(only.out.contains("\"seen_by\":[\"audit\",\"lsm\"]"), only.out)
    }

    // MARK: timeline

    func testTimelineOfAProcessMergesSourcesInTimeOrderAndPairsThem() throws {
        let entries = try timelineJSON(["--pid", "4242"])
        XCTAssertEqual(entries.map(\.serial), [9001, 201, 202, 9002, 203, 9003, 204, 9004, 9005, 205, 206, 9006, 209, 9010, 210])
        let times = entries.map(\.timeMs)
        XCTAssertEqual(times, times.sorted())
        let bySerial = Dictionary(uniqueKeysWithValues: entries.map { ($0.serial, $0) })
        func pair(_ a: Int, _ b: Int) {
            XCTAssertEqual(bySerial[a]?.pairedWith, [bySerial[b]!.id], "\(a) ↔ \(b)")
            XCTAssertEqual(bySerial[b]?.pairedWith, [bySerial[a]!.id], "\(b) ↔ \(a)")
        }
        pair(201, 9001); pair(202, 9002); pair(203, 9003); pair(204, 9004); pair(210, 9010)
        for alone in [9005, 205, 206, 9006, 209] { XCTAssertEqual(bySerial[alone]?.pairedWith, [], "\(alone)") }
        XCTAssertEqual(bySerial[9001]?.source, "lsm")
        XCTAssertEqual(bySerial[201]?.source, "audit")
        XCTAssertEqual(bySerial[9004]?.object, "pid 4300 (sleep) sig 9")
        XCTAssertEqual(bySerial[9003]?.object, "127.0.0.1:8080")
        XCTAssertEqual(bySerial[209]?.what, "openat failed -13 (EACCES)")
        XCTAssertEqual(bySerial[9002]?.what, "file_open")

        // Text: one line per event with the mark.
        let text = try timeline(["--pid", "4242"])
        XCTAssertEqual(text.status, 0, text.stderr)
        let lines = text.out.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 15)
        func line(_ serial: Int) -> String { lines.first { $0.hasPrefix("#\(bySerial[serial]!.id) ") } ?? "" }
        XCTAssertTrue(line(9001).contains("lsm "), line(9001))
        XCTAssertTrue(line(9001).contains("bprm_check_security"), line(9001))
        XCTAssertTrue(line(9001).hasSuffix("both #\(bySerial[201]!.id)"), line(9001))
        XCTAssertTrue(line(201).contains("execve ok"), line(201))
        XCTAssertTrue(line(201).contains("/usr/bin/curl"), line(201))
        XCTAssertTrue(line(201).hasSuffix("both #\(bySerial[9001]!.id)"), line(201))
        XCTAssertTrue(line(202).contains("secret.txt"), line(202))
        XCTAssertTrue(line(205).hasSuffix("audit only"), line(205))
        XCTAssertTrue(line(9005).hasSuffix("lsm only"), line(9005))
        XCTAssertTrue(line(9005).contains("/etc/shadow"), line(9005))
        XCTAssertTrue(line(9004).contains("pid 4300"), line(9004))
    }

    func testTimelineOfASessionSpansItsProcesses() throws {
        let entries = try timelineJSON(["--session", "9"])
        XCTAssertEqual(Set(entries.compactMap(\.pid)), [4242, 5555])
        XCTAssertEqual(entries.prefix(4).map(\.serial), [207, 9007, 9001, 201])
        let bySerial = Dictionary(uniqueKeysWithValues: entries.map { ($0.serial, $0) })
        XCTAssertEqual(bySerial[9007]?.source, "tracepoint")
        XCTAssertEqual(bySerial[9007]?.seenBy, ["audit", "tracepoint"])
        XCTAssertEqual(bySerial[207]?.pairedWith, [bySerial[9007]!.id])
        let text = try timeline(["--session", "9"])
        XCTAssertTrue(text.out.contains("tracepoint only") == false, text.out)
        // Session 10: pid 6000 (audit) and 6001 (lsm) opened /etc/hosts: not the same process, not a pair.
        let ten = try timelineJSON(["--session", "10"])
        XCTAssertEqual(ten.map(\.serial), [208, 9009])
        XCTAssertEqual(ten.map(\.pairedWith), [[], []])
    }

    func testTimelineTimeWindow() throws {
        let entries = try timelineJSON(["--pid", "4242", "-ts", "@\(Self.t0 / 1000 + 20)", "-te", "@\(Self.t0 / 1000 + 26)"])
        XCTAssertEqual(entries.map(\.serial), [206, 9006])
        // A partner just outside the window is still named.
        let edge = try timelineJSON(["--pid", "4242", "-ts", "@\(Self.t0 / 1000 + 1)", "-te", "@\(Self.t0 / 1000 + 1).5"])
        XCTAssertEqual(edge.map(\.serial), [202, 9002])
        XCTAssertEqual(edge.map(\.seenBy), [["audit", "lsm"], ["audit", "lsm"]])
    }

    func testTimelineNeedsAPidOrASession() throws {
        for args in [[String](), ["--pid", "1", "--session", "2"]] {
            let r = try timeline(args)
            XCTAssertEqual(r.status, 64, "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        }
        let none = try timeline(["--pid", "31337"])
        XCTAssertEqual(none.status, 1)
        XCTAssertEqual(none.stderr, "auditq: no events of pid 31337 are stored\n")
    }

    // MARK: helpers

    func search(_ args: [String]) throws -> TestSupport.Result {
        try TestSupport.auditq(["search", "--store", store] + args)
    }

    func timeline(_ args: [String]) throws -> TestSupport.Result {
        try TestSupport.auditq(["timeline", "--store", store] + args)
    }

    func expect(_ args: [String], _ serials: [Int], file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try search(args + ["--format", "csv"])
        if serials.isEmpty {
            XCTAssertEqual(r.status, 1, "\(args): \(r.stderr)", file: file, line: line)
            return
        }
        XCTAssertEqual(r.status, 0, "\(args): \(r.stderr)", file: file, line: line)
        let got = r.out.split(separator: "\n").dropFirst().compactMap { Int(SearchCLITests.csvFields(String($0))[3]) }
        XCTAssertEqual(got.sorted(), serials, "auditq search \(args.joined(separator: " "))", file: file, line: line)
    }

    struct Entry {
        var id: Int, serial: Int, timeMs: Int, pid: Int?, source: String, what: String, object: String?
        var seenBy: [String], pairedWith: [Int]
    }

    func timelineJSON(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> [Entry] {
        let r = try timeline(args + ["--format", "json"])
        XCTAssertEqual(r.status, 0, "\(args): \(r.stderr)", file: file, line: line)
        return try r.out.split(separator: "\n").map { text in
            let o = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            return Entry(id: o["id"] as! Int, serial: o["serial"] as! Int, timeMs: o["time_ms"] as! Int, pid: o["pid"] as? Int,
                         source: o["source"] as! String, what: o["what"] as! String, object: o["object"] as? String,
                         seenBy: o["seen_by"] as! [String], pairedWith: o["paired_with"] as! [Int])
        }
    }

    // MARK: the store's contents

    static var auditLog: String {
        var lines: [String] = []
        func stamp(_ ms: Int64, _ serial: Int) -> String {
            let t = t0 + ms
            return "msg=audit(\(t / 1000).\(String(format: "%03d", Int(t % 1000))):\(serial)):"
        }
        func syscall(_ ms: Int64, _ serial: Int, nr: Int, ok: Bool = true, exit: Int = 0, items: Int, pid: Int = 4242, ses: Int = 9,
                     comm: String = "curl", exe: String = "/usr/bin/curl") {
            lines.append("type=SYSCALL \(stamp(ms, serial)) arch=c000003e syscall=\(nr) success=\(ok ? "yes" : "no") exit=\(exit) a0=3 a1=7ffd a2=0 a3=0 items=\(items) ppid=1000 pid=\(pid) auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=\(ses) comm=\"\(comm)\" exe=\"\(exe)\" key=\"t\"")
        }
        func cwd(_ ms: Int64, _ serial: Int, _ dir: String) { lines.append("type=CWD \(stamp(ms, serial)) cwd=\"\(dir)\"") }
        func path(_ ms: Int64, _ serial: Int, _ item: Int, _ name: String, _ nametype: String = "NORMAL") {
            lines.append("type=PATH \(stamp(ms, serial)) item=\(item) name=\"\(name)\" inode=\(1000 + serial) dev=fd:01 mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=\(nametype) cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0")
        }
        func eoe(_ ms: Int64, _ serial: Int) { lines.append("type=EOE \(stamp(ms, serial)) ") }

        // In time order, as auditd writes them.
        syscall(50, 207, nr: 59, items: 1, pid: 5555, comm: "bash", exe: "/usr/bin/bash")
        lines.append("type=EXECVE \(stamp(50, 207)) argc=1 a0=\"bash\"")
        cwd(50, 207, "/home/u"); path(50, 207, 0, "/usr/bin/bash"); eoe(50, 207)
        syscall(100, 201, nr: 59, items: 1)
        lines.append("type=EXECVE \(stamp(100, 201)) argc=2 a0=\"curl\" a1=\"http://127.0.0.1:8080/\"")
        cwd(100, 201, "/home/u"); path(100, 201, 0, "/usr/bin/curl"); eoe(100, 201)
        syscall(1000, 202, nr: 257, exit: 3, items: 1)
        cwd(1000, 202, "/home/u"); path(1000, 202, 0, "secret.txt"); eoe(1000, 202)
        syscall(1000, 208, nr: 257, exit: 3, items: 1, pid: 6000, ses: 10, comm: "cat", exe: "/usr/bin/cat")
        cwd(1000, 208, "/"); path(1000, 208, 0, "/etc/hosts"); eoe(1000, 208)
        syscall(2000, 203, nr: 42, items: 0)
        lines.append("type=SOCKADDR \(stamp(2000, 203)) saddr=02001F907F0000010000000000000000")
        eoe(2000, 203)
        syscall(3000, 204, nr: 62, items: 0)
        lines.append("type=OBJ_PID \(stamp(3000, 204)) opid=4300 oauid=1000 ouid=1000 oses=9 obj=unconfined ocomm=\"sleep\"")
        eoe(3000, 204)
        syscall(10000, 205, nr: 257, exit: 3, items: 1)
        cwd(10000, 205, "/home/u"); path(10000, 205, 0, "/etc/passwd"); eoe(10000, 205)
        syscall(20000, 206, nr: 263, items: 2)
        cwd(20000, 206, "/home/u"); path(20000, 206, 0, "/tmp/", "PARENT"); path(20000, 206, 1, "/tmp/x", "DELETE"); eoe(20000, 206)
        syscall(30000, 209, nr: 257, ok: false, exit: -13, items: 1)
        cwd(30000, 209, "/home/u"); path(30000, 209, 0, "/etc/group"); eoe(30000, 209)
        syscall(30500, 210, nr: 257, exit: 3, items: 1)
        cwd(30500, 210, "/home/u"); path(30500, 210, 0, "/etc/group"); eoe(30500, 210)
        return lines.map { $0 + "\n" }.joined()
    }

    static func sensorEvents() -> [AuditEvent] {
        [
            sensor("LSM_EXEC", 9001, 99, pid: 4242, exe: "/usr/bin/curl", path: "/usr/bin/curl"),
            sensor("LSM_FILE_OPEN", 9002, 1001, pid: 4242, path: "/home/u/secret.txt", extra: [("flags", "0x8000")]),
            sensor("LSM_CONNECT", 9003, 2000, pid: 4242, socket: SocketAddress(family: 2, address: "127.0.0.1", port: 8080)),
            sensor("LSM_KILL", 9004, 3001, pid: 4242, extra: [("sig", "9"), ("target_pid", "4300"), ("target_comm", "sleep")]),
            sensor("LSM_FILE_OPEN", 9005, 5000, pid: 4242, path: "/etc/shadow"),
            sensor("LSM_UNLINK", 9006, 25000, pid: 4242, path: "/tmp/x"),
            sensor("TP_EXEC", 9007, 50, pid: 5555, comm: "bash", exe: "/usr/bin/bash", path: "/usr/bin/bash"),
            sensor("TP_SYSCALL", 9008, 40000, pid: 7777, ses: 11, comm: "nc",
                   socket: SocketAddress(family: 2, address: "10.0.0.1", port: 443), syscall: 42, extra: [("syscall", "connect")]),
            sensor("LSM_FILE_OPEN", 9009, 1000, pid: 6001, ses: 10, comm: "cat", path: "/etc/hosts"),
            sensor("LSM_FILE_OPEN", 9010, 30499, pid: 4242, path: "/etc/group"),
        ]
    }

    /// A sensor event as the sensor stores it.
    static func sensor(_ name: String, _ bootNs: Int64, _ ms: Int64, pid: Int64, ses: Int64 = 9, comm: String = "curl",
                       exe: String? = nil, path: String? = nil, socket: SocketAddress? = nil, syscall: Int64? = nil,
                       extra: [(String, String)] = []) -> AuditEvent {
        let kind = SensorKinds.kind(named: name)!
        var e = AuditEvent()
        e.serial = bootNs
        e.timeMs = t0 + ms
        e.recordTypes = [kind.recordType]
        e.pid = pid; e.ppid = 1000; e.uid = 1000; e.euid = 1000; e.auid = 1000; e.ses = ses
        e.comm = comm
        e.exe = exe
        e.success = true
        e.sockaddr = socket
        if let syscall { e.syscall = syscall; e.arch = 0xC000_003E }
        if let path { e.paths = [PathItem(item: 0, name: path)] }
        e.fields = [("hook", kind.hook), ("source", kind.source), ("ret", "0"), ("tid", String(pid)), ("cgroup", "4321")]
        if let path { e.fields.append(("path", path)) }
        if let socket { e.fields += [("addr", socket.address ?? ""), ("port", socket.port.map(String.init) ?? "")] }
        e.fields += extra
        var line = "type=\(name) msg=audit(\(e.timeMs / 1000).\(String(format: "%03d", Int(e.timeMs % 1000))):\(bootNs)):"
        line += " hook=\(kind.hook) source=\(kind.source) pid=\(pid) ppid=1000 uid=1000 euid=1000 auid=1000 ses=\(ses) comm=\"\(comm)\""
        for (k, v) in e.fields where !["hook", "source"].contains(k) { line += " \(k)=\(v)" }
        e.raw = Array((line + "\n").utf8)
        return e
    }
}
