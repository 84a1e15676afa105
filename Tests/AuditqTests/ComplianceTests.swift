@testable import AuditQuery
import Foundation
import XCTest

/// `auditq report compliance`: the policies shipped beside the rule packs,
/// evaluated over stores collected live from a workload that exercises each
/// PCI-DSS 10.2.1.x control, with and without the rule packs loaded.
final class ComplianceTests: XCTestCase {
    static let policiesDir = TestSupport.repository.appendingPathComponent("audit_rules/policies")

    // MARK: policies as data

    func testCarriedPoliciesMatchTheFiles() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.policiesDir.path)
            .filter { $0.hasSuffix(".json") }.sorted()
        XCTAssertEqual(Policy.embedded.map(\.name), files,
                       "audit_rules/policies/ and the carried policies list different files: run tools/embed-policies")
        for entry in Policy.embedded {
            let text = try String(contentsOf: Self.policiesDir.appendingPathComponent(entry.name), encoding: .utf8)
            XCTAssertEqual(entry.json + "\n", text, "\(entry.name) differs from the carried copy: run tools/embed-policies")
        }
        XCTAssertEqual(Set(Policy.embeddedNames), ["pci-dss-v4", "cis", "stig"])
    }

    /// Every key a policy names is in audit_rules/README.md, and every PCI
    /// control the issue lists is there.
    func testPoliciesNameKnownRuleKeys() throws {
        let readme = try String(contentsOf: TestSupport.repository.appendingPathComponent("audit_rules/README.md"), encoding: .utf8)
        for name in Policy.embeddedNames {
            let policy = try Policy.load(name)
            XCTAssertEqual(policy.policy, name)
            XCTAssertEqual(Set(policy.controls.map(\.id)).count, policy.controls.count, "\(name): duplicate control ids")
            for control in policy.controls {
                for key in (control.ruleKeys ?? []) + (control.evidence ?? []).compactMap(\.key) {
                    XCTAssertTrue(readme.contains("`\(key)`") || readme.contains("-k \(key)"), "\(name) \(control.id): key \(key) is not in audit_rules/README.md")
                }
                if control.check == .evidence || control.check == .rulePresent {
                    XCTAssertFalse((control.evidence ?? []).isEmpty, "\(name) \(control.id) has no evidence query")
                }
            }
        }
        let pci = try Policy.load("pci-dss-v4").controls.map(\.id)
        for id in ["10.2.1.1", "10.2.1.2", "10.2.1.3", "10.2.1.4", "10.2.1.5", "10.2.1.6", "10.2.1.7", "10.2.2", "10.3", "10.5.1", "10.7"] {
            XCTAssertTrue(pci.contains(id), "pci-dss-v4 lacks \(id)")
        }
    }

    func testRuleTextKeysImmutableAndBacklog() {
        let parsed = ComplianceEvaluator.parseRules("""
            # -k commented-out
            -b 8192
            -w /etc/passwd -p wa -k pci-10.2.1.5 -k cis-6.3.3.8
            -a always,exit -F arch=b64 -S mount -F auid>=1000 -F key=cis-6.3.3.10
            -e 2
            """)
        XCTAssertEqual(parsed.keys, ["pci-10.2.1.5", "cis-6.3.3.8", "cis-6.3.3.10"])
        XCTAssertTrue(parsed.immutable)
        XCTAssertEqual(parsed.backlog, 8192)
        XCTAssertFalse(ComplianceEvaluator.parseRules("-e 1\n").immutable)
    }

    /// The whole --help text, against Snapshots/auditq-report-compliance.txt
    /// (AUDITQ_REGENERATE_GOLDEN=1 rewrites it).
    func testHelpText() throws {
        let result = try TestSupport.auditq(["report", "compliance", "--help"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let file = HelpSnapshotTests.folder.appendingPathComponent("auditq-report-compliance.txt")
        if ProcessInfo.processInfo.environment["AUDITQ_REGENERATE_GOLDEN"] == "1" {
            try result.out.write(to: file, atomically: true, encoding: .utf8)
            return
        }
        XCTAssertEqual(result.out, try String(contentsOf: file, encoding: .utf8), "auditq-report-compliance.txt changed")
    }

    func testUnknownPolicyIsAUsageError() throws {
        let r = try TestSupport.auditq(["report", "compliance", "--policy", "sox", "--store", "/nonexistent.db"])
        XCTAssertEqual(r.status, 64, r.stderr)
        XCTAssertTrue(r.stderr.contains("pci-dss-v4"), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
    }

    // MARK: a live store

    /// The workload every PCI 10.2.1.x control the packs cover should see,
    /// run under login uid `auid` as root: an exec as root by a person, a
    /// failed login written with libaudit, a write-open of /etc/group that
    /// writes nothing, a finit_module of a file that is no module (refused,
    /// still audited), a tmpfs mount and unmount, an audit rule added and
    /// removed under `key`.
    static func workload(auid: Int, key: String, dir: URL) throws -> TestSupport.Result {
        let script = dir.appendingPathComponent("workload.py")
        try """
            import ctypes, os, sys
            la = ctypes.CDLL("libaudit.so.1")
            fd = la.audit_open()
            if fd < 0 or la.audit_log_user_message(fd, 1112, b'op=login acct="aq-compliance" exe="/usr/sbin/sshd"',
                                                   b"aq-test.example", b"192.0.2.7", b"ssh", 0) <= 0:
                sys.exit("audit_log_user_message failed")
            la.audit_close(fd)
            g = os.open("/etc/group", os.O_WRONLY | os.O_APPEND)
            os.close(g)
            m = os.open(sys.argv[1], os.O_RDONLY)
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.syscall(313, m, b"", 0) == 0:
                sys.exit("finit_module accepted a file that is not a module")
            os.close(m)
            """.write(to: script, atomically: true, encoding: .utf8)
        let notAModule = dir.appendingPathComponent("not-a-module.ko")
        try Data("not a kernel module\n".utf8).write(to: notAModule)
        let mnt = dir.appendingPathComponent("mnt")
        try FileManager.default.createDirectory(at: mnt, withIntermediateDirectories: true)
        let auditctl = KernelAudit.auditctl!
        return try Workload.run(auid: auid, """
            set -e
            /bin/true
            /usr/bin/python3 \(script.path) \(notAModule.path)
            mount -t tmpfs aq-compliance \(mnt.path)
            umount \(mnt.path)
            \(auditctl) -a always,exit -F arch=b64 -S acct -k \(key)
            \(auditctl) -d always,exit -F arch=b64 -S acct -k \(key)
            """)
    }

    /// Collects the workload into `store` (with the packs, or `--no-rules`).
    static func collect(store: String, rules: Bool, auid: Int, key: String, dir: URL) throws {
        var args = ["--store", store, "--no-sensor", "--mode", "primary"]
        args += rules ? ["--rules", TestSupport.repository.appendingPathComponent("audit_rules").path] : ["--no-rules"]
        let daemon = try AuditqdProcess(args)
        defer { daemon.stop() }
        XCTAssertTrue(daemon.waitFor("collecting in primary mode"), daemon.stderr)
        let run = try workload(auid: auid, key: key, dir: dir)
        XCTAssertEqual(run.status, 0, run.stderr)
        TestSupport.waitUntilSteady { TestSupport.storedCount(store, ["-ua", String(auid)]) }
        XCTAssertEqual(daemon.stop(), 0, daemon.stderr)
    }

    static func report(_ store: String, policy: String = "pci-dss-v4") throws -> [String: Any] {
        let r = try TestSupport.auditq(["report", "compliance", "--policy", policy, "--format", "json", "--store", store])
        XCTAssertTrue(r.status == 0 || r.status == 1, r.stderr)
        guard let json = try JSONSerialization.jsonObject(with: r.stdout) as? [String: Any] else {
            XCTFail("not a JSON object: \(r.out.prefix(300))"); return [:]
        }
        return json
    }

    static func control(_ report: [String: Any], _ id: String) -> [String: Any] {
        ((report["controls"] as? [[String: Any]]) ?? []).first { $0["id"] as? String == id } ?? [:]
    }

    /// The events a control's searches list, run exactly as the report words them.
    static func cited(_ control: [String: Any]) throws -> [[String: Any]] {
        var events: [[String: Any]] = []
        for search in (control["searches"] as? [[String: Any]]) ?? [] {
            let words = (search["command"] as! String).split(separator: " ").map(String.init)
            XCTAssertEqual(Array(words.prefix(2)), ["auditq", "search"])
            let r = try TestSupport.auditq(Array(words.dropFirst()) + ["--format", "json"])
            let lines = r.out.split(separator: "\n")
            XCTAssertEqual(lines.count, search["count"] as? Int, "\(search["command"]!) lists \(lines.count) events")
            for line in lines {
                if let e = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] { events.append(e) }
            }
        }
        return events
    }

    func testLiveWorkloadPassesItsControlsAndNoRulesSaysNoEvidence() throws {
        guard let auditctl = KernelAudit.auditctl else { throw TestSupport.missing("auditctl is not installed") }
        try KernelAudit.exclusive {
            let listed = try TestSupport.run(auditctl, ["-l"]).out
            guard listed.contains("No rules") else { throw TestSupport.missing("audit rules are loaded on this host; the packs' 10-base-config would delete them (-D)") }
            guard FileManager.default.fileExists(atPath: "/usr/bin/python3") else { throw TestSupport.missing("needs /usr/bin/python3 for libaudit's audit_log_user_message") }
            // 24-audit-access.rules watches the default store's directory: the kernel refuses the rule without it.
            let storeDir = "/var/lib/auditq"
            let made = !FileManager.default.fileExists(atPath: storeDir)
            if made {
                try FileManager.default.createDirectory(atPath: storeDir, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o750])
            }
            defer { if made { try? FileManager.default.removeItem(atPath: storeDir) } }
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let key = KernelAudit.uniqueKey("compliance")
            defer { KernelAudit.removeRules(key: key) }
            let auid = Workload.auid()
            let withRules = dir.appendingPathComponent("rules.db").path
            let noRules = dir.appendingPathComponent("norules.db").path
            try Self.collect(store: withRules, rules: true, auid: auid, key: key, dir: dir)
            XCTAssertTrue(try TestSupport.run(auditctl, ["-l"]).out.contains("No rules"), "auditqd removes the rules it loaded")
            try Self.collect(store: noRules, rules: false, auid: auid, key: key, dir: dir)

            // With the packs: each exercised control passes and cites the workload's events.
            let report = try Self.report(withRules)
            func ours(_ e: [String: Any]) -> Bool { e["auid"] as? Int == auid }
            let expectations: [(id: String, what: String, match: ([String: Any]) -> Bool)] = [
                ("10.2.1.2", "an exec as root by the workload's person", { ours($0) && ($0["exe"] as? String) == "/usr/bin/true" }),
                ("10.2.1.4", "the failed USER_LOGIN", { ours($0) && ($0["types"] as? [String])?.contains("USER_LOGIN") == true && $0["success"] as? Bool == false }),
                ("10.2.1.5", "the write-open of /etc/group", { ours($0) && ($0["path"] as? String) == "/etc/group" }),
                ("10.2.1.6", "the CONFIG_CHANGE of the test's rule", { ($0["types"] as? [String])?.contains("CONFIG_CHANGE") == true
                    && (($0["records"] as? [String]) ?? []).joined().contains(key) }),
                ("10.2.1.7", "the refused finit_module", { ours($0) && ($0["syscall"] as? String) == "finit_module" }),
                ("10.2.1.7", "the tmpfs mount", { ours($0) && ($0["syscall"] as? String) == "mount" }),
            ]
            for (id, what, match) in expectations {
                let c = Self.control(report, id)
                XCTAssertEqual(c["status"] as? String, "pass", "\(id): \(c["reason"] ?? "missing")")
                XCTAssertGreaterThan(c["evidence_count"] as? Int ?? 0, 0, id)
                XCTAssertEqual(c["missing_rule_keys"] as? [String], [], id)
                XCTAssertFalse((c["examples"] as? [[String: Any]] ?? []).isEmpty, "\(id) cites example events")
                XCTAssertTrue(try Self.cited(c).contains(where: match), "\(id): its searches do not list \(what)")
            }
            for id in ["10.2.2", "10.3"] {
                XCTAssertEqual(Self.control(report, id)["status"] as? String, "pass", "\(id): \(Self.control(report, id)["reason"] ?? "")")
            }
            let pci1 = Self.control(report, "10.2.1.1")
            XCTAssertEqual(pci1["status"] as? String, "no_evidence")
            XCTAssertEqual(pci1["missing_rule_keys"] as? [String], ["pci-10.2.1.1"], "the cardholder-data rules are a template only")
            XCTAssertEqual(Self.control(report, "10.5.1")["status"] as? String, "no_evidence", "a store of today cannot show 12 months")
            let coverage = report["coverage"] as? [String: Any] ?? [:]
            XCTAssertEqual((coverage["chain"] as? [String: Any])?["ok"] as? Bool, true)
            let runs = coverage["runs"] as? [[String: Any]] ?? []
            XCTAssertEqual(runs.count, 1)
            XCTAssertEqual(runs.first?["sensor"] as? String, "off")
            XCTAssertEqual((runs.first?["rules_sha256"] as? String)?.count, 64)

            // Without rules: the same controls have no evidence and name the missing keys.
            let bare = try Self.report(noRules)
            for id in ["10.2.1.2", "10.2.1.4", "10.2.1.5", "10.2.1.6", "10.2.1.7"] {
                let c = Self.control(bare, id)
                XCTAssertEqual(c["status"] as? String, "no_evidence", "\(id): \(c["reason"] ?? "missing")")
                let needed = c["rule_keys"] as? [String] ?? []
                XCTAssertFalse(needed.isEmpty, id)
                XCTAssertEqual(c["missing_rule_keys"] as? [String], needed, id)
                for k in needed { XCTAssertTrue((c["reason"] as? String ?? "").contains(k), "\(id) names \(k): \(c["reason"] ?? "")") }
            }
            for id in ["10.2.1.2", "10.2.1.5", "10.2.1.7"] {
                XCTAssertEqual(Self.control(bare, id)["evidence_count"] as? Int, 0, "\(id): no rule, no event")
            }
            XCTAssertNil((bare["coverage"] as? [String: Any])?["runs"].flatMap { ($0 as? [[String: Any]])?.first?["rules_sha256"] })

            // CIS and STIG read the rules from the ledger.
            let cis = try Self.report(withRules, policy: "cis")
            XCTAssertEqual(Self.control(cis, "6.3.3.8")["status"] as? String, "pass")
            XCTAssertEqual(Self.control(cis, "6.3.1.4")["status"] as? String, "pass", "\(Self.control(cis, "6.3.1.4")["reason"] ?? "")")
            XCTAssertEqual(Self.control(cis, "6.3.3.20")["status"] as? String, "fail", "the packs leave -e 2 out")
            XCTAssertEqual(Self.control(try Self.report(noRules, policy: "cis"), "6.3.3.8")["status"] as? String, "no_evidence")
            let stig = try Self.report(withRules, policy: "stig")
            XCTAssertEqual(Self.control(stig, "V-238295")["status"] as? String, "pass")
            XCTAssertGreaterThan(Self.control(stig, "V-238295")["evidence_count"] as? Int ?? 0, 0)

            try Self.checkDocumentedFields(report)
            try Self.checkDocumentedFields(bare)
            try Self.renderHTML(store: withRules, dir: dir, name: "pci-dss-v4-live")
        }
    }

    // MARK: README's JSON fields

    /// The README's "Compliance report JSON" table: field paths, and those it marks optional.
    static func documentedFields() throws -> (all: Set<String>, optional: Set<String>) {
        let readme = try String(contentsOf: TestSupport.repository.appendingPathComponent("README.md"), encoding: .utf8)
        guard let start = readme.range(of: "### Compliance report JSON") else { XCTFail("README has no compliance JSON section"); return ([], []) }
        var all = Set<String>(), optional = Set<String>()
        for line in readme[start.upperBound...].split(separator: "\n").dropFirst() {
            if line.hasPrefix("#") { break }
            guard line.hasPrefix("| `") else { continue }
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            let names = cells[0].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "`")) }
            all.formUnion(names)
            if cells.count > 1, cells[1].contains("(optional") { optional.formUnion(names) }
        }
        XCTAssertGreaterThan(all.count, 40)
        return (all, optional)
    }

    /// Every documented field is in the report (optional ones where they
    /// apply), and every field of the report is documented.
    static func checkDocumentedFields(_ report: [String: Any]) throws {
        let (documented, optional) = try documentedFields()
        var present = Set<String>()
        var arrays: [String: [[String: Any]]] = [:]   // "controls[]" → its elements
        func walk(_ object: [String: Any], _ prefix: String) {
            for (k, v) in object {
                let path = prefix.isEmpty ? k : "\(prefix).\(k)"
                if let o = v as? [String: Any] {
                    walk(o, path)
                } else if let a = v as? [[String: Any]], ["gaps", "runs", "controls", "searches", "examples", "per_day"].contains(k) {
                    arrays[path + "[]", default: []] += a
                    for e in a { walk(e, path + "[]") }
                } else {
                    present.insert(path)
                }
            }
        }
        walk(report, "")
        for path in present {
            XCTAssertTrue(documented.contains(path), "report field \(path) is not documented in the README")
        }
        for field in documented where !optional.contains(field) {
            // Fields of array elements are required only where the array has elements.
            if let r = field.range(of: "[]", options: .backwards) {
                let array = String(field[..<r.upperBound])
                let elements = arrays[array] ?? []
                let name = String(field[r.upperBound...].dropFirst())
                for e in elements { XCTAssertNotNil(e[name], "\(array) element lacks \(name)") }
                continue
            }
            XCTAssertTrue(present.contains(field), "documented field \(field) is missing from the report")
        }
    }

    // MARK: HTML

    /// Renders the HTML report with headless Chromium to a PNG, kept in the
    /// temporary directory as auditq-compliance-NAME.png for a look.
    static func renderHTML(store: String, dir: URL, name: String) throws {
        let html = dir.appendingPathComponent("\(name).html").path
        let r = try TestSupport.auditq(["report", "compliance", "--policy", "pci-dss-v4", "--format", "html", "--out", html, "--store", store])
        XCTAssertTrue(r.status == 0 || r.status == 1, r.stderr)
        let page = try String(contentsOfFile: html, encoding: .utf8)
        XCTAssertTrue(page.hasPrefix("<!DOCTYPE html>"))
        XCTAssertFalse(page.contains("<script"), "no script")
        XCTAssertFalse(page.contains("http://") && page.contains("src=\"http"), "no network")
        XCTAssertTrue(page.contains("<svg"), "charts are inline SVG")
        guard let chromium = TestSupport.which("chromium") ?? TestSupport.which("chromium-browser") else {
            throw TestSupport.missing("chromium is not installed (tools/install-deps installs it)")
        }
        let png = FileManager.default.temporaryDirectory.appendingPathComponent("auditq-compliance-\(name).png").path
        try? FileManager.default.removeItem(atPath: png)
        let profile = dir.appendingPathComponent("chromium-profile").path
        let shot = try TestSupport.run(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile)",
                                                  "--screenshot=\(png)", "--window-size=1200,2000", "file://\(html)"])
        XCTAssertEqual(shot.status, 0, shot.stderr)
        let data = try Data(contentsOf: URL(fileURLWithPath: png))
        XCTAssertGreaterThan(data.count, 10_000, "an empty PNG")
        XCTAssertEqual(Array(data.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "not a PNG")
    }

    /// Without root: a store imported from the sample log renders too.
    func testHTMLReportOfAnImportedStoreRenders() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = dir.appendingPathComponent("s.db").path
        let imported = try TestSupport.auditq(["import", "--store", store,
                                               TestSupport.repository.appendingPathComponent("tools/sample/audit.log").path])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        let report = try Self.report(store)
        XCTAssertEqual(Self.control(report, "10.7")["status"] as? String, "no_evidence", "imports keep no loss ledger")
        XCTAssertEqual(((report["coverage"] as? [String: Any])?["runs"] as? [Any])?.count, 0)
        try Self.checkDocumentedFields(report)
        for format in ["text", "json"] {
            let r = try TestSupport.auditq(["report", "compliance", "--policy", "cis", "--format", format, "--store", store])
            XCTAssertTrue(r.status == 0 || r.status == 1, r.stderr)
            XCTAssertFalse(r.out.isEmpty)
        }
        try Self.renderHTML(store: store, dir: dir, name: "pci-dss-v4-imported")
    }
}
