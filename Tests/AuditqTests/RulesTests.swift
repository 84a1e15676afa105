import AuditRules
import Foundation
import XCTest

/// The rule library and `auditq rules load|list|diff`, against the kernel's
/// audit rules with auditctl as the reference. Kernel tests hold
/// KernelAudit.exclusive, give their rules a unique key and remove them; the
/// tests that compare whole rule lists run only when the kernel has no rules
/// to begin with and leave it with none. Nothing here passes allowImmutable
/// or allowPanic.
final class RulesTests: XCTestCase {
    static let examples = "/usr/share/doc/auditd/examples/rules"

    // MARK: Parsing (no kernel)

    func testBadLineIsNamedByFileAndLine() throws {
        let cases: [(String, String)] = [
            ("-a always,exit -F arch=b64 -S nosuchcall -k k", "Syscall name unknown: nosuchcall"),
            ("-a always,exit -F nosuchfield=1 -k k", "-F unknown field: nosuchfield=1"),
            ("-a always,exit -S open -F arch=b64 -k k", "arch=b64 must be before -S"),
            ("-a always,nosuchlist -S open", "Append rule - bad keyword always,nosuchlist"),
            ("-F uid=0", "List must be given before field"),
            ("-k lonely", "key option needs a watch or syscall given prior to it"),
            ("-w relative/path -p wa -k k", "The path must start with '/'"),
            ("-w /etc/hosts -p z -k k", "Permission z isn't supported"),
            ("-a always,exit -F arch=b64 -S open -F auid=aq-no-such-user -k k", "Unknown user: aq-no-such-user"),
            ("-e 3", "Enable must be 0, 1, or 2 was 3"),
            ("-b lots", "Backlog must be a numeric value was lots"),
            ("-a always,exit -F arch=b64 -S open -a never,exit", "Multiple rule insert/delete operations are not allowed"),
            ("-a task,always -S open", "Error: syscall auditing being added to task list"),
            ("always,exit", "parameter passed without an option given: always,exit"),
            ("-l", "-l is not supported in a rule file"),
        ]
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for (line, reason) in cases {
            let path = try write("# header\n-w /etc/hosts -p wa -k fine\n\n\(line)\n-b 64\n", dir, "bad.rules")
            XCTAssertThrowsError(try RuleSet.read([path]), line) { error in
                guard let error = error as? RuleError else { return XCTFail("\(line): \(error)") }
                XCTAssertEqual(error.kind, .syntax, line)
                XCTAssertEqual(error.description, "\(path):4: \(reason)", line)
            }
        }
    }

    func testRuleSetKeysCountTextAndDigest() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = "-D\n-b 320\n-w /etc/passwd -p wa -k identity\n"
        let b = "-a always,exit -F arch=b64 -S execve -k exec -k identity\n-a always,exit -F arch=b64 -S openat -F key=files"
        try a.write(to: dir.appendingPathComponent("10-a.rules"), atomically: true, encoding: .utf8)
        try b.write(to: dir.appendingPathComponent("20-b.rules"), atomically: true, encoding: .utf8)
        try "not rules".write(to: dir.appendingPathComponent("README"), atomically: true, encoding: .utf8)

        let set = try RuleSet.read([dir.path])
        XCTAssertEqual(set.files, [dir.path + "/10-a.rules", dir.path + "/20-b.rules"])
        XCTAssertEqual(set.ruleCount, 3)
        XCTAssertEqual(set.keys, ["identity", "exec", "files"])
        XCTAssertEqual(set.text, "## \(set.files[0])\n\(a)## \(set.files[1])\n\(b)\n")

