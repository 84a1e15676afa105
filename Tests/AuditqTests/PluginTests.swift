import AuditCollector
import AuditStore
import Foundation
import XCTest

/// `auditqd --plugin`: auditd's plugin stream on standard input, first fed
/// by the test from a real log, then by a real auditd through the shipped
/// plugin configuration.
final class PluginTests: XCTestCase {
    var sampleURL: URL { TestSupport.repository.appendingPathComponent("tools/sample/audit.log") }

    /// The sample as auditd's plugin stream carries it: the kernel's EOE
    /// record after each multi-record event (auditd's log leaves them out).
    func pluginStream(_ log: String) -> String {
        var out = ""
        let lines = log.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        func stamp(_ line: Substring) -> Substring? { line.split(separator: " ").first { $0.hasPrefix("msg=audit(") } }
        var run = 0
        for (i, line) in lines.enumerated() {
            out += line + "\n"
            run += 1
            let next = i + 1 < lines.count ? stamp(lines[i + 1]) : nil
            if next != stamp(line) {
                if run > 1, let s = stamp(line) { out += "type=EOE \(s) \n" }
                run = 0
            }
        }
        return out
    }

    func testPluginStoresTheStreamAndStopsAtEndOfInput() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = dir.appendingPathComponent("s.db").path
        let log = try String(contentsOf: sampleURL, encoding: .utf8)
        let stream = Array(pluginStream(log).utf8)
        XCTAssertTrue(String(decoding: stream, as: UTF8.self).contains("type=EOE msg=audit("))

        let plugin = try AuditqdProcess(["--plugin", "--store", store], stdin: true)
        XCTAssertTrue(plugin.waitFor("plugin stream"), plugin.stderr)
        // Written in uneven pieces, lines and events cut across writes, as a pipe delivers them.
        var at = 0, size = 1
        let writer = plugin.inPipe.fileHandleForWriting
        while at < stream.count {
            let end = min(stream.count, at + size)
            writer.write(Data(stream[at..<end]))
            at = end
            size = size * 7 % 9973 + 1
        }
        try writer.close()
        let end = Date().addingTimeInterval(30)
        while plugin.process.isRunning && Date() < end { usleep(20_000) }
        XCTAssertFalse(plugin.process.isRunning, "auditqd --plugin ends when its input ends")
        XCTAssertEqual(plugin.stop(), 0, plugin.stderr)
        XCTAssertTrue(plugin.stderr.contains("end of input"), plugin.stderr)

