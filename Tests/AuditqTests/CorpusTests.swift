import AuditRecords
import Foundation
import XCTest

/// Every file of ../shared/corpus/audit: imported whole, every record line
/// kept byte for byte, every distinct audit(time:serial) stored as an event,
/// decoded fields as in the golden files, and ausearch's answers for each key.
final class CorpusTests: XCTestCase {
    static let goldenFolder = TestSupport.repository.appendingPathComponent("Tests/AuditqTests/Golden")
    static var regenerate: Bool { ProcessInfo.processInfo.environment["AUDITQ_REGENERATE_GOLDEN"] == "1" }

    /// Stamped record lines of a log, as auditd wrote them.
    func recordLines(_ url: URL) throws -> [String] {
        let text = String(decoding: try Data(contentsOf: url), as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
            .filter { $0.contains("msg=audit(") && !$0.hasPrefix("#") }
    }

    func importInto(_ dir: URL, _ files: [URL]) throws -> String {
        let store = dir.appendingPathComponent("s.db").path
        let r = try TestSupport.auditq(["import", "--store", store] + files.map(\.path))
        XCTAssertEqual(r.status, 0, "import failed: \(r.stderr)")
        return store
    }

    func testEveryRecordIsStoredByteForByte() throws {
        for file in try TestSupport.corpusLogs() {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let store = try importInto(dir, [file])
            let raw = try TestSupport.auditq(["search", "--store", store, "--raw"])
            let stored = raw.out.split(separator: "\n").map(String.init).sorted()
            XCTAssertEqual(stored, try recordLines(file).sorted(), "\(file.lastPathComponent): stored records differ from the file")
        }
    }

    func testEveryDistinctStampIsAnEvent() throws {
        let stamp = try NSRegularExpression(pattern: #"^(?:node=(\S+) )?type=\S+ msg=audit\((\d+)\.(\d+):(\d+)\)"#)
        for file in try TestSupport.corpusLogs() {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let store = try importInto(dir, [file])
            var expected = Set<String>()
            for line in try recordLines(file) {
                let ns = line as NSString
                guard let m = stamp.firstMatch(in: line, range: NSRange(location: 0, length: ns.length)) else { continue }
                let node = m.range(at: 1).location == NSNotFound ? "" : ns.substring(with: m.range(at: 1))
                expected.insert("\(node)|\(ns.substring(with: m.range(at: 2)))\(ns.substring(with: m.range(at: 3))):\(ns.substring(with: m.range(at: 4)))")
            }
            let json = try TestSupport.auditq(["search", "--store", store, "--format", "json"])
            var stored = Set<String>()
            for line in json.out.split(separator: "\n") {
                let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                stored.insert("\(o["node"] as? String ?? "")|\(o["time_ms"] as! Int):\(o["serial"] as! Int)")
            }
            XCTAssertEqual(stored, expected, "\(file.lastPathComponent): events differ from the stamps in the file")
        }
    }

    /// Decoded fields (types, syscall, ids, exe, key, argv, paths, sockaddr,
    /// message fields) against reviewed golden files. Regenerate with
    /// AUDITQ_REGENERATE_GOLDEN=1 and review the diff.
    func testGoldenEvents() throws {
        for file in try TestSupport.corpusLogs() {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let store = try importInto(dir, [file])
            let json = try TestSupport.auditq(["search", "--store", store, "--format", "json"])
            var lines: [String] = []
            for line in json.out.split(separator: "\n") {
                var o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                o["records"] = nil
                let data = try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys, .withoutEscapingSlashes])
                lines.append(String(decoding: data, as: UTF8.self))
            }
            let actual = lines.joined(separator: "\n") + "\n"
            let golden = Self.goldenFolder.appendingPathComponent(file.deletingLastPathComponent().lastPathComponent)
                .appendingPathComponent(file.lastPathComponent + ".jsonl")
            if Self.regenerate {
                try FileManager.default.createDirectory(at: golden.deletingLastPathComponent(), withIntermediateDirectories: true)
                try actual.write(to: golden, atomically: true, encoding: .utf8)
                continue
            }
            let expected = try String(contentsOf: golden, encoding: .utf8)
            XCTAssertEqual(actual, expected, "\(file.lastPathComponent) differs from \(golden.path)")
        }
    }

