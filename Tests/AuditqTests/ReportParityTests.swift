import Foundation
import XCTest

/// `auditq report NAME` lists as many events, and `--summary` as many
/// objects with the same totals, as `aureport -if FILE FLAG` does on the
/// same log: every corpus file, the shipped sample and a log made live.
final class ReportParityTests: XCTestCase {
    static let reports: [(name: String, flag: String)] = [
        ("auth", "-au"), ("login", "-l"), ("user", "-u"), ("executable", "-x"), ("file", "-f"),
        ("syscall", "-s"), ("key", "-k"), ("anomaly", "-n"), ("mods", "-m"), ("config", "-c"),
    ]

    /// Where auditq counts differently on purpose: "file" (every report) or
    /// "file report" (that report only), with the reason.
    static let known: [String: String] = [
        "record-avc-apparmor.txt": "aureport skips the AppArmor AVC event; auditq keeps it",
        "record-uringop.txt user": "auditq reads the uid of URINGOP records; aureport's parser does not",
        "audit.log user": "auditq reads uid= of the DAEMON_END record (auid= first); aureport's daemon parser stops before it",
        "live audit.log user": "the same DAEMON_END record, written by the private auditd that made the log",
    ]

    /// Summaries compared line for line; the others show names (acct vs
    /// uid) or count repeated PATH names as aureport does not yet.
    static let exactSummaries: Set<String> = ["executable", "syscall", "key", "anomaly", "mods", "config"]

    func testCorpusAndSample() throws {
        guard TestSupport.which("aureport") != nil else { throw TestSupport.missing("aureport is not installed") }
        let files = try TestSupport.corpusLogs()
            + [TestSupport.repository.appendingPathComponent("tools/sample/audit.log")]
        var compared = 0
        for file in files { compared += try compare(file) }
        XCTAssertGreaterThan(compared, 250)
    }

    func testLiveLog() throws {
        guard TestSupport.which("aureport") != nil else { throw TestSupport.missing("aureport is not installed") }
        guard getuid() == 0 else { throw TestSupport.missing("making a live audit log needs root") }
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let tool = TestSupport.repository.appendingPathComponent("tools/make-audit-log").path
        let made = try TestSupport.run(tool, [dir.path, "--events", "1500"])
        XCTAssertEqual(made.status, 0, made.stderr)
        XCTAssertGreaterThan(try compare(dir.appendingPathComponent("audit.log"), label: "live audit.log"), 0)
    }

    /// Files named inside a record, not by a PATH record: a watched file
    /// replaced (CONFIG_CHANGE op=updated_rules path=) and an AVC denial
    /// (name=) are in the file report, row for row as aureport -f prints them.
    func testFileReportTakesFilesNamedInRecords() throws {
        guard TestSupport.which("aureport") != nil else { throw TestSupport.missing("aureport is not installed") }
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("audit.log").path, store = dir.appendingPathComponent("s.db").path
        try """
            type=CONFIG_CHANGE msg=audit(1764000000.100:50): auid=0 ses=1 subj=unconfined op=updated_rules path="/etc/passwd" key="passwd" list=4 res=1
            type=AVC msg=audit(1764000002.100:52): avc:  denied  { read } for  pid=200 comm="cat" name="shadow" dev="sda1" ino=5 scontext=system_u:system_r:httpd_t:s0 tcontext=system_u:object_r:shadow_t:s0 tclass=file permissive=0
            type=SYSCALL msg=audit(1764000002.100:52): arch=c000003e syscall=257 success=no exit=-13 a0=ffffff9c a1=1 a2=0 a3=0 items=0 ppid=1 pid=200 auid=1000 uid=1000 gid=0 euid=1000 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=1 comm="cat" exe="/usr/bin/cat" key=(null)
            type=PROCTITLE msg=audit(1764000002.100:52): proctitle=636174
            type=CONFIG_CHANGE msg=audit(1764000003.100:53): auid=0 ses=1 op=add_rule key="x" list=4 res=1

            """.write(toFile: log, atomically: true, encoding: .utf8)
        XCTAssertEqual(try TestSupport.auditq(["import", "-q", "--store", store, log]).status, 0)
        let aureport = TestSupport.which("aureport")!
        for extra in [[], ["--summary"]] {
            let theirs = try TestSupport.run(aureport, ["-if", log, "-f"] + extra).out
            let ours = try TestSupport.auditq(["report", "file", "--store", store] + extra).out
            XCTAssertEqual(ours, theirs, "report file \(extra)")
            XCTAssertTrue(ours.contains("/etc/passwd") && ours.contains("shadow"), ours)
        }
    }

    /// Compares every report on one file; returns how many comparisons ran.
    private func compare(_ file: URL, label: String? = nil) throws -> Int {
        let name = label ?? file.lastPathComponent
        guard Self.known[name] == nil else { return 0 }
        let aureport = TestSupport.which("aureport")!
        let dir = TestSupport.temporaryDirectory("parity" + name)
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = dir.appendingPathComponent("s.db").path
        XCTAssertEqual(try TestSupport.auditq(["import", "-q", "--store", store, file.path]).status, 0, name)
        /// Numbered rows of a list ("1. date time …"), or "hits  object" lines of a summary.
        func lines(_ text: String, summary: Bool) -> [String] {
            text.split(separator: "\n").map(String.init).filter { line in
                guard let first = line.split(separator: " ").first else { return false }
                return summary ? Int(first) != nil : first.hasSuffix(".") && Int(first.dropLast()) != nil
            }
        }
        var compared = 0
        for (report, flag) in Self.reports where Self.known["\(name) \(report)"] == nil {
            for extra in [[], ["--failed"], ["--success"]] {
                let theirs = lines(try TestSupport.run(aureport, ["-if", file.path, flag] + extra).out, summary: false)
                let ours = try TestSupport.auditq(["report", report, "--store", store] + extra)
                XCTAssertEqual(ours.status, 0, ours.stderr)
                XCTAssertEqual(lines(ours.out, summary: false).count, theirs.count, "\(name): \(report) \(extra)")
            }
            let theirs = lines(try TestSupport.run(aureport, ["-if", file.path, flag, "--summary"]).out, summary: true)
            let ours = lines(try TestSupport.auditq(["report", report, "--summary", "--store", store]).out, summary: true)
            XCTAssertEqual(ours.count, theirs.count, "\(name): \(report) --summary")
            if Self.exactSummaries.contains(report) {
                XCTAssertEqual(ours.sorted(), theirs.sorted(), "\(name): \(report) --summary")
            }
            compared += 1
        }
        return compared
    }
}