        // Stored as auditd's own log has them: no EOE.
        let ours = try TestSupport.auditq(["search", "--store", store, "--raw"]).out
        if let ausearch = TestSupport.which("ausearch") {
            XCTAssertEqual(ours, try TestSupport.run(ausearch, ["--raw", "-if", sampleURL.path]).out)
        }
        XCTAssertFalse(ours.contains("type=EOE"))
        let reference = dir.appendingPathComponent("reference.db").path
        XCTAssertEqual(try TestSupport.auditq(["import", "--store", reference, sampleURL.path]).status, 0)
        XCTAssertEqual(try TestSupport.auditq(["search", "--store", store, "--format", "json"]).out,
                       try TestSupport.auditq(["search", "--store", reference, "--format", "json"]).out,
                       "the same events as an import of auditd's log")
        XCTAssertEqual(try TestSupport.auditq(["verify", "--store", store]).status, 0)
        let rows = try EventStore(path: store, access: .read).pool.read {
            try Ledger.rows($0, kinds: [.collectorStart, .collectorStop])
        }
        XCTAssertEqual(rows.map(\.kind), [.collectorStart, .collectorStop])
        XCTAssertTrue(rows.allSatisfy { $0.source == "plugin" })
        XCTAssertEqual(rows.last?.decode(Ledger.Stop.self)?.reason, "end of input (auditd closed the pipe)")
    }

    func testPluginStopsCleanlyOnSIGTERM() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = dir.appendingPathComponent("s.db").path
        let log = try Data(contentsOf: sampleURL)
        let plugin = try AuditqdProcess(["--plugin", "--store", store], stdin: true)
        XCTAssertTrue(plugin.waitFor("plugin stream"), plugin.stderr)
        // SIGTERM right after the write: what is still in the pipe is read and stored first.
        plugin.inPipe.fileHandleForWriting.write(log)
        XCTAssertEqual(plugin.stop(), 0, plugin.stderr)
        XCTAssertTrue(plugin.stderr.contains("stopped by signal SIGTERM"), plugin.stderr)
        let count = try TestSupport.auditq(["search", "--store", store, "--format", "json"]).out.split(separator: "\n").count
        XCTAssertEqual(count, 410, "everything written before the signal is stored")
        XCTAssertEqual(try TestSupport.auditq(["verify", "--store", store]).status, 0)
    }

    /// The shipped plugin configuration, with this build's auditqd and a
    /// temporary store, in a private auditd's plugin_dir: the store holds
    /// what auditd's own log holds.
    func testPluginUnderARealAuditd() throws {
        guard geteuid() == 0 else { throw TestSupport.missing("needs root to run auditd") }
        guard TestSupport.which("auditd") != nil, let ausearch = TestSupport.which("ausearch") else {
            throw TestSupport.missing("auditd/ausearch are not installed")
        }
        try KernelAudit.exclusive {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            chmod(dir.path, 0o755)
            let store = dir.appendingPathComponent("s.db").path
            let plugins = dir.appendingPathComponent("plugins.d")
            try FileManager.default.createDirectory(at: plugins, withIntermediateDirectories: true)
            let shipped = try String(contentsOf: TestSupport.repository.appendingPathComponent("tools/auditd-plugin/auditq.conf"), encoding: .utf8)
            var conf = ""
            for line in shipped.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix("path") { conf += "path = \(AuditqdProcess.executable)\n" }
                else if line.hasPrefix("args") { conf += line.replacingOccurrences(of: "/var/lib/auditq/auditq.db", with: store) + "\n" }
                else { conf += line + "\n" }
            }
            XCTAssertTrue(conf.contains("--store=\(store)"), conf)
            let confPath = plugins.appendingPathComponent("auditq.conf").path
            try conf.write(toFile: confPath, atomically: true, encoding: .utf8)
            chmod(confPath, 0o640)

            let key = KernelAudit.uniqueKey("plugin"), auid = Workload.auid()
            defer { KernelAudit.removeRules(key: key) }
            let auditd = try PrivateAuditd(dir: dir.appendingPathComponent("auditd"), pluginDir: plugins)
            defer { auditd.stop() }
            _ = try TestSupport.run(KernelAudit.auditctl!, ["-e", "1"])
            // auditd started the plugin: find its pid (by this test's store) to wait for its exit.
            var pluginPid: Int32?
            let found = Date().addingTimeInterval(10)
            while pluginPid == nil && Date() < found {
                pluginPid = Self.processes(withArgument: "--store=\(store)").first
                if pluginPid == nil { usleep(50_000) }
            }
            XCTAssertNotNil(pluginPid, "auditd started auditqd --plugin")

            let add = try TestSupport.run(KernelAudit.auditctl!, ["-a", "always,exit", "-F", "arch=b64", "-S", "execve",
                                                                  "-F", "auid=\(auid)", "-k", key])
            XCTAssertEqual(add.status, 0, add.stderr)
            XCTAssertEqual(try Workload.run(auid: auid, "for i in 1 2 3 4 5; do /bin/true; done").status, 0)
            KernelAudit.removeRules(key: key)
            // auditd has the rule's removal (the last record) before it stops.
            TestSupport.wait {
                ((try? String(contentsOfFile: auditd.log, encoding: .utf8)) ?? "").contains("op=remove_rule key=\"\(key)\"")
            }
            auditd.stop()
            // auditd closed the pipe: the plugin commits, writes its stop row and exits.
            if let pid = pluginPid {
                let end = Date().addingTimeInterval(20)
                while kill(pid, 0) == 0 && Date() < end { usleep(50_000) }
                XCTAssertNotEqual(kill(pid, 0), 0, "auditqd --plugin exited after auditd stopped")
                if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
            }

            let theirs = try TestSupport.run(ausearch, ["-if", auditd.log, "-k", key, "--raw"])
            let ours = try TestSupport.auditq(["search", "--store", store, "-k", key, "--raw"])
            XCTAssertGreaterThanOrEqual(theirs.out.split(separator: "\n").count, 5 * 3, theirs.out)
            XCTAssertEqual(ours.out, theirs.out, "auditd's log and the plugin's store hold the same records")
            XCTAssertFalse(ours.out.contains("type=EOE"))
            // Everything auditd logged, its own DAEMON_START/END included.
            let wholeLog = try TestSupport.run(ausearch, ["-if", auditd.log, "--raw"]).out
            XCTAssertEqual(try TestSupport.auditq(["search", "--store", store, "--raw"]).out, wholeLog)
            XCTAssertTrue(wholeLog.contains("type=DAEMON_END"), wholeLog)
            XCTAssertEqual(try TestSupport.auditq(["verify", "--store", store]).status, 0)
            let rows = try EventStore(path: store, access: .read).pool.read {
                try Ledger.rows($0, kinds: [.collectorStart, .collectorStop, .uncleanStop])
            }
            XCTAssertEqual(rows.map(\.kind), [.collectorStart, .collectorStop], "a clean stop")
            XCTAssertEqual(rows.first?.decode(Ledger.Start.self)?.mode, "plugin")
        }
    }

    /// Pids of processes whose command line has `argument` (to wait for, never to signal by name).
    static func processes(withArgument argument: String) -> [Int32] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap { Int32($0) }.filter { pid in
            guard let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return raw.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == argument }
        }
    }
}