    /// For every key in every corpus file, auditq search -k K --raw prints
    /// what ausearch -if FILE -k K --raw prints.
    func testKeySearchMatchesAusearch() throws {
        guard let ausearch = TestSupport.which("ausearch") else { throw TestSupport.missing("ausearch is not installed") }
        let keyPattern = try NSRegularExpression(pattern: #"key="([^"]+)""#)
        var compared = 0
        for file in try TestSupport.corpusLogs() {
            let text = String(decoding: try Data(contentsOf: file), as: UTF8.self)
            let ns = text as NSString
            let keys = Set(keyPattern.matches(in: text, range: NSRange(location: 0, length: ns.length))
                .map { ns.substring(with: $0.range(at: 1)) })
            guard !keys.isEmpty else { continue }
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let store = try importInto(dir, [file])
            for key in keys.sorted() {
                let theirs = try TestSupport.run(ausearch, ["-if", file.path, "-k", key, "--raw"])
                let ours = try TestSupport.auditq(["search", "--store", store, "-k", key, "--raw"])
                XCTAssertEqual(ours.out, Self.withoutEnrichmentSeparators(theirs.out, like: file),
                               "\(file.lastPathComponent) -k \(key)")
                compared += 1
            }
        }
        XCTAssertGreaterThan(compared, 5)
    }

    /// Where ausearch prints the same events in the same order (its --raw
    /// output equals ours), its default text layout (`----`, `time->`,
    /// records newest first, enrichment dropped) equals auditq's too.
    func testDefaultTextLayoutMatchesAusearch() throws {
        guard let ausearch = TestSupport.which("ausearch") else { throw TestSupport.missing("ausearch is not installed") }
        let sample = TestSupport.repository.appendingPathComponent("tools/sample/audit.log")
        var compared = 0
        for file in try TestSupport.corpusLogs() + [sample] {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let store = try importInto(dir, [file])
            let theirsRaw = try TestSupport.run(ausearch, ["-if", file.path, "--raw"]).out
            let oursRaw = try TestSupport.auditq(["search", "--store", store, "--raw"]).out
            guard Self.withoutEnrichmentSeparators(theirsRaw, like: file) == oursRaw else { continue }
            let theirs = try TestSupport.run(ausearch, ["-if", file.path]).out
            let ours = try TestSupport.auditq(["search", "--store", store]).out
            XCTAssertEqual(ours, theirs, "\(file.lastPathComponent): default text output differs from ausearch's")
            compared += 1
        }
        XCTAssertGreaterThan(compared, 20)
    }

    /// ausearch's filters give ausearch's answers, on every corpus file (and
    /// the sample) where ausearch reads the same events as auditq.
    func testFiltersMatchAusearch() throws {
        guard let ausearch = TestSupport.which("ausearch") else { throw TestSupport.missing("ausearch is not installed") }
        let queries: [[String]] = [
            ["-f", "/"], ["-f", "/home"], ["-f", "tmp"], ["-f", "nscd"], ["-x", "bin"], ["-x", "/usr/bin/bash"],
            ["-c", "bash"], ["-m", "SYSCALL"], ["-m", "USER_LOGIN,USER_AUTH,USER_ACCT"], ["-m", "EXECVE"],
            ["-sv", "no"], ["-sv", "yes"], ["-ui", "0"], ["-ua", "1000"], ["-ul", "1000"], ["-sc", "execve"],
            ["-sc", "connect"], ["-p", "1298"], ["-pp", "1"], ["--session", "1"], ["-k", "a"], ["-w", "-k", "fork"],
        ]
        let sample = TestSupport.repository.appendingPathComponent("tools/sample/audit.log")
        var compared = 0
        // ausearch reads no ids from URINGOP records; auditq does.
        for file in try TestSupport.corpusLogs() + [sample] where file.lastPathComponent != "record-uringop.txt" {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let store = try importInto(dir, [file])
            let theirsAll = try TestSupport.run(ausearch, ["-if", file.path, "--raw"]).out
            let oursAll = try TestSupport.auditq(["search", "--store", store, "--raw"]).out
            guard Self.withoutEnrichmentSeparators(theirsAll, like: file) == oursAll else { continue }
            for query in queries {
                let theirs = try TestSupport.run(ausearch, ["-if", file.path, "--raw"] + query).out
                let ours = try TestSupport.auditq(["search", "--store", store, "--raw"] + query).out
                XCTAssertEqual(ours, Self.withoutEnrichmentSeparators(theirs, like: file),
                               "\(file.lastPathComponent): \(query.joined(separator: " "))")
                compared += 1
            }
        }
        XCTAssertGreaterThan(compared, 500)
    }

    /// ausearch --raw appends a bare \x1d to enriched records that had no
    /// interpretation; auditq prints the file's bytes. Only those added
    /// separators are removed before comparing.
    static func withoutEnrichmentSeparators(_ s: String, like file: URL) -> String {
        guard let original = try? String(contentsOf: file, encoding: .utf8) else { return s }
        let lines = Set(original.split(separator: "\n").map(String.init))
        return s.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            let l = String(line)
            if l.hasSuffix("\u{1d}") && !lines.contains(l) && lines.contains(String(l.dropLast())) { return String(l.dropLast()) }
            return l
        }.joined(separator: "\n")
    }

