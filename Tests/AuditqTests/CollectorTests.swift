import Foundation
import XCTest

/// auditqd on the real kernel audit socket: primary mode (it is the audit
/// daemon), passive mode beside a real auditd, a burst with nothing lost,
/// and a kill -9 mid-burst that the ledger must account for. Every test
/// holds the kernel-audit lock and restores the audit state it found; its
/// rules carry a unique key and are scoped to the workload's login uid.
final class CollectorTests: XCTestCase {
    struct Stored: Decodable {
        var serial: Int64
        var types: [String]
        var syscall: String?
        var success: Bool?
        var exit: Int64?
        var auid: Int64?
        var exe: String?
        var paths: [Path]?
        var sockaddr: Sock?
        struct Path: Decodable { var name: String? }
        struct Sock: Decodable { var family: String?; var address: String?; var port: Int? }
    }

    struct Argv: Decodable { var argv: [String]? }

    func events(_ store: String, _ filter: [String]) throws -> [Stored] {
        let out = try TestSupport.auditq(["search", "--store", store, "--format", "json"] + filter)
        return out.out.split(separator: "\n").compactMap { try? JSONDecoder().decode(Stored.self, from: Data($0.utf8)) }
    }

    func rulesFile(_ dir: URL, key: String, auid: Int, syscalls: [String]) throws -> String {
        let path = dir.appendingPathComponent("test.rules").path
        let text = syscalls.map { "-a always,exit -F arch=b64 -S \($0) -F auid=\(auid) -k \(key)" }.joined(separator: "\n") + "\n"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testPrimaryModeStoresTheWorkload() throws {
        try KernelAudit.exclusive {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let key = KernelAudit.uniqueKey("primary"), auid = Workload.auid()
            defer { KernelAudit.removeRules(key: key) }
            let store = dir.appendingPathComponent("s.db").path
            let rules = try rulesFile(dir, key: key, auid: auid, syscalls: ["execve", "openat", "connect"])
            let before = try KernelAudit.status()

            let daemon = try AuditqdProcess(["--store", store, "--no-sensor", "--mode", "primary", "--rules", rules])
            XCTAssertTrue(daemon.waitFor("collecting in primary mode"), daemon.stderr)
            XCTAssertEqual(try KernelAudit.status().int("pid"), Int(daemon.pid), "auditqd is the audit daemon")
            XCTAssertEqual(try KernelAudit.status().int("backlog_limit"), 8192)

            let file = dir.appendingPathComponent("target.txt").path
            try "x\n".write(toFile: file, atomically: true, encoding: .utf8)
            let (fd, port) = try TestSupport.loopbackListener()
            defer { close(fd) }
            let run = try Workload.run(auid: auid, """
                /bin/true
                cat \(file) > /dev/null
                cat \(dir.path)/no-such-file 2>/dev/null
                exec 3<>/dev/tcp/127.0.0.1/\(port)
                """)
            XCTAssertEqual(run.status, 0, run.stderr)
            // The connect is the workload's last audited call.
            XCTAssertTrue(TestSupport.wait { TestSupport.storedCount(store, ["-k", key, "-sc", "connect"]) >= 1 }, "the connect is stored")
            // A message sent with auditctl -m is an AUDIT_USER (1005) record.
            XCTAssertEqual(try TestSupport.run(KernelAudit.auditctl!, ["-m", "auditq test \(key)"]).status, 0)
            XCTAssertTrue(TestSupport.wait { (try? TestSupport.auditq(["search", "--store", store, "-m", "USER", "--raw"]).out.contains(key)) == true },
                          "the USER record of auditctl -m is stored")
            XCTAssertEqual(daemon.stop(), 0, daemon.stderr)
            XCTAssertTrue(daemon.stderr.contains("stopped by signal SIGTERM"), daemon.stderr)

            // The kernel is as before: no audit daemon, our rules gone, flag restored.
            let after = try KernelAudit.status()
            XCTAssertEqual(after.int("pid"), 0)
            XCTAssertEqual(after.int("enabled"), before.int("enabled"))
            let listed = try TestSupport.run(KernelAudit.auditctl!, ["-l"]).out
            XCTAssertFalse(listed.contains(key), "auditqd removes the rules it loaded: \(listed)")

            let found = try events(store, ["-k", key])
            XCTAssertFalse(found.isEmpty)
            // -k finds the workload's events and the CONFIG_CHANGE records of
            // loading and removing the rules, which carry the key too.
            let workload = found.filter { $0.types.first != "CONFIG_CHANGE" }
            let ruleChanges = found.count - workload.count
            XCTAssertTrue(workload.allSatisfy { $0.auid == Int64(auid) }, "-k finds only the workload's events")
            // Everything the workload's login uid did that the rules match: all
            // but setting that login uid (a LOGIN record, and auparse gives the
            // write's SYSCALL record of the same serial as a second event).
            let all = try events(store, ["-ua", "\(auid)"])
            let login = Set(all.filter { $0.types.first == "LOGIN" }.map(\.serial))
            let byAuid = all.filter { !login.contains($0.serial) }
            XCTAssertEqual(Set(workload.map(\.serial)), Set(byAuid.map(\.serial)), "-k KEY finds exactly the workload's events: "
                           + byAuid.filter { e in !workload.contains { $0.serial == e.serial } }.map { "\($0.serial) \($0.types) \($0.syscall ?? "")" }.joined(separator: "; "))
            XCTAssertEqual(ruleChanges, 6, "3 rules added and 3 removed, each a CONFIG_CHANGE record with the key")
            XCTAssertTrue(found.contains { $0.syscall == "execve" && $0.exe == "/usr/bin/true" && $0.success == true }, "exec of /bin/true")
            XCTAssertTrue(found.contains { $0.syscall == "openat" && $0.success == true && ($0.paths ?? []).contains { $0.name == file } }, "open of the temp file")
            XCTAssertTrue(found.contains { $0.syscall == "openat" && $0.success == false && $0.exit == -2 && ($0.paths ?? []).contains { $0.name?.hasSuffix("no-such-file") ?? false } }, "failed open")
            XCTAssertTrue(found.contains { $0.syscall == "connect" && $0.sockaddr?.address == "127.0.0.1" && $0.sockaddr?.port == port }, "connect to the listener")
            // Stored as auditd writes records: no EOE records, raw lines start with type=.
            XCTAssertFalse(found.contains { $0.types.contains("EOE") })
            let raw = try TestSupport.auditq(["search", "--store", store, "-k", key, "--raw"]).out
            XCTAssertTrue(raw.split(separator: "\n").allSatisfy { $0.hasPrefix("type=") }, raw)

            XCTAssertEqual(try TestSupport.auditq(["verify", "--store", store]).status, 0)
            let status = try TestSupport.auditq(["status", "--store", store])
            XCTAssertEqual(status.status, 0, status.out)
            XCTAssertTrue(status.out.contains("primary mode"), status.out)
            XCTAssertTrue(status.out.contains("3 rule(s) loaded"), status.out)
            XCTAssertTrue(status.out.contains("coverage   complete from"), status.out)
        }
    }

    func testPassiveModeBesideAuditd() throws {
        guard TestSupport.which("auditd") != nil, let ausearch = TestSupport.which("ausearch") else {
            throw TestSupport.missing("auditd/ausearch are not installed")
        }
        try KernelAudit.exclusive {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let key = KernelAudit.uniqueKey("passive"), auid = Workload.auid()
            defer { KernelAudit.removeRules(key: key) }
            let store = dir.appendingPathComponent("s.db").path
            let auditd = try PrivateAuditd(dir: dir.appendingPathComponent("auditd"))
            defer { auditd.stop() }
            _ = try TestSupport.run(KernelAudit.auditctl!, ["-e", "1"])

            let daemon = try AuditqdProcess(["--store", store, "--no-sensor"])
            XCTAssertTrue(daemon.waitFor("collecting in passive mode"), daemon.stderr)
            XCTAssertEqual(try KernelAudit.status().int("pid"), Int(auditd.process.processIdentifier), "auditd keeps the unicast socket")
            let add = try TestSupport.run(KernelAudit.auditctl!, ["-a", "always,exit", "-F", "arch=b64", "-S", "execve,openat",
                                                                  "-F", "auid=\(auid)", "-k", key])
            XCTAssertEqual(add.status, 0, add.stderr)
            let file = dir.appendingPathComponent("target.txt").path
            try "x\n".write(toFile: file, atomically: true, encoding: .utf8)
            XCTAssertEqual(try Workload.run(auid: auid, "for i in 1 2 3; do /bin/true; cat \(file) >/dev/null; done").status, 0)
            // A huge exec as the kernel logs it: 1000 arguments (~128 KiB) over
            // many EXECVE records, and one 20 KiB argument split in pieces (a1_len, a1[0] …).
            XCTAssertEqual(try Workload.run(auid: auid, """
                /bin/true $(for ((i = 0; i < 1000; i++)); do printf 'arg%s-%0120d ' $i 0; done)
                /bin/true "$(printf '%020480d' 0)"
                """).status, 0)
            // The rule's removal is an event too: both must see it.
            KernelAudit.removeRules(key: key)
            XCTAssertTrue(TestSupport.wait { TestSupport.storedCount(store, ["-k", key, "-m", "CONFIG_CHANGE"]) >= 2 },
                          "the rule's addition and removal are stored")
            XCTAssertEqual(daemon.stop(), 0, daemon.stderr)
            auditd.stop()

            let theirs = try TestSupport.run(ausearch, ["-if", auditd.log, "-k", key, "--raw"])
            let ours = try TestSupport.auditq(["search", "--store", store, "-k", key, "--raw"])
            XCTAssertGreaterThanOrEqual(theirs.out.split(separator: "\n").count, 12)
            XCTAssertEqual(ours.out, theirs.out, "auditd's log and auditq's store hold the same records; auditqd said: \(daemon.stderr)")
            let argvs = try TestSupport.auditq(["search", "--store", store, "-k", key, "-x", "/usr/bin/true", "--format", "json"]).out
                .split(separator: "\n").compactMap { try? JSONDecoder().decode(Argv.self, from: Data($0.utf8)).argv }
            XCTAssertTrue(argvs.contains { $0.count == 1001 && $0[1000] == "arg999-" + String(repeating: "0", count: 120) }, "1000 arguments")
            XCTAssertTrue(argvs.contains { $0.count == 2 && $0[1] == String(repeating: "0", count: 20480) }, "one 20 KiB argument")
            let status = try TestSupport.auditq(["status", "--store", store]).out
            XCTAssertTrue(status.contains("passive mode"), status)
        }
    }

    /// A passive collector that cannot keep up loses records to ENOBUFS on
    /// its socket (auditd still has them): the ledger counts the overrun and
    /// names the missing serials, and status reports the gap.
    func testSocketOverrunIsInTheLedger() throws {
        guard TestSupport.which("auditd") != nil else { throw TestSupport.missing("auditd is not installed") }
        try KernelAudit.exclusive {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let key = KernelAudit.uniqueKey("overrun"), auid = Workload.auid()
            defer { KernelAudit.removeRules(key: key) }
            let store = dir.appendingPathComponent("s.db").path
            let auditd = try PrivateAuditd(dir: dir.appendingPathComponent("auditd"))
            defer { auditd.stop() }
            _ = try TestSupport.run(KernelAudit.auditctl!, ["-e", "1"])
            _ = try TestSupport.run(KernelAudit.auditctl!, ["-b", "8192"])
            let daemon = try AuditqdProcess(["--store", store, "--no-sensor", "--mode", "passive", "--receive-buffer", "4096"])
            XCTAssertTrue(daemon.waitFor("collecting in passive mode"), daemon.stderr)
            XCTAssertEqual(try TestSupport.run(KernelAudit.auditctl!, ["-a", "always,exit", "-F", "arch=b64", "-S", "execve",
                                                                       "-F", "auid=\(auid)", "-k", key]).status, 0)
            // Stopped, it reads nothing while the burst fills its small buffer.
            kill(daemon.pid, SIGSTOP)
            XCTAssertEqual(try Workload.run(auid: auid, "for ((i = 0; i < 500; i++)); do /bin/true; done").status, 0)
            kill(daemon.pid, SIGCONT)
            XCTAssertEqual(try Workload.run(auid: auid, "for ((i = 0; i < 20; i++)); do /bin/true; done").status, 0)
            TestSupport.waitUntilSteady { TestSupport.storedCount(store, ["-k", key]) }
            XCTAssertEqual(daemon.stop(), 0, daemon.stderr)
            XCTAssertTrue(daemon.stderr.contains("ENOBUFS"), daemon.stderr)

            let json = try TestSupport.auditq(["status", "--store", store, "--format", "json"])
            XCTAssertEqual(json.status, 1, "status reports the loss")
            struct Status: Decodable { var socket_overruns: Int; var missing_serials: Int; var complete: Bool }
            let status = try JSONDecoder().decode(Status.self, from: json.stdout)
            XCTAssertGreaterThan(status.socket_overruns, 0)
            XCTAssertGreaterThan(status.missing_serials, 0)
            XCTAssertFalse(status.complete)
            try assertSerialsAccounted(store, expectGaps: true)
        }
    }

    /// SIGHUP reloads the rule files: the old rules go, the new ones come,
    /// and the ledger holds both rule sets; a bad file leaves them as they are.
    func testSighupReloadsTheRules() throws {
        try KernelAudit.exclusive {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let first = KernelAudit.uniqueKey("hup1"), second = KernelAudit.uniqueKey("hup2"), auid = Workload.auid()
            defer { KernelAudit.removeRules(key: first); KernelAudit.removeRules(key: second) }
            let store = dir.appendingPathComponent("s.db").path
            let rules = try rulesFile(dir, key: first, auid: auid, syscalls: ["execve"])
            let daemon = try AuditqdProcess(["--store", store, "--no-sensor", "--mode", "primary", "--rules", rules])
            XCTAssertTrue(daemon.waitFor("collecting in primary mode"), daemon.stderr)
            func listed() throws -> String { try TestSupport.run(KernelAudit.auditctl!, ["-l"]).out }
            XCTAssertTrue(try listed().contains(first))

            _ = try rulesFile(dir, key: second, auid: auid, syscalls: ["execve", "openat"])
            kill(daemon.pid, SIGHUP)
            XCTAssertTrue(daemon.waitFor("SIGHUP: reloaded"), daemon.stderr)
            XCTAssertFalse(try listed().contains(first), "the old rule is gone")
            XCTAssertEqual(try listed().components(separatedBy: second).count - 1, 2, "both new rules are loaded")

            try "-a always,exit -S nosuchcall -k \(second)\n".write(toFile: rules, atomically: true, encoding: .utf8)
            kill(daemon.pid, SIGHUP)
            XCTAssertTrue(daemon.waitFor("rules not reloaded"), daemon.stderr)
            XCTAssertEqual(try listed().components(separatedBy: second).count - 1, 2, "a bad file changes nothing")
            XCTAssertEqual(daemon.stop(), 0, daemon.stderr)
            XCTAssertFalse(try listed().contains(second), "the rules in force are removed at stop")
            let status = try TestSupport.auditq(["status", "--store", store]).out
            XCTAssertTrue(status.contains("2 rule(s) loaded"), status)
        }
    }

    /// 20k execs with the default configuration: every serial the kernel
    /// issued in the run is a stored event, nothing is lost.
    func testBurstOfExecsLosesNothing() throws {
        try KernelAudit.exclusive {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let key = KernelAudit.uniqueKey("burst"), auid = Workload.auid()
            defer { KernelAudit.removeRules(key: key) }
            let store = dir.appendingPathComponent("s.db").path
            let rules = try rulesFile(dir, key: key, auid: auid, syscalls: ["execve"])
            let lostBefore = try KernelAudit.status().int("lost") ?? 0
            let daemon = try AuditqdProcess(["--store", store, "--no-sensor", "--mode", "primary", "--rules", rules])
            XCTAssertTrue(daemon.waitFor("collecting in primary mode"), daemon.stderr)
            XCTAssertEqual(try Workload.run(auid: auid, "for ((i = 0; i < 20000; i++)); do /bin/true; done").status, 0)
            TestSupport.wait(timeout: 60) { TestSupport.storedCount(store, ["-k", key, "-sc", "execve"]) >= 20_000 }
            XCTAssertEqual(daemon.stop(), 0, daemon.stderr)

            XCTAssertEqual(try events(store, ["-k", key]).filter { $0.exe == "/usr/bin/true" }.count, 20_000)
            XCTAssertEqual(try KernelAudit.status().int("lost") ?? 0, lostBefore, "the kernel lost nothing")
            try assertSerialsAccounted(store, expectGaps: false)
            XCTAssertEqual(try TestSupport.auditq(["status", "--store", store]).status, 0)
        }
    }

    /// kill -9 in the middle of a burst, then a restart: the chain verifies,
    /// no event is stored in part, and the ledger shows the crash and every
    /// serial that was not stored.
    func testKillNineMidBurstIsAccountedFor() throws {
        try KernelAudit.exclusive {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let key = KernelAudit.uniqueKey("kill9"), auid = Workload.auid()
            defer { KernelAudit.removeRules(key: key) }
            let store = dir.appendingPathComponent("s.db").path
            let rules = try rulesFile(dir, key: key, auid: auid, syscalls: ["execve"])
            let first = try AuditqdProcess(["--store", store, "--no-sensor", "--mode", "primary", "--rules", rules, "--keep-rules"])
            XCTAssertTrue(first.waitFor("collecting in primary mode"), first.stderr)
            let burst = try Workload.start(auid: auid, "for ((i = 0; i < 8000; i++)); do /bin/true; done")
            // Wait until some events are committed, then kill without warning.
            let end = Date().addingTimeInterval(30)
            while Date() < end, (try? events(store, ["-k", key]).count) ?? 0 < 500 { usleep(100_000) }
            first.kill9()
            let second = try AuditqdProcess(["--store", store, "--no-sensor", "--mode", "primary", "--rules", rules])
            XCTAssertTrue(second.waitFor("collecting in primary mode"), second.stderr)
            XCTAssertTrue(second.stderr.contains("did not stop cleanly"), second.stderr)
            burst.waitUntilExit()
            TestSupport.waitUntilSteady { TestSupport.storedCount(store, ["-k", key]) }
            XCTAssertEqual(second.stop(), 0, second.stderr)

            XCTAssertEqual(try TestSupport.auditq(["verify", "--store", store]).status, 0)
            // Every exec event is whole: its SYSCALL, EXECVE and PROCTITLE records.
            let stored = try events(store, ["-k", key]).filter { $0.types.first != "CONFIG_CHANGE" }
            XCTAssertGreaterThan(stored.count, 500)
            for e in stored {
                XCTAssertTrue(e.types.first == "SYSCALL" && e.types.contains("EXECVE") && e.types.last == "PROCTITLE",
                              "partial event \(e.serial): \(e.types)")
            }
            try assertSerialsAccounted(store, expectGaps: nil)
            let status = try TestSupport.auditq(["status", "--store", store])
            XCTAssertEqual(status.status, 1, "the ledger shows loss: \(status.out)")
            XCTAssertTrue(status.out.contains("killed or crashed"), status.out)
        }
    }

    /// Between the lowest and highest serial stored by the collector, every
    /// serial is a stored event or inside a serial_gap ledger row.
    func assertSerialsAccounted(_ store: String, expectGaps: Bool?, file: StaticString = #filePath, line: UInt = #line) throws {
        let serials = Set(try events(store, []).map(\.serial))
        guard let low = serials.min(), let high = serials.max() else { return XCTFail("no events", file: file, line: line) }
        let status = try TestSupport.auditq(["status", "--store", store, "--format", "json"])
        struct Status: Decodable { var gaps: [Gap]; struct Gap: Decodable { var kind: String; var first_serial: Int64?; var last_serial: Int64? } }
        let gaps = try JSONDecoder().decode(Status.self, from: status.stdout).gaps.filter { $0.kind == "serials" }
        var missing: [Int64] = []
        for s in low...high where !serials.contains(s) {
            if !gaps.contains(where: { ($0.first_serial ?? .max) <= s && s <= ($0.last_serial ?? .min) }) { missing.append(s) }
        }
        XCTAssertEqual(missing.prefix(20), [], "serials neither stored nor in the ledger (of \(high - low + 1))", file: file, line: line)
        if let expectGaps { XCTAssertEqual(!gaps.isEmpty, expectGaps, "serial gaps: \(gaps.count)", file: file, line: line) }
    }
}
