@testable import AuditCollector
@testable import AuditQuery
import AuditRules
import AuditStore
import Foundation
import XCTest

/// The ledger as one typed record: the kinds stored rows carry, the
/// payloads the collector writes, and the one reader `auditq status` and
/// the compliance report share, over rows written now and rows in the
/// format stores written before the payloads carried rule keys.
final class LedgerTests: XCTestCase {
    /// Stored rows are hash-chained: the strings in the kind column are fixed.
    func testKindsAreTheStoredStrings() {
        XCTAssertEqual(Ledger.Kind.allCases.map(\.rawValue), [
            "import", "serial_gap", "collector_start", "collector_stop", "collector_unclean_stop", "kernel_lost",
            "socket_overrun", "rules_loaded", "sensor", "sensor_drop", "follow_cursor", "follow_gap", "skipped_line",
            "checkpoint", "store_full", "cgroup", "container", "learned", "learn_full", "alert",
        ])
    }

    static let ruleText = """
        -D
        -b 8192
        -w /etc/passwd -p wa -k pci-10.2.1.5 -k cis-6.3.3.8
        -a always,exit -F arch=b64 -S mount -F auid>=1000 -F key=cis-6.3.3.10
        -e 2

        """

    /// The keys, `-e 2` and `-b` the loaded rules carry are recorded at load
    /// time, and a row from before (text only) reads the same way.
    func testRuleKeysRecordedAtLoadAndReadFromOldRows() throws {
        let set = try RuleSet.parse(Self.ruleText, name: "aq-ledger.rules")
        let row = RuleKeeper.row(set)
        XCTAssertEqual(row.kind, .rulesLoaded)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data((row.detail ?? "").utf8)) as? [String: Any])
        XCTAssertEqual(json["keys"] as? [String], ["pci-10.2.1.5", "cis-6.3.3.8", "cis-6.3.3.10"])
        XCTAssertEqual(json["immutable"] as? Bool, true)
        XCTAssertEqual(json["backlogLimit"] as? Int, 8192)
        XCTAssertEqual(json["sha256"] as? String, set.sha256)

        let recorded = ComplianceEvaluator.ruleSet(.init(loadedMs: 1, source: "kernel", count: 2,
                                                          set: Ledger.RulesLoaded(files: set.files, sha256: set.sha256, rules: 2,
                                                                                  text: "", keys: set.keys, immutable: true,
                                                                                  backlogLimit: 8192)))
        XCTAssertEqual(recorded.keys, ["pci-10.2.1.5", "cis-6.3.3.8", "cis-6.3.3.10"], "read from the list, not the text")
        XCTAssertTrue(recorded.immutable)
        XCTAssertEqual(recorded.backlog, 8192)
        let old = ComplianceEvaluator.ruleSet(.init(loadedMs: 1, source: "kernel", count: 2,
                                                    set: Ledger.RulesLoaded(files: set.files, sha256: set.sha256, rules: 2,
                                                                            text: set.text)))
        XCTAssertEqual(old.keys, recorded.keys)
        XCTAssertEqual(old.immutable, recorded.immutable)
        XCTAssertEqual(old.backlog, recorded.backlog)
        XCTAssertFalse(try RuleSet.parse("-e 1\n", name: "x").immutable)
    }

    /// Runs as `auditq status` and the compliance report tell them: stopped,
    /// crashed (noticed by the next start) and still open, each with the
    /// rules and sensor it loaded, from rows in the old and new formats.
    func testRunsFromOneReader() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("ledger.db").path
        let store = try EventStore(path: path, access: .write)
        let t0: Int64 = 1_767_225_600_000  // 2026-01-01T00:00:00Z
        func start(_ pid: Int32) -> Ledger.Start {
            Ledger.Start(version: "test", bootID: "boot-1", kernel: "6.1", mode: "primary", pid: pid, backlogLimit: 8192)
        }
        // An old store's rules_loaded detail: no keys, no immutable, no backlogLimit.
        let oldRules = #"{"files":["/etc/audit/rules.d/a.rules"],"rules":1,"sha256":"aa","text":"-w /etc/shadow -p wa -k old-key\n"}"#
        let set = try RuleSet.parse(Self.ruleText, name: "aq-ledger.rules")
        let rows: [CoverageRow] = [
            CoverageRow(start(999_999_991), source: "kernel", firstTimeMs: t0),
            CoverageRow(kind: .rulesLoaded, source: "kernel", firstTimeMs: t0 + 1, count: 1, detail: oldRules),
            CoverageRow(Ledger.Stop(records: 3, events: 1, kernelLost: 0, socketOverruns: 0, missingSerials: 0, reason: "SIGTERM"),
                        source: "kernel", lastTimeMs: t0 + 1000, count: 1),
            CoverageRow(start(999_999_992), source: "kernel", firstTimeMs: t0 + 2000),
            CoverageRow(Ledger.SensorState(mode: "tracepoint", reason: "no BPF-LSM", resumed: false, bootID: "boot-1",
                                           programs: [.init(name: "p", section: "tp/x", id: 7)], watchedPaths: 3),
                        source: "tracepoint", firstTimeMs: t0 + 2001, count: 1),
            RuleKeeper.row(set),
            CoverageRow(kind: .uncleanStop, source: "kernel", firstTimeMs: t0 + 2000, lastTimeMs: t0 + 5000, detail: "killed"),
            CoverageRow(start(999_999_993), source: "kernel", firstTimeMs: t0 + 5000),
        ]
        _ = try EventWriter(store: store).commit(events: [], coverage: rows, source: "test")

        let history = try store.pool.read { try Ledger.history($0, isRunning: { _ in false }) }
        XCTAssertEqual(history.runs.map(\.end), [.stopped, .crashed, .open])
        XCTAssertEqual(history.runs.map(\.startedMs), [t0, t0 + 2000, t0 + 5000])
        XCTAssertEqual(history.runs[0].endedMs, t0 + 1000)
        XCTAssertEqual(history.runs[0].stop?.reason, "SIGTERM")
        XCTAssertEqual(history.runs[0].ruleLoads.first?.set?.sha256, "aa")
        XCTAssertNil(history.runs[0].sensor)
        XCTAssertEqual(history.runs[1].endedMs, t0 + 2000, "a crashed run is known to have collected only at its start")
        XCTAssertEqual(history.runs[1].sensor?.mode, "tracepoint")
        XCTAssertEqual(history.runs[1].ruleLoads.last?.set?.keys, set.keys)
        XCTAssertEqual(history.ruleLoads.count, 2)
        XCTAssertEqual(ComplianceEvaluator.ruleSet(history.ruleLoads[0]).keys, ["old-key"], "an old row's keys come from its text")
        let running = try store.pool.read { try Ledger.history($0, isRunning: { $0 == 999_999_993 }) }
        XCTAssertEqual(running.runs.map(\.end), [.stopped, .crashed, .running], "only the last open run can be running")
        XCTAssertEqual(try Ledger.lastRun(store, source: "kernel")?.startRow, history.runs[2].startRow)
        XCTAssertNil(try Ledger.lastRun(store, source: "plugin"))

        // auditq status reads the same runs.
        let status = try TestSupport.auditq(["status", "--store", path, "--format", "json"])
        XCTAssertEqual(status.status, 1, "time between runs is a gap: \(status.stderr)")
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: status.stdout) as? [String: Any])
        let runs = try XCTUnwrap(json["runs"] as? [[String: Any]])
        XCTAssertEqual(runs.map { $0["crashed"] as? Bool }, [false, true, false])
        XCTAssertEqual(runs.map { $0["running"] as? Bool }, [false, false, false])
        XCTAssertEqual(runs.first?["stop_reason"] as? String, "SIGTERM")
        let rules = try XCTUnwrap(json["rules"] as? [String: Any])
        XCTAssertEqual(rules["sha256"] as? String, set.sha256)
        XCTAssertEqual((json["sensor"] as? [String: Any])?["mode"] as? String, "tracepoint")
        let gaps = try XCTUnwrap(json["gaps"] as? [[String: Any]])
        // Between the runs, and since the open run (its pid is not a collector
        // now: gone without a stop row) last committed.
        XCTAssertEqual(gaps.compactMap { $0["kind"] as? String }, ["not_collecting", "not_collecting", "not_collecting"])
        XCTAssertTrue((gaps.last?["description"] as? String ?? "").hasPrefix("not collecting since"), "\(gaps.last ?? [:])")

        // The compliance report's runs are the same runs.
        let report = try ComplianceEvaluator(store: store, policy: try Policy.load("pci-dss-v4")).evaluate()
        XCTAssertEqual(report.coverage.runs.map(\.end), ["stopped", "crashed", "open"])
        XCTAssertEqual(report.coverage.runs.map(\.sensor), ["off", "tracepoint", "off"])
        XCTAssertEqual(report.coverage.runs.map(\.rulesSHA256), ["aa", set.sha256, nil])
    }
}