    func testReimportAddsNothingAndOverlapAddsOnlyNew() throws {
        let file = TestSupport.corpus.appendingPathComponent("laurel/shell-proc-trace.txt")
        guard FileManager.default.fileExists(atPath: file.path) else { throw TestSupport.missing("no corpus") }
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Two rotated files overlapping by a few events.
        let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        let older = dir.appendingPathComponent("audit.log.1"), newer = dir.appendingPathComponent("audit.log")
        try (lines[..<40].joined(separator: "\n") + "\n").write(to: older, atomically: true, encoding: .utf8)
        try (lines[25...].joined(separator: "\n")).write(to: newer, atomically: true, encoding: .utf8)
        let store = dir.appendingPathComponent("s.db").path
        XCTAssertEqual(try TestSupport.auditq(["import", "--store", store, older.path]).status, 0)
        let second = try TestSupport.auditq(["import", "--store", store, newer.path])
        XCTAssertEqual(second.status, 0)
        XCTAssertTrue(second.out.contains("already stored"), second.out)
        let full = try TestSupport.auditq(["search", "--store", store, "--raw"]).out
        XCTAssertEqual(full.split(separator: "\n").map(String.init).sorted(), try recordLines(file).sorted())
        let again = try TestSupport.auditq(["import", "--store", store, file.path])
        XCTAssertTrue(again.out.hasPrefix("imported 0 new event(s)"), again.out)
        XCTAssertEqual(try TestSupport.auditq(["search", "--store", store, "--raw"]).out, full)
        XCTAssertEqual(try TestSupport.auditq(["verify", "--store", store]).status, 0)
    }

    /// Rotation cut an event in two: the piece at the end of audit.log.1 and
    /// the rest at the start of audit.log are both kept, nothing is lost.
    func testEventCutByRotationLosesNoRecord() throws {
        let file = TestSupport.corpus.appendingPathComponent("laurel/shell-proc-trace.txt")
        guard FileManager.default.fileExists(atPath: file.path) else { throw TestSupport.missing("no corpus") }
        let records = try recordLines(file)
        // Cut inside the execve event of serial 29238 (SYSCALL, EXECVE | CWD, PATH…).
        let cut = try XCTUnwrap(records.firstIndex { $0.hasPrefix("type=CWD msg=audit(1682609045.526:29238)") })
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let older = dir.appendingPathComponent("audit.log.1"), newer = dir.appendingPathComponent("audit.log")
        try (records[..<cut].joined(separator: "\n") + "\n").write(to: older, atomically: true, encoding: .utf8)
        try (records[cut...].joined(separator: "\n") + "\n").write(to: newer, atomically: true, encoding: .utf8)
        let store = try importInto(dir, [newer, older])
        let stored = try TestSupport.auditq(["search", "--store", store, "--raw"]).out
        XCTAssertEqual(stored.split(separator: "\n").map(String.init).sorted(), records.sorted())
        let pieces = try TestSupport.auditq(["search", "--store", store, "-a", "29238", "--format", "csv"])
        XCTAssertEqual(pieces.out.split(separator: "\n").count - 1, 2, "the two pieces of serial 29238")
    }

    func testGzipAndStdinImportLikeThePlainFile() throws {
        let file = TestSupport.corpus.appendingPathComponent("laurel/shell-proc-trace.txt")
        guard FileManager.default.fileExists(atPath: file.path), let gzip = TestSupport.which("gzip") else {
            throw TestSupport.missing("no corpus or gzip")
        }
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let gz = dir.appendingPathComponent("audit.log.2.gz")
        let compressed = try TestSupport.run(gzip, ["-c", file.path]).stdout
        try compressed.write(to: gz)
        let plainStore = try importInto(dir.appendingPathComponent("a"), [file])
        let gzStore = dir.appendingPathComponent("b.db").path
        XCTAssertEqual(try TestSupport.auditq(["import", "--store", gzStore, gz.path]).status, 0)
        let stdinStore = dir.appendingPathComponent("c.db").path
        XCTAssertEqual(try TestSupport.auditq(["import", "--store", stdinStore, "-"], input: try Data(contentsOf: file)).status, 0)
        let expected = try TestSupport.auditq(["search", "--store", plainStore, "--raw"]).out
        XCTAssertEqual(try TestSupport.auditq(["search", "--store", gzStore, "--raw"]).out, expected)
        XCTAssertEqual(try TestSupport.auditq(["search", "--store", stdinStore, "--raw"]).out, expected)
    }
}
