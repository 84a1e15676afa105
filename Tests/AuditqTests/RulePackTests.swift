import Foundation
import XCTest

/// The rule packs in audit_rules/: every rule keyed, every key in the
/// README's table (and the table naming the files that use it), and the
/// whole set loading through `auditq rules load` exactly as auditctl loads it.
final class RulePackTests: XCTestCase {
    static var packDirectory: URL { TestSupport.repository.appendingPathComponent("audit_rules") }

    /// One rule (an -a/-A/-w line) of a pack.
    struct PackRule {
        var file: String
        var line: Int
        var text: String
        var keys: [String]
    }

    /// The pack files in augenrules order (sorted by name).
    static func packFiles() throws -> [URL] {
        let names = try FileManager.default.contentsOfDirectory(atPath: packDirectory.path)
        return names.filter { $0.hasSuffix(".rules") }.sorted().map { packDirectory.appendingPathComponent($0) }
    }

    /// Options that set kernel state rather than add a rule (auditctl's
    /// control options); they carry no key.
    static let controlOptions: Set<String> = [
        "-D", "-b", "--backlog_wait_time", "-f", "-r", "-e", "--reset-lost",
        "--loginuid-immutable", "-c", "-i",
    ]

    /// Parses every pack; fails the test on a line that is neither a control
    /// line nor a rule.
    static func rules(file: StaticString = #filePath, line: UInt = #line) throws -> [PackRule] {
        var rules: [PackRule] = []
        for url in try packFiles() {
            let text = try String(contentsOf: url, encoding: .utf8)
            for (index, raw) in text.components(separatedBy: "\n").enumerated() {
                let trimmed = raw.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
                let words = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                let name = url.lastPathComponent
                if controlOptions.contains(words[0]) { continue }
                guard ["-a", "-A", "-w"].contains(words[0]) else {
                    XCTFail("\(name):\(index + 1): neither a rule nor a control line: \(trimmed)", file: file, line: line)
                    continue
                }
                var keys: [String] = []
                for (i, word) in words.enumerated() {
                    if word == "-k", i + 1 < words.count { keys.append(words[i + 1]) }
                    if word == "-F", i + 1 < words.count, words[i + 1].hasPrefix("key=") {
                        keys.append(String(words[i + 1].dropFirst(4)))
                    }
                }
                rules.append(PackRule(file: name, line: index + 1, text: trimmed, keys: keys))
            }
        }
        return rules
    }

