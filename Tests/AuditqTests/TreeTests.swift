@testable import AuditQuery
@testable import AuditStore
import Foundation
import GRDB
import XCTest

/// `auditq tree`: process ancestry and descendants from the stored exec,
/// fork/clone and exit events (the process_fact view of 0002_process_facts.sql,
/// with the sensor's facts since 0003: SensorProcessFactTests).
///
/// A real log made on this machine by tools/make-audit-log --workload tree
/// (rounds of a known process tree, pids written by the workload itself) is
/// checked against what the workload recorded, whole and imported in two
/// parts; a hand-written log covers what a short real run cannot make
/// happen on demand: a reused pid, a child's exec logged before its
/// parent's clone, a thread's exit, thread clones, a fork that was not captured.
final class TreeTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws { dir = TestSupport.temporaryDirectory(name) }
    override func tearDownWithError() throws { if let dir { try? FileManager.default.removeItem(at: dir) } }

    // MARK: a real log

    struct Workload {
        struct Round { var number: Int; var shell, a, b, c: Int }
        var driver: Int
        var rounds: [Round]
    }

    /// One real log for the tests that need it, made once.
    nonisolated(unsafe) static var madeLog: (log: String, workload: Workload)?
    nonisolated(unsafe) static var madeIn: URL?

    override class func tearDown() {
        if let madeIn { try? FileManager.default.removeItem(at: madeIn) }
        madeIn = nil
        madeLog = nil
    }

    /// tools/make-audit-log --workload tree, and the pids its workload wrote.
    func makeTreeLog() throws -> (log: String, workload: Workload) {
        if let made = Self.madeLog { return made }
        guard geteuid() == 0 else { throw TestSupport.missing("needs root to run auditd and load audit rules") }
        guard TestSupport.which("auditd") != nil, TestSupport.which("auditctl") != nil else {
            throw TestSupport.missing("auditd is not installed")
        }
        // make-audit-log takes the kernel-audit lock itself: not inside KernelAudit.exclusive.
        let folder = TestSupport.temporaryDirectory("TreeTestsLog")
        Self.madeIn = folder
        let out = folder.appendingPathComponent("gen")
        let script = TestSupport.repository.appendingPathComponent("tools/make-audit-log").path
        let made = try TestSupport.run(script, [out.path, "--events", "60", "--workload", "tree",
                                                "--key", KernelAudit.uniqueKey("tree")])
        guard made.status == 0 else {
            XCTFail("make-audit-log failed: \(made.stderr)")
            throw TestSupport.missing("no log")
        }
        let pids = try String(contentsOf: out.appendingPathComponent("scratch/tree.pids"), encoding: .utf8)
        var workload = Workload(driver: 0, rounds: [])
        for line in pids.split(separator: "\n") {
            let w = line.split(separator: " ").map(String.init)
            if w.first == "driver" { workload.driver = Int(w[1])! }
            if w.first == "round", w.count == 10 {
                workload.rounds.append(.init(number: Int(w[1])!, shell: Int(w[3])!, a: Int(w[5])!,
                                             b: Int(w[7])!, c: Int(w[9])!))
            }
        }
        XCTAssertGreaterThanOrEqual(workload.rounds.count, 5, pids)
        Self.madeLog = (out.appendingPathComponent("audit.log").path, workload)
        return Self.madeLog!
    }

    func json(_ result: TestSupport.Result) throws -> [String: Any] {
        XCTAssertEqual(result.status, 0, result.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: result.stdout) as? [String: Any], result.out)
    }

    func testTreeOfARealWorkloadMatchesWhatItRan() throws {
        let (log, workload) = try makeTreeLog()
        let store = dir.appendingPathComponent("s.db").path
        let imported = try TestSupport.auditq(["import", "--store", store, log])
        XCTAssertEqual(imported.status, 0, imported.stderr)

        for round in [workload.rounds[1], workload.rounds[workload.rounds.count - 1]] {
            let r = "\(round.number)"
            let tree = try json(try TestSupport.auditq(["tree", "--store", store, "--format", "json", "\(round.shell)"]))
            let process = try XCTUnwrap(tree["process"] as? [String: Any])
            XCTAssertEqual(process["pid"] as? Int, round.shell)
            XCTAssertEqual(process["ppid"] as? Int, workload.driver)
            XCTAssertEqual(process["exe"] as? String, "/usr/bin/bash")
            let shellArgv = try XCTUnwrap(process["argv"] as? [String])
            XCTAssertEqual(shellArgv.first, "/bin/bash")
            XCTAssertEqual(shellArgv.last, r)
            XCTAssertEqual(process["start_known"] as? Bool, true)
            XCTAssertEqual(process["end"] as? String, "exit")

            // Ancestry: the driver (its own start was before the rules), then the shell.
            let ancestors = try XCTUnwrap(tree["ancestors"] as? [[String: Any]])
            let driver = try XCTUnwrap(ancestors.last)
            XCTAssertEqual(driver["pid"] as? Int, workload.driver)
            XCTAssertEqual(driver["exe"] as? String, "/usr/bin/bash")
            XCTAssertEqual(driver["start_known"] as? Bool, false)

            // Descendants: A and B, and B's child C.
            let children = try XCTUnwrap(tree["descendants"] as? [[String: Any]])
            XCTAssertEqual(children.map { $0["pid"] as? Int }, [round.a, round.b])
            XCTAssertEqual(children[0]["exe"] as? String, "/usr/bin/true")
            XCTAssertEqual(children[0]["argv"] as? [String], ["/bin/true", "auditq-tree", "child-a", r])
            XCTAssertEqual(children[0]["end"] as? String, "exit")
            XCTAssertEqual((children[0]["children"] as? [Any])?.count, 0)
            XCTAssertEqual(children[1]["exe"] as? String, "/usr/bin/dash")
            XCTAssertEqual((children[1]["argv"] as? [String])?.prefix(2), ["/bin/sh", "-c"])
            let grandchildren = try XCTUnwrap(children[1]["children"] as? [[String: Any]])
            XCTAssertEqual(grandchildren.map { $0["pid"] as? Int }, [round.c])
            XCTAssertEqual(grandchildren.first?["argv"] as? [String], ["/bin/true", "auditq-tree", "grandchild", r])
            XCTAssertEqual(grandchildren.first?["ppid"] as? Int, round.b)
            for child in children + grandchildren {
                // glibc's fork is clone(2) without CLONE_THREAD
                XCTAssertEqual(child["thread"] as? Bool, false)
                XCTAssertEqual(child["start_known"] as? Bool, true)
                XCTAssertEqual((child["execs"] as? [Any])?.count, 1)
            }

            // The grandchild's ancestry leads back through B and the shell to the driver.
            let up = try json(try TestSupport.auditq(["tree", "--store", store, "--format", "json", "\(round.c)"]))
            let chain = try XCTUnwrap(up["ancestors"] as? [[String: Any]]).compactMap { $0["pid"] as? Int }
            XCTAssertEqual(Array(chain.suffix(3)), [workload.driver, round.shell, round.b])
        }

        // The driver's tree holds every round, and nothing else.
        let all = try json(try TestSupport.auditq(["tree", "--store", store, "--format", "json", "\(workload.driver)"]))
        let shells = try XCTUnwrap(all["descendants"] as? [[String: Any]]).map { $0["pid"] as? Int }
        XCTAssertEqual(shells, workload.rounds.map(\.shell))

        // Text: the chain down to the shell, then its descendants as a tree.
        let round = workload.rounds[2]
        let text = try TestSupport.auditq(["tree", "--store", store, "\(round.shell)"])
        XCTAssertEqual(text.status, 0, text.stderr)
        let lines = text.out.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 6, text.out)
        guard lines.count == 6 else { return }
        XCTAssertTrue(lines[0].hasSuffix("  ?  (nothing stored)"), lines[0])  // make-audit-log's shell
        XCTAssertTrue(lines[1].hasPrefix("└─ \(workload.driver)  /usr/bin/bash  (no exec stored)  seen "), lines[1])
        XCTAssertTrue(lines[2].hasPrefix("   └─ *\(round.shell)  /usr/bin/bash  /bin/bash "), lines[2])
        XCTAssertTrue(lines[3].hasPrefix("      ├─ \(round.a)  /usr/bin/true  /bin/true auditq-tree child-a \(round.number)  start "), lines[3])
        XCTAssertTrue(lines[4].hasPrefix("      └─ \(round.b)  /usr/bin/dash  /bin/sh -c '/bin/true auditq-tree grandchild \"$2\" & echo \"$!\" >\"$1\"; wait' sh "), lines[4])
        XCTAssertTrue(lines[5].hasPrefix("         └─ \(round.c)  /usr/bin/true  /bin/true auditq-tree grandchild \(round.number)  start "), lines[5])
        for line in lines[2...] { XCTAssertTrue(line.range(of: #"  exit [0-9:.]+$"#, options: .regularExpression) != nil, line) }
    }

    /// The collector-restart case: the same log imported as two files (cut
    /// between two events, inside a round) gives the same trees as one import.
    func testTwoImportsGiveTheSameTreeAsOne() throws {
        let (log, workload) = try makeTreeLog()
        let whole = dir.appendingPathComponent("whole.db").path
        XCTAssertEqual(try TestSupport.auditq(["import", "--store", whole, log]).status, 0)

        // Cut right after the fork of round 3's shell: its exec and exit go to the second file.
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        let shell = workload.rounds[2].shell
        let forkLine = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("type=SYSCALL ") && $0.contains(" syscall=56 ") && $0.contains(" exit=\(shell) ") })
        let stamp = try XCTUnwrap(lines[forkLine].range(of: #"audit\([0-9.:]+\)"#, options: .regularExpression).map { lines[forkLine][$0] })
        var cut = forkLine
        while cut + 1 < lines.count && lines[cut + 1].contains(stamp) { cut += 1 }
        let first = dir.appendingPathComponent("part1.log"), second = dir.appendingPathComponent("part2.log")
        try (lines[...cut].joined(separator: "\n") + "\n").write(to: first, atomically: true, encoding: .utf8)
        try lines[(cut + 1)...].joined(separator: "\n").write(to: second, atomically: true, encoding: .utf8)
        let split = dir.appendingPathComponent("split.db").path
        XCTAssertEqual(try TestSupport.auditq(["import", "--store", split, first.path]).status, 0)
        XCTAssertEqual(try TestSupport.auditq(["import", "--store", split, second.path]).status, 0)

        for pid in [workload.driver, shell, workload.rounds[2].c, workload.rounds[1].b] {
            for format in ["text", "json"] {
                let a = try TestSupport.auditq(["tree", "--store", whole, "--format", format, "\(pid)"])
                let b = try TestSupport.auditq(["tree", "--store", split, "--format", format, "\(pid)"])
                XCTAssertEqual(a.status, 0, a.stderr)
                XCTAssertEqual(a.out, b.out, "pid \(pid), \(format)")
            }
        }
        XCTAssertEqual(try TestSupport.auditq(["verify", "--store", split]).status, 0)
    }

    // MARK: a hand-written log

    /// Epoch seconds, so `--at @SECONDS` addresses them directly.
    struct HandLog {
        var lines: [String] = []
        var serial = 100

        mutating func syscall(_ time: String, _ nr: Int, pid: Int64, ppid: Int64, exit: Int64? = nil, a0: String = "0",
                              comm: String, exe: String, argv: [String]? = nil) {
            serial += 1
            let stamp = "audit(\(time):\(serial))"
            let result: String
            if [60, 231].contains(nr) { result = "" } else { result = " success=yes exit=\(exit ?? 0)" }
            lines.append("type=SYSCALL msg=\(stamp): arch=c000003e syscall=\(nr)\(result) a0=\(a0) a1=0 a2=0 a3=0 items=0 ppid=\(ppid) pid=\(pid) auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=3 comm=\"\(comm)\" exe=\"\(exe)\" key=\"tree\"")
            if let argv {
                let args = argv.enumerated().map { "a\($0.offset)=\"\($0.element)\"" }.joined(separator: " ")
                lines.append("type=EXECVE msg=\(stamp): argc=\(argv.count) \(args)")
            }
            lines.append("type=EOE msg=\(stamp): ")
        }
        mutating func fork(_ time: String, parent: Int64, ppid: Int64, child: Int64, comm: String, exe: String,
                           nr: Int = 56, a0: String = "1200011") {
            syscall(time, nr, pid: parent, ppid: ppid, exit: child, a0: a0, comm: comm, exe: exe)
        }
        mutating func exec(_ time: String, pid: Int64, ppid: Int64, exe: String, argv: [String]) {
            syscall(time, 59, pid: pid, ppid: ppid, comm: (argv[0] as NSString).lastPathComponent, exe: exe, argv: argv)
        }
        mutating func exitGroup(_ time: String, pid: Int64, ppid: Int64, comm: String, exe: String) {
            syscall(time, 231, pid: pid, ppid: ppid, comm: comm, exe: exe)
        }
        var text: String { lines.joined(separator: "\n") + "\n" }
    }

    /// pid 4242 is two processes: `sleep 1` (a child of bash 100, 1000.0–1001.0,
    /// with a child 4250) and later `vim notes` (a child of sshd 200, from
    /// 2000.0, never exits, with a child 4300, a thread 4301 and a clone3 4302).
    /// Also: 5000, whose exec is logged before its parent's clone in the same
    /// millisecond; 6000, a thread of which exits before the process does;
    /// 7000, whose fork was not captured.
    static func reusedPidLog() -> HandLog {
        var log = HandLog()
        log.fork("1000.000", parent: 100, ppid: 1, child: 4242, comm: "bash", exe: "/usr/bin/bash")
        log.exec("1000.010", pid: 4242, ppid: 100, exe: "/usr/bin/sleep", argv: ["sleep", "1"])
        log.fork("1000.020", parent: 4242, ppid: 100, child: 4250, comm: "sleep", exe: "/usr/bin/sleep")
        log.exec("1000.030", pid: 4250, ppid: 4242, exe: "/usr/bin/true", argv: ["true"])
        log.exitGroup("1000.040", pid: 4250, ppid: 4242, comm: "true", exe: "/usr/bin/true")
        log.exitGroup("1001.000", pid: 4242, ppid: 100, comm: "sleep", exe: "/usr/bin/sleep")

        log.fork("2000.000", parent: 200, ppid: 1, child: 4242, comm: "sshd", exe: "/usr/sbin/sshd")
        log.exec("2000.005", pid: 4242, ppid: 200, exe: "/usr/bin/vim.basic", argv: ["vim", "notes"])
        log.fork("2000.100", parent: 4242, ppid: 200, child: 4300, comm: "vim", exe: "/usr/bin/vim.basic")
        log.exec("2000.110", pid: 4300, ppid: 4242, exe: "/usr/bin/ls", argv: ["ls", "-l"])
        log.exitGroup("2000.120", pid: 4300, ppid: 4242, comm: "ls", exe: "/usr/bin/ls")
        // pthread_create through clone(2): CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|…
        log.fork("2000.200", parent: 4242, ppid: 200, child: 4301, comm: "vim", exe: "/usr/bin/vim.basic", a0: "3d0f00")
        // clone3 passes a pointer: whether it made a thread is not known.
        log.fork("2000.300", parent: 4242, ppid: 200, child: 4302, comm: "vim", exe: "/usr/bin/vim.basic", nr: 435, a0: "7ffc4d1fbc30")

        // The child's exec before the parent's clone record, same millisecond.
        log.exec("3000.004", pid: 5000, ppid: 4242, exe: "/usr/bin/git", argv: ["git", "status"])
        log.fork("3000.004", parent: 4242, ppid: 200, child: 5000, comm: "vim", exe: "/usr/bin/vim.basic")
        log.exitGroup("3000.050", pid: 5000, ppid: 4242, comm: "git", exe: "/usr/bin/git")

        // A thread of 6000 ends (exit, with the process's pid), then the process.
        log.fork("4000.000", parent: 100, ppid: 1, child: 6000, comm: "bash", exe: "/usr/bin/bash")
        log.exec("4000.010", pid: 6000, ppid: 100, exe: "/usr/bin/python3.11", argv: ["python3", "job.py"])
        log.syscall("4000.500", 60, pid: 6000, ppid: 100, comm: "python3", exe: "/usr/bin/python3.11")
        log.exitGroup("4001.000", pid: 6000, ppid: 100, comm: "python3", exe: "/usr/bin/python3.11")

        // 7000's fork was not captured: it is 4242's child through its ppid.
        log.exec("2500.000", pid: 7000, ppid: 4242, exe: "/usr/bin/make", argv: ["make", "-j2"])
        return log
    }

    func importHandLog() throws -> String {
        let path = dir.appendingPathComponent("hand.log")
        try Self.reusedPidLog().text.write(to: path, atomically: true, encoding: .utf8)
        let store = dir.appendingPathComponent("hand.db").path
        let r = try TestSupport.auditq(["import", "--store", store, path.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        return store
    }

    func testAtPicksTheProcessThePidWasThen() throws {
        let store = try importHandLog()
        func tree(_ extra: [String]) throws -> (json: [String: Any], stderr: String) {
            let r = try TestSupport.auditq(["tree", "--store", store, "--format", "json", "4242"] + extra)
            return (try json(r), r.stderr)
        }
        func pids(_ nodes: Any?) -> [Int] { ((nodes as? [[String: Any]]) ?? []).compactMap { $0["pid"] as? Int } }

        let sleep = try tree(["--at", "@1000.5"]).json
        let first = try XCTUnwrap(sleep["process"] as? [String: Any])
        XCTAssertEqual(first["argv"] as? [String], ["sleep", "1"])
        XCTAssertEqual(first["ppid"] as? Int, 100)
        XCTAssertEqual(first["end"] as? String, "exit")
        XCTAssertEqual(first["exit_ms"] as? Int, 1_001_000)
        XCTAssertEqual(pids(sleep["ancestors"]), [1, 100])
        XCTAssertEqual(pids(sleep["descendants"]), [4250])

        for at in [["--at", "@2000.05"], ["--at", "@2600"], []] {
            let vim = try tree(at).json
            let second = try XCTUnwrap(vim["process"] as? [String: Any])
            XCTAssertEqual(second["argv"] as? [String], ["vim", "notes"], "\(at)")
            XCTAssertEqual(second["ppid"] as? Int, 200)
            XCTAssertEqual(second["end"] as? String, "running")
            XCTAssertEqual(pids(vim["ancestors"]), [1, 200])
            XCTAssertEqual(pids(vim["descendants"]), [4300, 4301, 4302, 7000, 5000])
            let kids = try XCTUnwrap(vim["descendants"] as? [[String: Any]])
            XCTAssertEqual(kids.map { $0["thread"] as? Bool }, [false, true, nil, nil, false])
            XCTAssertEqual(kids[3]["start_known"] as? Bool, false, "7000's fork is not stored")
            XCTAssertEqual(kids[4]["start_known"] as? Bool, true, "5000's fork, logged after its exec, is its start")
            XCTAssertEqual(kids[4]["end"] as? String, "exit")
        }

        // Between the two: the first had exited; it is shown, with a note.
        let between = try tree(["--at", "@1500"])
        XCTAssertEqual(between.json["alive_at"] as? Bool, false)
        XCTAssertEqual((between.json["process"] as? [String: Any])?["argv"] as? [String], ["sleep", "1"])
        XCTAssertTrue(between.stderr.contains("was not running at"), between.stderr)

        // Before either: nothing to show.
        let before = try TestSupport.auditq(["tree", "--store", store, "4242", "--at", "@500"])
        XCTAssertEqual(before.status, 1)
        XCTAssertEqual(before.stderr.split(separator: "\n").count, 1, before.stderr)

        // Instances of one pid are not mixed: 4250 and 4300 each have only their own parent.
        let c1 = try json(try TestSupport.auditq(["tree", "--store", store, "--format", "json", "4250"]))
        XCTAssertEqual(pids(c1["ancestors"]), [1, 100, 4242])
        XCTAssertEqual((c1["ancestors"] as? [[String: Any]])?.last?["argv"] as? [String], ["sleep", "1"])
        let c2 = try json(try TestSupport.auditq(["tree", "--store", store, "--format", "json", "4300"]))
        XCTAssertEqual(pids(c2["ancestors"]), [1, 200, 4242])
        XCTAssertEqual((c2["ancestors"] as? [[String: Any]])?.last?["argv"] as? [String], ["vim", "notes"])

        // A thread's exit does not end the process; exit_group does.
        let py = try json(try TestSupport.auditq(["tree", "--store", store, "--format", "json", "6000"]))
        XCTAssertEqual((py["process"] as? [String: Any])?["exit_ms"] as? Int, 4_001_000)
    }

    func testTextLayout() throws {
        let store = try importHandLog()
        let r = try TestSupport.auditq(["tree", "--store", store, "4242"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.out.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 8, r.out)
        guard lines.count == 8 else { return }
        XCTAssertEqual(lines[0], "1  ?  (nothing stored)")
        XCTAssertTrue(lines[1].hasPrefix("└─ 200  /usr/sbin/sshd  (no exec stored)  seen "), lines[1])
        XCTAssertTrue(lines[2].hasPrefix("   └─ *4242  /usr/bin/vim.basic  vim notes  start "), lines[2])
        XCTAssertTrue(lines[2].hasSuffix("  running"), lines[2])
        XCTAssertTrue(lines[3].hasPrefix("      ├─ 4300  /usr/bin/ls  ls -l  start "), lines[3])
        XCTAssertTrue(lines[3].range(of: #"  exit [0-9:.]+$"#, options: .regularExpression) != nil, lines[3])
        XCTAssertTrue(lines[4].hasPrefix("      ├─ 4301 [thread]  /usr/bin/vim.basic  start "), lines[4])
        XCTAssertTrue(lines[4].hasSuffix("  ?"), lines[4])
        XCTAssertTrue(lines[5].hasPrefix("      ├─ 4302  /usr/bin/vim.basic  (no exec stored)  start "), lines[5])
        XCTAssertTrue(lines[6].hasPrefix("      ├─ 7000  /usr/bin/make  make -j2  seen "), lines[6])
        XCTAssertTrue(lines[7].hasPrefix("      └─ 5000  /usr/bin/git  git status  start "), lines[7])
    }

    /// argv is shell-quoted (hex-encoded arguments decoded first) and kept to one readable line.
    func testArgvIsShellQuotedAndShortened() throws {
        func hex(_ s: String) -> String { s.utf8.map { String(format: "%02X", $0) }.joined() }
        let long = String(repeating: "a", count: 100)
        let args = ["a0=\"/bin/sh\"", "a1=\"-c\"", "a2=" + hex("echo \"$1\"; it's"), "a3=\"\"", "a4=" + hex("tab\there"),
                    "a5=" + hex("café")] + (6..<16).map { "a\($0)=\"\(long)\"" }
        let log = """
            type=SYSCALL msg=audit(50.000:1): arch=c000003e syscall=59 success=yes exit=0 a0=0 a1=0 a2=0 a3=0 items=0 ppid=1 pid=8000 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm="sh" exe="/usr/bin/dash" key=(null)
            type=EXECVE msg=audit(50.000:1): argc=16 \(args.joined(separator: " "))
            type=EOE msg=audit(50.000:1): \n
            type=SYSCALL msg=audit(51.000:2): arch=c000003e syscall=59 success=yes exit=0 a0=0 a1=0 a2=0 a3=0 items=0 ppid=1 pid=8001 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm="x" exe=\(hex("/tmp/odd\nname")) key=(null)
            type=EXECVE msg=audit(51.000:2): argc=1 a0=\(hex("x\u{202E}gpj.exe"))
            """
        let path = dir.appendingPathComponent("argv.log")
        try log.write(to: path, atomically: true, encoding: .utf8)
        let store = dir.appendingPathComponent("argv.db").path
        XCTAssertEqual(try TestSupport.auditq(["import", "--store", store, path.path]).status, 0)
        let r = try TestSupport.auditq(["tree", "--store", store, "8000"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.out.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 2, r.out)
        let line = try XCTUnwrap(lines.last)
        let a = String(repeating: "a", count: 63) + "…"
        XCTAssertTrue(line.hasPrefix(#"└─ *8000  /usr/bin/dash  /bin/sh -c 'echo "$1"; it'\''s' '' $'tab\there' café \#(a) … (+9 more)  seen "#), line)
        let obj = try json(try TestSupport.auditq(["tree", "--store", store, "--format", "json", "8000"]))
        XCTAssertEqual((obj["process"] as? [String: Any])?["argv"] as? [String],
                       ["/bin/sh", "-c", "echo \"$1\"; it's", "", "tab\there", "café"] + Array(repeating: long, count: 10))

        // What a terminal would not show as itself is escaped: a newline in exe, a right-to-left override.
        let odd = try TestSupport.auditq(["tree", "--store", store, "8001"])
        XCTAssertTrue(odd.out.contains(#"└─ *8001  $'/tmp/odd\nname'  $'x\u202egpj.exe'  seen "#), odd.out)
    }

    // MARK: bad input

    func testUnknownPidAndBadTime() throws {
        let store = try importHandLog()
        let unknown = try TestSupport.auditq(["tree", "--store", store, "31337"])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertEqual(unknown.out, "")
        XCTAssertEqual(unknown.stderr, "auditq: no exec, fork or exit of pid 31337 is stored; tree needs rules that capture execve and clone/fork (see audit_rules/) or auditqd's BPF sensor\n")

        for args in [["4242", "--at", "yesterdayish"], ["4242", "--at", "13/45/2020"], ["0"], ["-5"], ["abc"], []] {
            let bad = try TestSupport.auditq(["tree", "--store", store] + args)
            XCTAssertEqual(bad.status, 64, "\(args): \(bad.stderr)")
            XCTAssertEqual(bad.stderr.split(separator: "\n").count, 1, "\(args): \(bad.stderr)")
            XCTAssertEqual(bad.out, "")
        }
        let missing = try TestSupport.auditq(["tree", "--store", dir.appendingPathComponent("none.db").path, "1"])
        XCTAssertEqual(missing.status, 66)
        XCTAssertEqual(missing.stderr.split(separator: "\n").count, 1, missing.stderr)
    }

    // MARK: the schema

    /// A store written before 0002: the migrations add the view and its
    /// indexes over the events already there, and the chain still verifies.
    func testStoreFromBeforeProcessFactsGetsThem() throws {
        let store = try importHandLog()
        // Make it what an older auditq left: no view, no indexes, 0002 and 0003 not applied.
        let queue = try DatabaseQueue(path: store)
        try queue.write { db in
            try db.execute(sql: """
                DROP VIEW process_fact; DROP INDEX event_fork_child; DROP INDEX event_process_ppid;
                DROP INDEX event_process_pid; DROP INDEX event_sensor_ppid;
                DELETE FROM grdb_migrations WHERE identifier IN ('0002_process_facts.sql', '0003_sensor_process_facts.sql')
                """)
        }
        try queue.close()
        let old = try EventStore(path: store, access: .read)
        XCTAssertFalse(try old.pool.read(ProcessTree.hasFacts))

        let r = try TestSupport.auditq(["tree", "--store", store, "--format", "json", "4300"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "auditq: adding process facts to \(store)\n")
        XCTAssertEqual(((try json(r))["ancestors"] as? [[String: Any]])?.compactMap { $0["pid"] as? Int }, [1, 200, 4242])

        let upgraded = try EventStore(path: store, access: .read)
        try upgraded.pool.read { db in
            XCTAssertTrue(try ProcessTree.hasFacts(db))
            XCTAssertEqual(try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier"),
                           SchemaMigrations.all.map(\.name))
        }
        XCTAssertEqual(try TestSupport.auditq(["verify", "--store", store]).status, 0)
        // Every writer applies it too.
        XCTAssertTrue(SchemaMigrations.all.contains { $0.name == "0002_process_facts.sql" })
        XCTAssertTrue(SchemaMigrations.all.contains { $0.name == "0003_sensor_process_facts.sql" })
    }

    /// A store at 0002 (audit's facts only) gets the sensor's on opening for writing.
    func testStoreFromBeforeSensorFactsGetsThem() throws {
        let store = try importHandLog()
        let queue = try DatabaseQueue(path: store)
        try queue.write { db in
            // 0003 undone: 0002's view and indexes as 0002 made them.
            try db.execute(sql: """
                DROP VIEW process_fact; DROP INDEX event_fork_child; DROP INDEX event_process_ppid;
                DROP INDEX event_process_pid; DROP INDEX event_sensor_ppid;
                """)
            try db.execute(sql: SchemaMigrations.all.first { $0.name == "0002_process_facts.sql" }!.sql)
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = '0003_sensor_process_facts.sql'")
        }
        try queue.close()
        XCTAssertFalse(try EventStore(path: store, access: .read).pool.read(ProcessTree.hasFacts))
        let r = try TestSupport.auditq(["tree", "--store", store, "--format", "json", "4300"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "auditq: adding process facts to \(store)\n")
        XCTAssertTrue(try EventStore(path: store, access: .read).pool.read(ProcessTree.hasFacts))
        XCTAssertEqual(try TestSupport.auditq(["verify", "--store", store]).status, 0)
    }

    /// The view classifies per architecture; a failed exec and a failed fork are no facts.
    func testProcessFactView() throws {
        var log = HandLog()
        log.exec("10.000", pid: 10, ppid: 1, exe: "/usr/bin/true", argv: ["true"])
        log.lines.append(contentsOf: [
            // i386 execve (11) and clone (120), aarch64 clone3 (435) and exit_group (94)
            "type=SYSCALL msg=audit(10.100:201): arch=40000003 syscall=11 success=yes exit=0 a0=0 a1=0 a2=0 a3=0 items=0 ppid=1 pid=11 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm=\"a\" exe=\"/a\" key=(null)",
            "type=SYSCALL msg=audit(10.200:202): arch=40000003 syscall=120 success=yes exit=13 a0=11 a1=0 a2=0 a3=0 items=0 ppid=1 pid=11 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm=\"a\" exe=\"/a\" key=(null)",
            "type=SYSCALL msg=audit(10.300:203): arch=c00000b7 syscall=435 success=yes exit=14 a0=0 a1=0 a2=0 a3=0 items=0 ppid=1 pid=12 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm=\"b\" exe=\"/b\" key=(null)",
            "type=SYSCALL msg=audit(10.400:204): arch=c00000b7 syscall=94 a0=0 a1=0 a2=0 a3=0 items=0 ppid=1 pid=12 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm=\"b\" exe=\"/b\" key=(null)",
            // x86_64: a failed execve, a failed clone, and open (2, i386's fork) which is no fact
            "type=SYSCALL msg=audit(10.500:205): arch=c000003e syscall=59 success=no exit=-2 a0=0 a1=0 a2=0 a3=0 items=0 ppid=1 pid=15 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm=\"c\" exe=\"/c\" key=(null)",
            "type=SYSCALL msg=audit(10.600:206): arch=c000003e syscall=56 success=no exit=-11 a0=0 a1=0 a2=0 a3=0 items=0 ppid=1 pid=15 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm=\"c\" exe=\"/c\" key=(null)",
            "type=SYSCALL msg=audit(10.700:207): arch=c000003e syscall=2 success=yes exit=3 a0=0 a1=0 a2=0 a3=0 items=0 ppid=1 pid=15 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm=\"c\" exe=\"/c\" key=(null)",
        ])
        let path = dir.appendingPathComponent("arch.log")
        try log.text.write(to: path, atomically: true, encoding: .utf8)
        let storePath = dir.appendingPathComponent("arch.db").path
        XCTAssertEqual(try TestSupport.auditq(["import", "--store", storePath, path.path]).status, 0)
        let store = try EventStore(path: storePath, access: .read)
        let rows = try store.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT kind, pid, child, argv, success FROM process_fact ORDER BY time_ms")
        }
        XCTAssertEqual(rows.map { $0["kind"] as String }, ["exec", "exec", "fork", "fork", "exit"])
        XCTAssertEqual(rows.map { $0["pid"] as Int64 }, [10, 11, 11, 12, 12])
        XCTAssertEqual(rows.map { $0["child"] as Int64? }, [nil, nil, 13, 14, nil])
        XCTAssertEqual(rows[0]["argv"] as String?, "[\"true\"]")
        XCTAssertEqual(rows[4]["success"] as Int64?, nil, "exit_group does not return: no success=")
    }

    /// The tree's three lookups use the partial indexes of 0002, whose WHERE
    /// ProcessTree repeats: a store of millions of opens is not scanned.
    func testTreeQueriesUseTheIndexes() throws {
        let store = try EventStore(path: try importHandLog(), access: .read)
        let plans: [(String, String)] = [
            ("SELECT id FROM event WHERE pid = 1 AND (\(ProcessSyscalls.processFactIndex))", "event_process_pid"),
            ("SELECT id FROM event WHERE ppid = 1 AND (\(ProcessSyscalls.processFactIndex))", "event_process_ppid"),
            ("SELECT id FROM event WHERE exit = 1 AND \(ProcessSyscalls.forkChildIndex)", "event_fork_child"),
            // the sensor's children of a pid (0003), as ProcessTree asks
            ("SELECT id FROM event WHERE ppid = 1 AND syscall IS NULL AND ppid IS NOT NULL AND types IN (1,2,3)", "event_sensor_ppid"),
        ]
        try store.pool.read { db in
            for (sql, index) in plans {
                let plan = try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql).map { $0["detail"] as String }.joined(separator: "; ")
                XCTAssertTrue(plan.contains("USING INDEX \(index) "), "\(index): \(plan)")
            }
        }
    }
}