        let textFile = try write(set.text, dir, "text")
        let sum = try TestSupport.run("/usr/bin/sha256sum", [textFile])
        XCTAssertEqual(set.sha256, String(sum.out.prefix(64)))
    }

    func testMissingFileExits66() throws {
        for command in ["load", "diff"] {
            let r = try TestSupport.auditq(["rules", command, "/nonexistent/aq.rules"])
            XCTAssertEqual(r.status, 66, "\(command): \(r.stderr)")
            XCTAssertEqual(r.stderr, "auditq: /nonexistent/aq.rules: No such file or directory\n")
        }
    }

    func testWithoutAuditControlExits77() throws {
        guard geteuid() == 0, let runuser = TestSupport.which("runuser") else {
            throw TestSupport.missing("needs root and runuser to drop to nobody")
        }
        // A copy nobody can reach: the checkout may sit under a root-only folder.
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let binary = dir.appendingPathComponent("auditq").path
        try FileManager.default.copyItem(atPath: TestSupport.auditq, toPath: binary)
        for path in [dir.path, binary] { chmod(path, 0o755) }
        for arguments in [["rules", "list"], ["rules", "load", Self.examples + "/21-no32bit.rules"]] {
            let r = try TestSupport.run(runuser, ["-u", "nobody", "--", binary] + arguments)
            XCTAssertFalse(r.status == 126 || r.status == 127, "nobody cannot run \(binary): \(r.stderr)")
            XCTAssertEqual(r.status, 77, r.stderr)
            XCTAssertEqual(r.stderr, "auditq: audit_can_control: Operation not permitted (needs root or CAP_AUDIT_CONTROL)\n")
        }
    }

    // MARK: Loading

    func testBadLineLoadsNothingOfItsFile() throws {
        try withKernelRules("badline") { key, dir in
            let path = try write("""
                -w /etc/hosts -p wa -k \(key)
                -a always,exit -F arch=b64 -S openat -F exit=-EACCES -k \(key)
                -a always,exit -F arch=b64 -S no_such_syscall -k \(key)

                """, dir, "bad.rules")
            let r = try TestSupport.auditq(["rules", "load", path])
            XCTAssertEqual(r.status, 65, r.stderr)
            XCTAssertEqual(r.stderr, "auditq: \(path):3: Syscall name unknown: no_such_syscall\n")
            XCTAssertFalse(try Self.auditctlList().contains(key), "a rule of the bad file was loaded")
        }
    }

    func testKernelRejectionRemovesWhatTheFileAdded() throws {
        try withKernelRules("reject") { key, dir in
            let rule = "-a always,exit -F arch=b64 -S openat -F exit=-EPERM -k \(key)"
            let cases: [(String, String)] = [
                ("\(rule)\n\(rule)\n", "audit_add_rule_data: Rule exists"),
                ("\(rule)\n-a always,exit -F dir=/nonexistent-\(key)/ -F perm=wa -k \(key)\n",
                 "audit_add_rule_data: No such file or directory"),
            ]
            for (text, reason) in cases {
                let path = try write(text, dir, "reject.rules")
                let r = try TestSupport.auditq(["rules", "load", path])
                XCTAssertEqual(r.status, 1, r.stderr)
                XCTAssertEqual(r.stderr, "auditq: \(path):2: \(reason); the 1 rule(s) added from the file before it were removed\n")
                XCTAssertFalse(try Self.auditctlList().contains(key), "\(reason): the file's first rule stayed loaded")
            }
        }
    }

    func testIgnoreAndContinueGoPastFailedLines() throws {
        try withKernelRules("cont") { key, dir in
            let good = "-w /etc/hosts -p wa -k \(key)"
            for (flag, status) in [("-i", Int32(0)), ("-c", Int32(1))] {
                let path = try write("\(flag)\n-a always,exit -F arch=b64 -S no_such_syscall -k \(key)\n\(good)\n\(good)\n", dir, "cont.rules")
                let r = try TestSupport.auditq(["rules", "load", path])
                XCTAssertEqual(r.status, status, "\(flag): \(r.stderr)")
                XCTAssertTrue(r.stderr.contains("\(path):2: Syscall name unknown"), r.stderr)
                XCTAssertTrue(r.stderr.contains("\(path):4: audit_add_rule_data: Rule exists"), r.stderr)
                XCTAssertEqual(r.out, "1 file(s): added 1 rule(s), deleted 0; passed over 2 failed line(s)\n")
                XCTAssertTrue(try Self.auditctlList().contains("-w /etc/hosts -p wa -k \(key)"))
                KernelAudit.removeRules(key: key)
            }
        }
    }

    func testImmutableAndPanicAreRefused() throws {
        try withKernelRules("lock") { key, dir in
            let before = try KernelAudit.status()
            for (line, words) in [("-e 2", "-e 2 would lock the audit configuration"), ("-f 2", "-f 2 would make the kernel panic")] {
                let path = try write("-w /etc/hosts -p wa -k \(key)\n\(line)\n", dir, "lock.rules")
                let r = try TestSupport.auditq(["rules", "load", path])
                XCTAssertEqual(r.status, 65, r.stderr)
                XCTAssertTrue(r.stderr.hasPrefix("auditq: \(path):2: \(words)"), r.stderr)

                XCTAssertThrowsError(try RuleLoader().load(RuleSet.read([path]))) { error in
                    XCTAssertEqual((error as? RuleError)?.kind, .refused)
                }
                XCTAssertFalse(try Self.auditctlList().contains(key), "\(line): a rule was sent before the refusal")
            }
            let after = try KernelAudit.status()
            XCTAssertEqual(after.values["enabled"], before.values["enabled"])
            XCTAssertEqual(after.values["failure"], before.values["failure"])
        }
    }

    func testSettingsAreApplied() throws {
        try KernelAudit.exclusive {
            let set = try RuleSet.parse("-b 321\n--backlog_wait_time 15001 -r 0\n-f 1\n", name: "settings.rules")
            XCTAssertEqual(set.ruleCount, 0)
            let report = try RuleLoader().load(set)
            XCTAssertEqual(report.settings, ["backlog_limit 321", "backlog_wait_time 15001", "rate_limit 0", "failure 1"])
            let status = try KernelAudit.status()
            XCTAssertEqual(status.int("backlog_limit"), 321)
            XCTAssertEqual(status.int("backlog_wait_time"), 15001)
            XCTAssertEqual(status.int("rate_limit"), 0)
            XCTAssertEqual(status.int("failure"), 1)
        }
    }

    func testControlLinesParse() throws {
        let set = try RuleSet.parse("""
            -D
            -D -k some-key
            -c
            -i
            --reset-lost
            --loginuid-immutable
            -a always,exit -F arch=b64 -S open,openat -k a
            -d always,exit -F arch=b64 -S open,openat -k a
            -W /etc/hosts -p wa -k b
            -a never,task
            -a always,exclude -F msgtype=CWD
            -a always,user -F uid=0
            -a never,filesystem -F fstype=tracefs
            """, name: "control.rules")
        XCTAssertEqual(set.ruleCount, 5)
        XCTAssertEqual(set.keys, ["a"])
    }

    // MARK: Listing and comparing

    /// Rules of many shapes; every one carries `key`.
    static func variedRules(key: String) -> String {
        """
        -a always,exit -F arch=b64 -S open,openat,openat2 -F auid>=1000 -F auid!=unset -F exit=-EACCES -k \(key)
        -a always,exit -F arch=b32 -S 5 -F a0&0x8 -F success=0 -k \(key) -k second
        -A always,exit -F arch=b64 -S close -F key=\(key)
        -a always,exit -S all -F path=/etc/shadow -F perm=wa -F key=\(key)
        -w /etc/passwd -p wa -k \(key)
        -w /etc/ssh/ -p rwa -k \(key)
        -a always,exit -F dir=/etc/ssh -F perm=rw -F exe=/usr/bin/ls -F key=\(key)
        -a exit,never -F arch=b64 -S all -C uid!=euid -F gid=root -k \(key)
        -a always,exit -F arch=b64 -S execve -F uid=nobody -F filetype=file -F inode=123 -F sessionid=5 -F ppid=1 -F pers=2 -k \(key)
        -a always,exit -F arch=b64 -S connect -F saddr_fam=2 -F a2<=16 -F euid>0 -F key=\(key)

        """
    }

    func testListIsAuditctlList() throws {
        try KernelAudit.exclusive {
            let key = KernelAudit.uniqueKey("list")
            defer { KernelAudit.removeRules(key: key) }
            let set = try RuleSet.parse(Self.variedRules(key: key), name: "varied.rules")
            let report = try RuleLoader().load(set)
            XCTAssertEqual(report.rulesAdded, 10)

            let reference = try Self.auditctlList()
            XCTAssertTrue(reference.contains("-w /etc/ssh -p rwa -k \(key)"), reference)
            let r = try TestSupport.auditq(["rules", "list"])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(r.out, reference)
            XCTAssertEqual(try RuleLoader().activeRules().map { $0 + "\n" }.joined(), reference)

            XCTAssertEqual(try RuleLoader().remove(set), 10)
            XCTAssertFalse(try Self.auditctlList().contains(key))
        }
    }

    func testRemoveDeletesOnlyTheSetsRules() throws {
        try KernelAudit.exclusive {
            let mine = KernelAudit.uniqueKey("mine"), theirs = KernelAudit.uniqueKey("theirs")
            defer { KernelAudit.removeRules(key: mine); KernelAudit.removeRules(key: theirs) }
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let other = try write("-a always,exit -F arch=b64 -S openat -F exit=-EPERM -k \(theirs)\n", dir, "theirs.rules")
            XCTAssertEqual(try TestSupport.run(KernelAudit.auditctl!, ["-R", other]).status, 0)

            let set = try RuleSet.parse("""
                -a always,exit -F arch=b64 -S openat -F exit=-EPERM -k \(mine)
                -w /etc/hosts -p wa -k \(mine)
                """, name: "mine.rules")
            try RuleLoader().load(set)
            XCTAssertEqual(try RuleLoader().remove(set), 2)
            XCTAssertEqual(try RuleLoader().remove(set), 0)
            let left = try Self.auditctlList()
            XCTAssertFalse(left.contains(mine), left)
            XCTAssertTrue(left.contains("-F key=\(theirs)"), left)
        }
    }

    func testDiffMatchesAfterLoadAndShowsAChange() throws {
        try withKernelRules("diff") { key, dir in
            try Self.requireNoRules()
            let path = try write(Self.variedRules(key: key), dir, "varied.rules")
            XCTAssertEqual(try TestSupport.auditq(["rules", "load", path]).status, 0)

            let same = try TestSupport.auditq(["rules", "diff", path])
            XCTAssertEqual(same.status, 0, same.out + same.stderr)
            XCTAssertEqual(same.out, "")

            let changed = Self.variedRules(key: key)
                .replacingOccurrences(of: "-w /etc/passwd -p wa", with: "-w /etc/passwd -p w")
                .replacingOccurrences(of: "-A always,exit -F arch=b64 -S close -F key=\(key)\n", with: "")
            let changedPath = try write(changed + "-a always,exit -F arch=b64 -S unlinkat -F key=\(key)\n", dir, "changed.rules")
            let differs = try TestSupport.auditq(["rules", "diff", changedPath])
            XCTAssertEqual(differs.status, 1, differs.stderr)
            XCTAssertEqual(Set(differs.out.split(separator: "\n").map(String.init)), [
                "+ -w /etc/passwd -p w -k \(key)",
                "+ -a always,exit -F arch=b64 -S unlinkat -F key=\(key)",
                "- -w /etc/passwd -p wa -k \(key)",
                "- -a always,exit -F arch=b64 -S close -F key=\(key)",
            ])
            XCTAssertEqual(try RuleLoader().remove(RuleSet.read([path])), 10)
            XCTAssertEqual(try Self.auditctlList(), "No rules\n")
        }
    }

    // MARK: auditd's example rule files

    /// Every example file auditctl accepts on this kernel loads through
    /// auditq too, and `auditctl -l` then lists exactly what it lists after
    /// `auditctl -R`; `auditq rules list` prints the same and `rules diff`
    /// finds no difference. Files auditctl refuses leave no rule behind when
    /// auditq refuses them. 99-finalize (-e 2) and 11-loginuid (locks
    /// loginuid immutable until reboot) are not loaded.
    func testExampleRuleFilesLoadAsWithAuditctl() throws {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: Self.examples)) ?? [])
            .filter { $0.hasSuffix(".rules") }.sorted()
        guard !files.isEmpty else { throw TestSupport.missing("no \(Self.examples) (auditd package)") }
        try KernelAudit.exclusive {
            try Self.requireNoRules()
            defer { _ = try? Self.auditctl(["-D"]) }
            var accepted: [String] = [], refused: [String] = []
            for name in files where !["99-finalize.rules", "11-loginuid.rules"].contains(name) {
                let path = Self.examples + "/" + name
                _ = try Self.auditctl(["-D"])
                let reference = try Self.auditctl(["-R", path])
                let expected = try Self.auditctlList()
                _ = try Self.auditctl(["-D"])

                let load = try TestSupport.auditq(["rules", "load", path])
                guard reference.status == 0 else {
                    refused.append(name)
                    XCTAssertNotEqual(load.status, 0, "\(name): auditctl refused it, auditq loaded it")
                    XCTAssertEqual(try Self.auditctlList(), "No rules\n", "\(name): rules left after a refused file")
                    continue
                }
                accepted.append(name)
                XCTAssertEqual(load.status, 0, "\(name): \(load.stderr)")
                XCTAssertEqual(try Self.auditctlList(), expected, name)
                XCTAssertEqual(try TestSupport.auditq(["rules", "list"]).out, expected, name)
                let diff = try TestSupport.auditq(["rules", "diff", path])
                XCTAssertEqual(diff.status, 0, "\(name): \(diff.out)\(diff.stderr)")
            }
            _ = try Self.auditctl(["-D"])
            XCTAssertEqual(try Self.auditctlList(), "No rules\n")
            XCTAssertGreaterThanOrEqual(accepted.count, 20, "accepted: \(accepted)")
            print("example rule files: \(accepted.count) loaded as with auditctl; refused by auditctl here: \(refused.joined(separator: ", "))")
        }
    }

    // MARK: Helpers

    /// Holds the kernel-audit lock; gives `body` a unique key, whose rules
    /// are removed afterwards, and a temporary folder.
    private func withKernelRules(_ label: String, _ body: (_ key: String, _ dir: URL) throws -> Void) throws {
        try KernelAudit.exclusive {
            let key = KernelAudit.uniqueKey(label)
            defer { KernelAudit.removeRules(key: key) }
            let dir = TestSupport.temporaryDirectory(label)
            defer { try? FileManager.default.removeItem(at: dir) }
            try body(key, dir)
        }
    }

    private func write(_ text: String, _ dir: URL, _ name: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @discardableResult
    static func auditctl(_ arguments: [String]) throws -> TestSupport.Result {
        guard let auditctl = KernelAudit.auditctl else { throw TestSupport.missing("auditctl is not installed") }
        return try TestSupport.run(auditctl, arguments)
    }

    static func auditctlList() throws -> String {
        try auditctl(["-l"]).out
    }

    /// Whole-list comparisons need a kernel without anyone else's rules.
    static func requireNoRules() throws {
        let list = try auditctlList()
        guard list == "No rules\n" else { throw TestSupport.missing("the kernel has audit rules loaded; this test needs none") }
    }
}
