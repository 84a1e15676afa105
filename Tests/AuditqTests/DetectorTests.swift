import AuditQuery
import Foundation
import XCTest

/// The detectors (audit_rules/detectors/) against harmless reproductions of
/// each technique made on this kernel (tools/detect-repro/): the audit
/// signatures through a private auditd with the detector pack, the sensor
/// signatures through auditqd live, the container ones with real runc
/// containers. Benign look-alikes must not fire.
final class DetectorTests: XCTestCase {
    struct Line: Decodable {
        var time: String
        var alert: Alert
    }
    struct Alert: Decodable {
        var detector: String
        var source: String
        var evidence: [Int64]
        var summary: String
        var search: String
        var uid: Int64?
        var comm: String?
        var container: String?
    }

    static let packKeys = ["auditq-det-umh", "auditq-det-kernel-hook", "auditq-det-runtime-binary", "auditq-det-namespace",
                           "auditq-det-mount", "auditq-det-packet-socket", "auditq-det-splice", "auditq-det-ptrace",
                           "auditq-det-mkdir", "auditq-det-setuid-helper"]

    static func repro(_ name: String, in dir: URL, environment: [String: String] = [:]) throws {
        let scratch = dir.appendingPathComponent("repro-\(name)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        let script = TestSupport.repository.appendingPathComponent("tools/detect-repro/\(name).sh").path
        let r = try TestSupport.run("/bin/bash", [script, scratch.path], environment: env)
        XCTAssertEqual(r.status, 0, "\(name): \(r.out) \(r.stderr)")
    }

    static func alerts(_ out: String) -> [Alert] {
        out.split(separator: "\n").compactMap { try? JSONDecoder().decode(Line.self, from: Data($0.utf8)).alert }
    }

    /// The packs the detectors need, as one rule file (the packs' own order).
    static func packRules(_ dir: URL, files: [String]) throws -> String {
        let root = TestSupport.repository.appendingPathComponent("audit_rules")
        let text = try files.map { try String(contentsOf: root.appendingPathComponent($0), encoding: .utf8) }.joined(separator: "\n")
        let kept = text.split(separator: "\n").filter { !$0.hasPrefix("-D") && !$0.hasPrefix("-b") && !$0.hasPrefix("-f") && !$0.hasPrefix("--backlog") && !$0.hasPrefix("-e") }
        let path = dir.appendingPathComponent("packs.rules").path
        try (kept.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static let packFiles = ["20-identity.rules", "21-privilege-escalation.rules", "22-module-load.rules",
                            "31-cis-system-accounting.rules", "40-privileged-exec.rules", "60-detectors.rules"]

    /// Every audit signature fires on its reproduction, with a private auditd
    /// writing the log; useradd, a read of core_pattern, a plain sudoedit and
    /// a user tracing its own child do not; an allow rule silences nsenter.
    func testAuditSignaturesOnReproductions() throws {
        guard let auditctl = KernelAudit.auditctl else { throw TestSupport.missing("auditctl is not installed") }
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = try KernelAudit.exclusive { () -> String in
            let rules = try Self.packRules(dir, files: Self.packFiles)
            // The packs' rules go as they came: all of them when the kernel had
            // none, else by each key the packs use.
            let hadNone = try TestSupport.run(auditctl, ["-l"]).out.contains("No rules")
            let keys = try String(contentsOfFile: rules, encoding: .utf8).components(separatedBy: "-k ").dropFirst()
                .compactMap { $0.split(separator: " ").first.map(String.init) }
            defer {
                if hadNone { _ = try? TestSupport.run(auditctl, ["-D"]) } else { for key in Set(keys + Self.packKeys) { KernelAudit.removeRules(key: key) } }
            }
            let auditd = try PrivateAuditd(dir: dir.appendingPathComponent("auditd"))
            defer { auditd.stop() }
            _ = try TestSupport.run(auditctl, ["-e", "1"])
            let load = try TestSupport.run(auditctl, ["-R", rules])
            XCTAssertEqual(load.status, 0, "the packs load: \(load.stderr)")
            for name in ["shadow-write", "core-pattern-write", "runtime-binary-write", "pwnkit", "sudoedit", "ptrace-other-user",
                         "dirty-pipe", "userns-setxattr", "release-agent",
                         "useradd-benign", "core-pattern-read", "sudoedit-benign", "ptrace-own-benign"] {
                try Self.repro(name, in: dir)
            }
            try Self.repro("nsenter-host", in: dir, environment: ["NSENTER_TARGET": "self"])
            sleep(3)
            return auditd.log
        }
        let store = dir.appendingPathComponent("d.db").path
        XCTAssertEqual(try TestSupport.auditq(["import", "--store", store, log]).status, 0)
        let run = try TestSupport.auditq(["detect", "--store", store, "--format", "json"])
        XCTAssertEqual(run.status, 1, "alerts found: exit 1. \(run.stderr)")
        let alerts = Self.alerts(run.out)
        let fired = Set(alerts.map(\.detector))
        for expected in ["identity-file-write", "kernel-hook-write", "runtime-binary-write", "pwnkit-argc0", "gconv-path-directory",
                         "sudoedit-backslash", "ptrace-other-user", "dirty-pipe-splice", "userns-setxattr", "userns-then-root",
                         "cgroup-release-agent", "setns-on-host"] {
            XCTAssertTrue(fired.contains(expected), "\(expected) fired; fired: \(fired.sorted())")
        }
        // Look-alikes: useradd and userdel edit passwd; a read of core_pattern;
        // sudoedit without -s; nobody tracing its own child.
        XCTAssertFalse(alerts.contains { $0.detector == "identity-file-write" && ["useradd", "userdel"].contains($0.comm ?? "") }, run.out)
        XCTAssertEqual(alerts.filter { $0.detector == "kernel-hook-write" }.count, 1, run.out)
        XCTAssertEqual(alerts.filter { $0.detector == "sudoedit-backslash" }.count, 2, "the two -s calls, not the plain one: \(run.out)")
        XCTAssertFalse(alerts.contains { $0.detector == "ptrace-other-user" && $0.uid == 65534 }, run.out)
        // No container here: the container detectors stay quiet.
        XCTAssertTrue(fired.isDisjoint(with: ["setns-from-container", "packet-socket-in-container", "module-load-from-container", "mount-from-container"]))

        // Each alert's search prints its evidence.
        let first = try XCTUnwrap(alerts.first { $0.detector == "pwnkit-argc0" })
        let words = first.search.split(separator: " ").dropFirst().map(String.init)
        let shown = try TestSupport.auditq(words + ["--store", store])
        XCTAssertEqual(shown.status, 0, shown.stderr)
        XCTAssertTrue(shown.out.contains("pkexec"), shown.out)

        // Stored once: a second run finds the same alerts, none new; auditq alerts lists them; the chain holds.
        let again = try TestSupport.auditq(["detect", "--store", store])
        XCTAssertTrue(again.out.contains("(0 new, committed to the store)"), again.out)
        let listed = try TestSupport.auditq(["alerts", "--store", store, "--format", "json"])
        XCTAssertEqual(Self.alerts(listed.out).count, alerts.count, listed.out)
        XCTAssertEqual(try TestSupport.auditq(["verify", "--store", store]).status, 0)

        // The operator allows nsenter from root shells on the host.
        let allow = dir.appendingPathComponent("allow.json").path
        try #"[{"detector": "setns-on-host", "exe": ["/usr/bin/nsenter"], "uid": 0, "host": true, "note": "operators enter namespaces from root shells"}]"#
            .write(toFile: allow, atomically: true, encoding: .utf8)
        let allowed = try TestSupport.auditq(["detect", "--store", store, "--no-record", "--detector", "setns-on-host", "--allow", allow])
        XCTAssertEqual(allowed.status, 0, allowed.out)
        XCTAssertTrue(allowed.out.contains("suppressed by an allow rule: 2 × setns-on-host: operators enter namespaces from root shells"), allowed.out)

        // Coverage: judged from the keys the log carries.
        let coverage = try TestSupport.auditq(["detect", "--store", store, "--coverage"])
        XCTAssertTrue(coverage.out.contains("pwnkit-argc0"), coverage.out)
        XCTAssertTrue(coverage.out.contains("no sensor on record"), coverage.out)
    }

    /// auditqd runs the detectors on each batch it commits, with its sensor in
    /// tracepoint mode: both sources' signatures, one alert per action, JSON
    /// lines to a file as they happen.
    func testLiveDetectionWithTheSensor() throws {
        guard FileManager.default.fileExists(atPath: "/sys/kernel/btf/vmlinux") else {
            throw TestSupport.missing("no kernel BTF (/sys/kernel/btf/vmlinux): the BPF sensor cannot load here")
        }
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = dir.appendingPathComponent("live.db").path
        let out = dir.appendingPathComponent("alerts.jsonl").path
        try KernelAudit.exclusive {
            let rules = try Self.packRules(dir, files: ["20-identity.rules", "40-privileged-exec.rules", "60-detectors.rules"])
            defer { for key in Self.packKeys { KernelAudit.removeRules(key: key) } }
            let daemon = try AuditqdProcess(["--store", store, "--mode", "primary", "--rules", rules, "--alerts-to", out])
            XCTAssertTrue(daemon.waitFor("collecting in primary mode"), daemon.stderr)
            let tracepoint = daemon.stderr.contains("sensor: tracepoint")
            for name in ["core-pattern-write", "pwnkit", "dirty-pipe", "userns-setxattr", "useradd-benign", "core-pattern-read"] {
                try Self.repro(name, in: dir)
            }
            TestSupport.wait(timeout: 20) {
                let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
                return Set(Self.alerts(text).map(\.detector)).isSuperset(of: ["kernel-hook-write", "pwnkit-argc0", "dirty-pipe-splice"])
            }
            XCTAssertEqual(daemon.stop(), 0, daemon.stderr)
            let alerts = Self.alerts((try? String(contentsOfFile: out, encoding: .utf8)) ?? "")
            func source(_ d: String) -> Set<String> { Set(alerts.filter { $0.detector == d }.map(\.source)) }
            XCTAssertEqual(alerts.filter { $0.detector == "kernel-hook-write" }.count, 1, "one alert for one open seen by both: \(alerts)")
            if tracepoint {
                XCTAssertEqual(source("kernel-hook-write"), ["audit+sensor"])
                XCTAssertEqual(source("pwnkit-argc0"), ["audit+sensor"], "the sensor's exec carries argc")
                XCTAssertEqual(source("dirty-pipe-splice"), ["audit+sensor"])
                XCTAssertEqual(source("userns-setxattr"), ["sensor"], "security.capability is the sensor's to see")
            }
            XCTAssertFalse(alerts.contains { $0.detector == "identity-file-write" }, "useradd and userdel manage passwd: \(alerts)")
            // What went out as lines is what the store holds.
            let stored = Self.alerts(try TestSupport.auditq(["alerts", "--store", store, "--format", "json"]).out)
            XCTAssertEqual(Set(stored.map { $0.detector + "\($0.evidence)" }), Set(alerts.map { $0.detector + "\($0.evidence)" }))
            XCTAssertEqual(try TestSupport.auditq(["verify", "--store", store]).status, 0)
        }
    }

    /// Container detectors with real runc containers: a mount, a module load,
    /// setns and an AF_PACKET socket from inside (each refused: the container
    /// lacks CAP_SYS_ADMIN and CAP_SYS_MODULE) fire and name the container;
    /// the container reading core_pattern does not.
    func testContainerDetectors() throws {
        if let why = ContainerHarness.unavailable() { throw TestSupport.missing(why) }
        guard FileManager.default.fileExists(atPath: "/sys/kernel/btf/vmlinux") else {
            throw TestSupport.missing("no kernel BTF (/sys/kernel/btf/vmlinux): the BPF sensor cannot load here")
        }
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = dir.appendingPathComponent("c.db").path
        var containerOutput = ""
        try KernelAudit.exclusive {
            let rules = try Self.packRules(dir, files: ["22-module-load.rules", "60-detectors.rules"])
            defer { for key in Self.packKeys + ["pci-10.2.1.7"] { KernelAudit.removeRules(key: key) } }
            let harness = try ContainerHarness(tag: "det")
            defer { harness.cleanUp() }
            let daemon = try AuditqdProcess(["--store", store, "--mode", "primary", "--rules", rules])
            XCTAssertTrue(daemon.waitFor("collecting in primary mode"), daemon.stderr)
            // Without a seccomp filter: docker's default profile refuses mount,
            // init_module and setns before audit or the sensor sees them.
            let c = try harness.make(.runcPlain, name: "escape", grants: .init(seccompUnconfined: true))
            let r = try harness.run(c, script: """
                cat /proc/sys/kernel/core_pattern >/dev/null
                mount -t debugfs none /tmp
                insmod /bin/busybox
                nsenter -t 1 -m true
                arping -c 1 -w 1 -I lo 127.0.0.1
                true
                """)
            XCTAssertEqual(r.status, 0, r.out + r.err)
            containerOutput = r.out + r.err
            sleep(2)
            XCTAssertEqual(daemon.stop(), 0, daemon.stderr)
        }
        let run = try TestSupport.auditq(["detect", "--store", store, "--format", "json"])
        let alerts = Self.alerts(run.out)
        for expected in ["mount-from-container", "module-load-from-container", "setns-from-container", "packet-socket-in-container"] {
            let hits = alerts.filter { $0.detector == expected }
            if hits.isEmpty {
                let seen = (try? TestSupport.auditq(["search", "--store", store, "-k", "auditq-det", "-i"]).out) ?? ""
                let modules = (try? TestSupport.auditq(["search", "--store", store, "-k", "pci-10.2.1.7", "-i"]).out) ?? ""
                XCTFail("\(expected) fired: \(run.out) \(run.stderr)\ncontainer said: \(containerOutput)\nstored:\n\(seen.suffix(6000))\n\(modules.suffix(3000))")
            }
            XCTAssertTrue(hits.allSatisfy { $0.container != nil }, "\(expected) names the container: \(hits)")
        }
        XCTAssertFalse(alerts.contains { $0.detector == "kernel-hook-write" }, "a read of core_pattern: \(run.out)")
        XCTAssertFalse(alerts.contains { $0.detector == "setns-on-host" }, "runc's own setns calls are the runtime's: \(run.out)")
        let only = try TestSupport.auditq(["detect", "--store", store, "--no-record", "--container", "nope-no-such"])
        XCTAssertEqual(only.status, 0, only.out)
    }

    /// The binary carries audit_rules/detectors/ as it is (tools/embed-policies).
    func testCarriedDetectorsAreTheFiles() throws {
        let dir = TestSupport.repository.appendingPathComponent("audit_rules/detectors")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") }.sorted()
        XCTAssertEqual(Detector.embeddedFiles.map(\.name), files, "audit_rules/detectors/ and the carried detectors differ: run tools/embed-policies")
        for entry in Detector.embeddedFiles {
            let text = try String(contentsOf: dir.appendingPathComponent(entry.name), encoding: .utf8)
            XCTAssertEqual(entry.json + "\n", text, "\(entry.name) differs from the carried copy: run tools/embed-policies")
        }
        XCTAssertEqual(try Detector.load().count, files.count)
    }

    /// A detector file that is not one: one line naming the file and the fault.
    func testBadDetectorFiles() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = dir.appendingPathComponent("e.db").path
        let log = dir.appendingPathComponent("a.log").path
        try "type=USER_LOGIN msg=audit(1700000000.000:1): pid=1 uid=0 auid=0 ses=1 msg='op=login res=success'\n"
            .write(toFile: log, atomically: true, encoding: .utf8)
        XCTAssertEqual(try TestSupport.auditq(["import", "--store", store, log]).status, 0)
        let detectors = dir.appendingPathComponent("detectors")
        try FileManager.default.createDirectory(at: detectors, withIntermediateDirectories: true)
        let bad = detectors.appendingPathComponent("x.json").path
        try #"{"detector": "x", "title": "t", "severity": "high", "attack": [], "description": "d", "rule_keys": [], "audit": {"match": {"types": ["SYSCALL"], "when": [{"field": "nonsense", "op": "eq", "value": 1}], "says": "s"}}}"#
            .write(toFile: bad, atomically: true, encoding: .utf8)
        let r = try TestSupport.auditq(["detect", "--store", store, "--detectors", detectors.path])
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(r.stderr.contains("x.json: detector x: audit: unknown field nonsense"), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        let unknown = try TestSupport.auditq(["detect", "--store", store, "--detector", "no-such"])
        XCTAssertEqual(unknown.status, 64, unknown.stderr)
        let clean = try TestSupport.auditq(["detect", "--store", store])
        XCTAssertEqual(clean.status, 0, clean.out + clean.stderr)
        XCTAssertTrue(clean.out.contains("0 alerts from 17 detectors"), clean.out)
    }
}