    /// README.md's key table: key -> the files its row names.
    static func keyTable() throws -> [String: Set<String>] {
        let text = try String(contentsOf: packDirectory.appendingPathComponent("README.md"), encoding: .utf8)
        var table: [String: Set<String>] = [:]
        var inKeys = false
        for line in text.components(separatedBy: "\n") {
            if line.hasPrefix("## ") { inKeys = line == "## Keys"; continue }
            guard inKeys, line.hasPrefix("| `") else { continue }
            let cells = line.split(separator: "|", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            // "", key, control, text, files, ""
            guard cells.count == 6 else {
                XCTFail("README key table row without four cells: \(line)")
                continue
            }
            let key = cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            XCTAssertNil(table[key], "README names \(key) twice")
            table[key] = Set(cells[4].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        }
        return table
    }

    func testEveryRuleHasKeysThatTheReadmeMapsToControls() throws {
        let rules = try Self.rules()
        XCTAssertGreaterThan(rules.count, 100, "the packs look empty")
        var used: [String: Set<String>] = [:]
        for rule in rules {
            let at = "\(rule.file):\(rule.line)"
            XCTAssertFalse(rule.keys.isEmpty, "\(at): rule without a key: \(rule.text)")
            XCTAssertLessThan(rule.keys.joined(separator: "\u{01}").utf8.count, 256, "\(at): keys longer than the kernel keeps")
            for key in rule.keys {
                XCTAssertLessThanOrEqual(key.utf8.count, 31, "\(at): key \(key) is longer than 31 bytes")
                XCTAssertTrue(key.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") },
                              "\(at): key \(key) has characters outside [A-Za-z0-9.-]")
                // auditq- keys name what auditq itself needs (process facts), not a control.
                XCTAssertTrue(key.hasPrefix("pci-") || key.hasPrefix("cis-") || key.hasPrefix("stig-V-") || key.hasPrefix("auditq-"),
                              "\(at): key \(key) names no control family")
                used[key, default: []].insert(rule.file)
            }
            XCTAssertEqual(Set(rule.keys).count, rule.keys.count, "\(at): a key given twice")
        }
        let table = try Self.keyTable()
        for key in used.keys.sorted() {
            guard let files = table[key] else { XCTFail("key \(key) is used but not in README.md's table"); continue }
            XCTAssertEqual(files, used[key], "README.md names the wrong files for \(key)")
        }
        for key in table.keys.sorted() where used[key] == nil {
            XCTFail("README.md's table has \(key), which no rule uses")
        }
    }

    /// The kernel refuses a rule that is already loaded; a rule repeated with
    /// other keys loads but never sees an event (the first match wins).
    func testNoRuleIsRepeatedAcrossThePacks() throws {
        var seen: [String: String] = [:]
        for rule in try Self.rules() {
            let words = rule.text.split(separator: " ")
            var body: [Substring] = []
            var i = 0
            while i < words.count {
                if words[i] == "-k" { i += 2; continue }
                if words[i] == "-F", i + 1 < words.count, words[i + 1].hasPrefix("key=") { i += 2; continue }
                body.append(words[i]); i += 1
            }
            let normal = body.joined(separator: " ")
            if let first = seen[normal] {
                XCTFail("\(rule.file):\(rule.line) repeats the rule of \(first)")
            }
            seen[normal] = "\(rule.file):\(rule.line)"
        }
    }

    /// Never immutable, never panic: the packs must stay loadable and
    /// removable on a running host (../shared/DESIGN.md, "Safety").
    func testPacksNeverLockOrPanicTheKernel() throws {
        for url in try Self.packFiles() {
            let text = try String(contentsOf: url, encoding: .utf8)
            for (index, raw) in text.components(separatedBy: "\n").enumerated() {
                let words = raw.trimmingCharacters(in: .whitespaces).split(separator: " ")
                guard let first = words.first, !first.hasPrefix("#") else { continue }
                let at = "\(url.lastPathComponent):\(index + 1)"
                XCTAssertFalse(first == "-e" && words.dropFirst().first == "2", "\(at): -e 2")
                XCTAssertFalse(first == "-f" && words.dropFirst().first == "2", "\(at): -f 2")
                XCTAssertNotEqual(first, "--loginuid-immutable", "\(at): --loginuid-immutable")
            }
        }
    }

    /// The file table of README.md says how many rules each file has.
    func testReadmeCountsTheRulesOfEachFile() throws {
        let text = try String(contentsOf: Self.packDirectory.appendingPathComponent("README.md"), encoding: .utf8)
        var stated: [String: Int] = [:]
        for line in text.components(separatedBy: "\n") where line.hasPrefix("| `") && line.contains(".rules` |") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 2, let count = Int(cells[1]) else { continue }
            stated[cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))] = count
        }
        let rules = try Self.rules()
        var actual: [String: Int] = [:]
        for url in try Self.packFiles() { actual[url.lastPathComponent] = 0 }
        for rule in rules { actual[rule.file, default: 0] += 1 }
        XCTAssertEqual(stated, actual, "README.md's file table and the packs disagree")
        XCTAssertTrue(text.contains("\(rules.count) rules in all"), "README.md should say \(rules.count) rules in all")
    }

    /// Loads every pack with `auditq rules load` (libaudit, no auditctl),
    /// checks `auditq rules diff`, and compares the kernel's listing with the
    /// one `auditctl -R` of the concatenated packs gives.
    func testPacksLoadThroughAuditqAsAuditctlLoadsThem() throws {
        guard let auditctl = KernelAudit.auditctl else { throw TestSupport.missing("auditctl is not installed") }
        guard FileManager.default.fileExists(atPath: "/var/log/audit") else {
            throw TestSupport.missing("/var/log/audit is missing (the auditd package creates it); 24-audit-access.rules needs it")
        }
        let expected = try Self.rules().count
        try KernelAudit.exclusive {
            let before = try TestSupport.run(auditctl, ["-l"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
            guard before == "No rules" else {
                throw TestSupport.missing("the kernel has audit rules loaded; not replacing them")
            }
            defer { _ = try? TestSupport.run(auditctl, ["-D"]) }

            // 24-audit-access.rules watches the default store's directory.
            let storeDir = "/var/lib/auditq"
            var made = false
            if !FileManager.default.fileExists(atPath: storeDir) {
                try FileManager.default.createDirectory(atPath: storeDir, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o750])
                made = true
            }
            defer { if made { try? FileManager.default.removeItem(atPath: storeDir) } }

            func listing() throws -> [String] {
                let result = try TestSupport.run(auditctl, ["-l"])
                XCTAssertEqual(result.status, 0, result.stderr)
                return result.out.split(separator: "\n").map(String.init).filter { $0 != "No rules" }
            }

            let load = try TestSupport.auditq(["rules", "load", Self.packDirectory.path])
            XCTAssertEqual(load.status, 0, "auditq rules load: \(load.stderr)")
            let diff = try TestSupport.auditq(["rules", "diff", Self.packDirectory.path])
            XCTAssertEqual(diff.status, 0, "auditq rules diff after a load: \(diff.out)\(diff.stderr)")
            let viaAuditq = try listing()
            XCTAssertEqual(viaAuditq.count, expected, "the kernel lists \(viaAuditq.count) rules, the packs have \(expected)")

            _ = try TestSupport.run(auditctl, ["-D"])
            XCTAssertEqual(try listing(), [])
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let all = dir.appendingPathComponent("all.rules")
            var joined = Data()
            for url in try Self.packFiles() {
                joined.append(try Data(contentsOf: url))
                joined.append(Data("\n".utf8))
            }
            try joined.write(to: all)
            let reference = try TestSupport.run(auditctl, ["-R", all.path])
            XCTAssertEqual(reference.status, 0, "auditctl -R of the concatenated packs: \(reference.stderr)")
            let viaAuditctl = try listing()
            XCTAssertEqual(viaAuditctl.count, expected)
            XCTAssertEqual(viaAuditq, viaAuditctl, "auditq rules load and auditctl -R leave different rules")
        }
    }
}
