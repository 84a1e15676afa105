import Foundation
import XCTest

/// The BPF sensor on this host. The kernel here is locked down, so BPF-LSM
/// programs cannot load: auditqd must say so, fall back to the BTF
/// tracepoints, and record exec, the open of a watched file and a connect
/// with their fields. (The BPF-LSM path runs in the qemu VM test.)
final class SensorTests: XCTestCase {
    struct Stored: Decodable {
        var types: [String]
        var pid: Int64?
        var exe: String?
        var paths: [Path]?
        var sockaddr: Sock?
        var fields: [String: String]?
        struct Path: Decodable { var name: String? }
        struct Sock: Decodable { var address: String?; var port: Int? }
    }

    func testFallbackSensorRecordsExecOpenAndConnect() throws {
        guard FileManager.default.fileExists(atPath: "/sys/kernel/btf/vmlinux") else {
            throw TestSupport.missing("no kernel BTF (/sys/kernel/btf/vmlinux): the BPF sensor cannot load here")
        }
        try KernelAudit.exclusive {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let store = dir.appendingPathComponent("s.db").path
            let watched = dir.appendingPathComponent("watched.txt").path
            try "secret\n".write(toFile: watched, atomically: true, encoding: .utf8)
            let key = KernelAudit.uniqueKey("sensor"), auid = Workload.auid()
            defer { KernelAudit.removeRules(key: key) }
            let rules = dir.appendingPathComponent("r.rules").path
            try "-a always,exit -F arch=b64 -S execve -F auid=\(auid) -k \(key)\n".write(toFile: rules, atomically: true, encoding: .utf8)
            let daemon = try AuditqdProcess(["--store", store, "--mode", "primary", "--rules", rules, "--watch", watched])
            XCTAssertTrue(daemon.waitFor("collecting in primary mode"), daemon.stderr)
            let lsm = (try? String(contentsOfFile: "/sys/kernel/security/lsm", encoding: .utf8)) ?? ""
            if daemon.stderr.contains("sensor: lsm") {
                // Not a missing prerequisite: the test is about the fallback.
                throw XCTSkip("BPF-LSM loads on this kernel (\(lsm)); the fallback is not exercised here")
            }
            XCTAssertTrue(daemon.stderr.contains("sensor: tracepoint fallback"), daemon.stderr)
            XCTAssertTrue(daemon.stderr.contains("BPF-LSM unavailable:"), "says why: \(daemon.stderr)")

            let (fd, port) = try TestSupport.loopbackListener()
            defer { close(fd) }
            let workload = try Workload.run(auid: auid, """
                /bin/true
                cat \(watched) > /dev/null
                exec 3<>/dev/tcp/127.0.0.1/\(port)
                echo $$
                """)
            XCTAssertEqual(workload.status, 0, workload.stderr)
            let shell = Int64(workload.out.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
            // The shell's connect (the sensor's) and the exec audit saw are in.
            TestSupport.wait {
                TestSupport.storedCount(store, ["-m", "TP_SYSCALL", "-p", String(shell)]) >= 1
                    && TestSupport.storedCount(store, ["-k", key, "-x", "/usr/bin/true"]) >= 1
            }
            XCTAssertEqual(daemon.stop(), 0, daemon.stderr)

            let out = try TestSupport.auditq(["search", "--store", store, "-m", "TP_EXEC,TP_SYSCALL,TP_FORK,TP_EXIT", "--format", "json"])
            let events = out.out.split(separator: "\n").compactMap { try? JSONDecoder().decode(Stored.self, from: Data($0.utf8)) }
            XCTAssertTrue(events.contains { $0.types == ["TP_EXEC"] && $0.exe == "/bin/true" && $0.fields?["hook"] == "sched_process_exec" },
                          "exec of /bin/true")
            XCTAssertTrue(events.contains { $0.types == ["TP_SYSCALL"] && $0.fields?["syscall"] == "openat"
                && ($0.paths ?? []).contains { $0.name == watched } }, "open of the watched file")
            XCTAssertTrue(events.contains { $0.types == ["TP_SYSCALL"] && $0.fields?["syscall"] == "connect" && $0.pid == shell
                && $0.sockaddr?.address == "127.0.0.1" && $0.sockaddr?.port == port }, "connect to the listener")
            // The fork rides on the child's exec (folded in the kernel), and
            // execve is not reported again at sys_enter.
            XCTAssertTrue(events.contains { $0.types == ["TP_EXEC"] && $0.exe == "/bin/true" && $0.fields?["fork_ppid"] == String(shell)
                && Int64($0.fields?["fork_ns"] ?? "") != nil }, "the fork that made /bin/true's process, from its shell")
            XCTAssertFalse(events.contains { $0.types == ["TP_SYSCALL"] && $0.fields?["syscall"] == "execve" }, "no execve at sys_enter")
            // The exec audit saw (rule with the key) is paired with what the sensor saw.
            struct Seen: Decodable { var exe: String?; var seen_by: [String]? }
            let audited = try TestSupport.auditq(["search", "--store", store, "-k", key, "-x", "/usr/bin/true", "--format", "json"]).out
                .split(separator: "\n").compactMap { try? JSONDecoder().decode(Seen.self, from: Data($0.utf8)) }
            XCTAssertFalse(audited.isEmpty)
            XCTAssertTrue(audited.allSatisfy { ($0.seen_by ?? []).contains("tracepoint") && ($0.seen_by ?? []).contains("audit") },
                          "the audit exec event is seen by the sensor too: \(audited)")
            XCTAssertEqual(try TestSupport.auditq(["verify", "--store", store]).status, 0)
            let status = try TestSupport.auditq(["status", "--store", store]).out
            XCTAssertTrue(status.contains("sensor     tracepoint"), status)
        }
    }

    /// `auditq tree` from the sensor's events alone (no audit rules): a shell
    /// that runs a program in a child and forks a subshell that never execs.
    func testTreeFromSensorEventsAlone() throws {
        guard FileManager.default.fileExists(atPath: "/sys/kernel/btf/vmlinux") else {
            throw TestSupport.missing("no kernel BTF (/sys/kernel/btf/vmlinux): the BPF sensor cannot load here")
        }
        try KernelAudit.exclusive {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let store = dir.appendingPathComponent("s.db").path
            let daemon = try AuditqdProcess(["--store", store, "--mode", "primary", "--no-rules"])
            XCTAssertTrue(daemon.waitFor("collecting in primary mode"), daemon.stderr)
            guard !daemon.stderr.contains("sensor: audit only") else {
                _ = daemon.stop()
                throw TestSupport.missing("the sensor cannot load here: \(daemon.stderr)")
            }
            let pids = dir.appendingPathComponent("pids").path
            // shell ─┬─ sh -c '…; /bin/sleep 0.2' (a child that execs)
            //        └─ ( … ) a subshell that never execs
            let workload = try Workload.run(auid: Workload.auid(), """
                /bin/sh -c 'echo "child $$" >> \(pids); /bin/sleep 0.2'
                ( echo "subshell $BASHPID" >> \(pids) )
                echo "shell $$" >> \(pids)
                """)
            XCTAssertEqual(workload.status, 0, workload.stderr)
            var known: [String: Int] = [:]
            for line in try String(contentsOfFile: pids, encoding: .utf8).split(separator: "\n") {
                let words = line.split(separator: " ")
                if words.count == 2, let pid = Int(words[1]) { known[String(words[0])] = pid }
            }
            guard let shell = known["shell"], let child = known["child"], let subshell = known["subshell"] else {
                return XCTFail("the workload did not write its pids: \(known)")
            }
            XCTAssertEqual(daemon.stop(), 0, daemon.stderr)

            // No audit event is about these processes: the tree is the sensor's.
            let audit = try TestSupport.auditq(["search", "--store", store, "-p", String(child), "--source", "audit"])
            XCTAssertNotEqual(audit.status, 0, "no audit event of pid \(child): \(audit.out)")
            let r = try TestSupport.auditq(["tree", "--store", store, "--format", "json", String(shell)])
            XCTAssertEqual(r.status, 0, r.stderr)
            let tree = try XCTUnwrap(try JSONSerialization.jsonObject(with: r.stdout) as? [String: Any])
            let kids = (tree["descendants"] as? [[String: Any]]) ?? []
            XCTAssertEqual(kids.compactMap { $0["pid"] as? Int }, [child, subshell], r.out)
            let first = try XCTUnwrap(kids.first)
            XCTAssertTrue("\(first)".contains("/bin/sleep"), "the child's last program: \(first)")

            let up = try TestSupport.auditq(["tree", "--store", store, "--format", "json", String(child)])
            XCTAssertEqual(up.status, 0, up.stderr)
            let upTree = try XCTUnwrap(try JSONSerialization.jsonObject(with: up.stdout) as? [String: Any])
            let ancestors = (upTree["ancestors"] as? [[String: Any]])?.compactMap { $0["pid"] as? Int } ?? []
            XCTAssertEqual(ancestors.last, shell, "its parent: \(up.out)")
            let text = try TestSupport.auditq(["tree", "--store", store, String(shell)])
            XCTAssertEqual(text.status, 0, text.stderr)
            XCTAssertTrue(text.out.contains("\(subshell)"), text.out)
        }
    }

    /// kill -9 leaves the programs pinned under /sys/fs/bpf/auditq/: they
    /// keep recording, the next start takes them over (no second set) and
    /// stores what happened while no collector ran; a clean stop unpins.
    func testRestartAfterKillTakesOverPinnedPrograms() throws {
        guard FileManager.default.fileExists(atPath: "/sys/kernel/btf/vmlinux") else {
            throw TestSupport.missing("no kernel BTF (/sys/kernel/btf/vmlinux): the BPF sensor cannot load here")
        }
        try KernelAudit.exclusive {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let store = dir.appendingPathComponent("s.db").path
            let first = try AuditqdProcess(["--store", store, "--mode", "primary", "--no-rules"])
            XCTAssertTrue(first.waitFor("collecting in primary mode"), first.stderr)
            let pinDir = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/bpf/auditq")) ?? []
            guard let mode = pinDir.first else { return XCTFail("nothing pinned under /sys/fs/bpf/auditq: \(first.stderr)") }
            first.kill9()
            let pins = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/bpf/auditq/" + mode)) ?? []
            XCTAssertTrue(pins.contains("map_events"), "\(pins)")

            // While no collector runs, the pinned programs still record.
            let marker = dir.appendingPathComponent("marker-exec")
            try FileManager.default.copyItem(atPath: "/bin/true", toPath: marker.path)
            XCTAssertEqual(try TestSupport.run(marker.path, []).status, 0)

            let second = try AuditqdProcess(["--store", store, "--mode", "primary", "--no-rules"])
            XCTAssertTrue(second.waitFor("collecting in primary mode"), second.stderr)
            XCTAssertTrue(second.stderr.contains("took over the programs"), second.stderr)
            XCTAssertEqual(second.stop(), 0, second.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: "/sys/fs/bpf/auditq"), "a clean stop unpins")

            let execs = try TestSupport.auditq(["search", "--store", store, "-x", marker.path, "--raw"]).out
            XCTAssertTrue(execs.contains("hook=sched_process_exec") || execs.contains("hook=bprm_check_security"),
                          "the exec made while no collector ran is stored: \(execs)")
        }
    }
}
