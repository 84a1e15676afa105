import Foundation
import XCTest
@testable import AuditProfile

/// Least privilege with real runtimes: auditqd --learn watches a workload
/// in a runc or crun container, `auditq profile` writes its seccomp profile
/// and capability set, the same workload runs under them with the same
/// output, and a variant that does one thing more is refused with EPERM —
/// and the refusal is in the store.
final class ProfileTests: XCTestCase {
    /// Reads and writes a file, lists a directory, resolves a name (a DNS
    /// query to 127.0.0.1), opens a socket, gives a file away (CAP_CHOWN).
    static func workload(_ tag: String) -> String {
        """
        echo data > /w-\(tag); cat /w-\(tag); ls /bin | head -2; \
        nslookup -timeout=1 localhost 127.0.0.1 2>&1 | head -1; \
        nc -w 1 127.0.0.1 9 </dev/null 2>&1; chown 1 /w-\(tag); rm -f /w-\(tag); echo done
        """
    }

    /// The workload, then one call of a family it never used, one of a
    /// syscall it never made, and a raw socket (CAP_NET_RAW, not learned).
    static func variant(_ tag: String) -> String {
        workload(tag) + """
        ; mkdir /d-\(tag) 2>&1; echo mkdir=$?; ln -s /x /l-\(tag) 2>&1; echo ln=$?; \
        ping -c 1 -W 1 127.0.0.1 >/dev/null 2>&1; echo ping=$?
        """
    }

    struct Report: Decodable {
        struct Capabilities: Decodable {
            struct Use: Decodable { var capability: String; var syscalls: [String] }
            var granted: [String]?
            var used: [Use]
            var drop: [String]?
        }
        struct Syscalls: Decodable { var arch: String; var used: [String]; var runtime: [String]; var allowed: [String] }
        var capabilities: Capabilities
        var syscalls: [Syscalls]
        var runtimeBaseline: String?
        var wroteFiles: Bool
        var losses: [Loss]
        struct Loss: Decodable { var kind: String }
    }

    struct Line: Decodable {
        var syscall: String?
        var exit: Int64?
        var success: Bool?
        var container: Named?
        struct Named: Decodable { var id: String }
    }

    func prerequisites() throws {
        if let why = ContainerHarness.unavailable() { throw TestSupport.missing(why) }
        guard FileManager.default.fileExists(atPath: "/sys/kernel/btf/vmlinux") else {
            throw TestSupport.missing("no kernel BTF (/sys/kernel/btf/vmlinux): the BPF sensor cannot load here")
        }
    }

    func testRuncProfileRunsTheWorkloadAndRefusesTheRest() throws {
        try learnEnforceAndRefuse(.runcPlain)
    }

    func testCrunProfileRunsTheWorkloadAndRefusesTheRest() throws {
        try learnEnforceAndRefuse(.crunPlain)
    }

    private func learnEnforceAndRefuse(_ layout: ContainerLayout) throws {
        try prerequisites()
        try KernelAudit.exclusive {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let store = dir.appendingPathComponent("p.db").path
            let key = KernelAudit.uniqueKey("lp")
            defer { KernelAudit.removeRules(key: key) }
            // Every call refused with EPERM, whoever refused it (seccomp or
            // a missing capability): runc 1.1 takes no seccomp log flag.
            let rules = dir.appendingPathComponent("r.rules").path
            try "-a always,exit -F arch=b64 -S all -F exit=-EPERM -k \(key)\n".write(toFile: rules, atomically: true, encoding: .utf8)
            let harness = try ContainerHarness(tag: "lp")
            defer { harness.cleanUp() }
            let tag = String(key.suffix(6))

            // 1. Learn: docker's 14 capabilities, no filter worth the name.
            var daemon = try AuditqdProcess(["--store", store, "--mode", "primary", "--rules", rules, "--learn"])
            XCTAssertTrue(daemon.waitFor("collecting in primary mode"), daemon.stderr)
            XCTAssertTrue(daemon.stderr.contains("learning syscalls"), daemon.stderr)
            let learner = try harness.make(layout, name: "learn", grants: .init(seccompUnconfined: true))
            let learned = try harness.run(learner, script: Self.workload(tag))
            XCTAssertEqual(learned.status, 0, learned.out + learned.err)
            XCTAssertTrue(learned.out.hasSuffix("done\n"), learned.out)
            XCTAssertEqual(daemon.stop(), 0, daemon.stderr)

            let summary = try TestSupport.auditq(["profile", "--store", store, "--container", learner.id])
            XCTAssertEqual(summary.status, 0, summary.stderr)
            XCTAssertTrue(summary.out.contains("capabilities: granted 14, used"), summary.out)
            let report = try JSONDecoder().decode(Report.self, from: Data(try TestSupport.auditq(
                ["profile", "--store", store, "--container", learner.id, "--format", "json"]).out.utf8))
            let used = report.capabilities.used.map(\.capability)
            XCTAssertEqual(report.capabilities.granted?.count, 14)
            XCTAssertTrue(used.contains("CAP_CHOWN"), "chown to uid 1 needs CAP_CHOWN: \(used)")
            XCTAssertFalse(used.contains("CAP_NET_RAW"), "\(used)")
            XCTAssertFalse(used.contains("CAP_SYS_ADMIN"), "the memory-reserve probe is not a use: \(used)")
            let x86 = try XCTUnwrap(report.syscalls.first { $0.arch == "x86_64" })
            for call in ["write", "read", "connect", "socket", "chown"] where call != "chown" || !x86.used.contains("fchownat") {
                XCTAssertTrue(x86.used.contains(call) || x86.allowed.contains(call), "\(call) used: \(x86.used)")
            }
            XCTAssertFalse(x86.used.contains("mkdir") || x86.used.contains("mkdirat"), "\(x86.used)")
            XCTAssertFalse(x86.used.contains("pivot_root") || x86.used.contains("mount"), "the runtime's setup is not the workload's: \(x86.used)")
            XCTAssertTrue(x86.allowed.contains("openat2") && x86.allowed.contains("open"), "families widened")
            XCTAssertNotNil(report.runtimeBaseline)
            XCTAssertTrue(report.wroteFiles)
            XCTAssertTrue(report.losses.isEmpty, "\(report.losses.map(\.kind))")

            let seccompText = try TestSupport.auditq(["profile", "--store", store, "--container", learner.id, "--format", "seccomp"])
            XCTAssertEqual(seccompText.status, 0, seccompText.stderr)
            let seccomp = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(seccompText.out.utf8)) as? [String: Any])
            let docker = try TestSupport.auditq(["profile", "--store", store, "--container", learner.id, "--format", "docker"]).out
            XCTAssertTrue(docker.contains("--cap-drop=ALL") && docker.contains("--cap-add=CAP_CHOWN") && !docker.contains("--read-only"), docker)

            // 2. Enforce: the learned filter and only the capabilities used.
            daemon = try AuditqdProcess(["--store", store, "--mode", "primary", "--rules", rules])
            XCTAssertTrue(daemon.waitFor("collecting in primary mode"), daemon.stderr)
            let confined = ContainerHarness.Grants(capabilities: used, seccomp: seccomp)
            let same = try harness.make(layout, name: "same", grants: confined)
            let again = try harness.run(same, script: Self.workload(tag))
            XCTAssertEqual(again.status, 0, again.out + again.err)
            XCTAssertEqual(again.out, learned.out, "the same workload, the same output under its profile")

            let more = try harness.make(layout, name: "more", grants: confined)
            let refused = try harness.run(more, script: Self.variant(tag))
            XCTAssertTrue(refused.out.contains("mkdir=1"), refused.out)
            XCTAssertTrue(refused.out.contains("ln=1"), refused.out)
            XCTAssertTrue(refused.out.contains("ping=1") || refused.out.contains("ping=2"), refused.out)
            XCTAssertTrue(refused.out.contains("Operation not permitted"), refused.out)
            // A refused capability fails the call after audit saw it enter:
            // the EPERM rule records it. A call the filter refuses never
            // enters (seccomp runs first): only the filter's own SECCOMP
            // record shows it, which runc before 1.2 cannot ask for.
            let logsRefusals = layout == .crunPlain
            TestSupport.wait(timeout: 20) {
                TestSupport.storedCount(store, ["-k", key, "--container", more.id, "-sc", "socket"]) >= 1
                    && (!logsRefusals || TestSupport.storedCount(store, ["-m", "SECCOMP", "--container", more.id]) >= 2)
            }
            XCTAssertEqual(daemon.stop(), 0, daemon.stderr)
            let denials = try TestSupport.auditq(["search", "--store", store, "-k", key, "--container", more.id, "--format", "json"]).out
                .split(separator: "\n").compactMap { try? JSONDecoder().decode(Line.self, from: Data($0.utf8)) }
            let calls = Set(denials.compactMap(\.syscall))
            XCTAssertTrue(calls.contains("socket"), "the raw socket, refused for want of CAP_NET_RAW: \(calls)")
            XCTAssertTrue(denials.allSatisfy { $0.container?.id == more.id })
            if logsRefusals {
                let records = try TestSupport.auditq(["search", "--store", store, "-m", "SECCOMP", "--container", more.id, "--raw"]).out
                let refused = Set(records.split(separator: "\n").compactMap { Self.field("syscall", in: String($0)).flatMap(Int.init) }
                    .compactMap { SyscallNames.name($0, arch: .x86_64) })
                XCTAssertTrue(refused.contains("mkdir"), "the refused mkdir is in the store: \(refused)")
                XCTAssertTrue(refused.contains("symlink") || refused.contains("symlinkat"), "\(refused)")
            } else {
                XCTAssertTrue(summary.out.contains("takes no seccomp flags"), "the profile says its refusals go unrecorded: \(summary.out)")
            }
            // The same workload under its profile was refused nothing it asked for.
            let sameDenials = try TestSupport.auditq(["search", "--store", store, "-k", key, "--container", same.id, "--format", "json"]).out
                .split(separator: "\n").compactMap { try? JSONDecoder().decode(Line.self, from: Data($0.utf8)) }
            XCTAssertFalse(sameDenials.contains { ["mkdir", "symlink", "symlinkat"].contains($0.syscall ?? "") }, "\(sameDenials.map(\.syscall))")
        }
    }

    /// --mode log: a trial profile lets everything run and logs what it
    /// would refuse; --check reads those records back.
    func testLogModeTrialAndCheck() throws {
        try prerequisites()
        try KernelAudit.exclusive {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let store = dir.appendingPathComponent("p.db").path
            let key = KernelAudit.uniqueKey("lpc")
            let harness = try ContainerHarness(tag: "lpc")
            defer { harness.cleanUp() }
            let tag = String(key.suffix(6))
            let daemon = try AuditqdProcess(["--store", store, "--mode", "primary", "--no-rules", "--learn"])
            XCTAssertTrue(daemon.waitFor("collecting in primary mode"), daemon.stderr)
            defer { _ = daemon.stop() }
            let learner = try harness.make(.runcPlain, name: "learn", grants: .init(seccompUnconfined: true))
            XCTAssertEqual(try harness.run(learner, script: Self.workload(tag)).status, 0)
            // Learning is stored every 5 s: wait for the learner's row.
            TestSupport.wait(timeout: 20) {
                (try? TestSupport.auditq(["profile", "--store", store, "--container", learner.id]).status) == 0
            }
            let enforce = dir.appendingPathComponent("enforce.json").path
            let trial = try TestSupport.auditq(["profile", "--store", store, "--container", learner.id, "--format", "seccomp", "--mode", "log"])
            XCTAssertEqual(trial.status, 0, trial.stderr)
            XCTAssertTrue(trial.out.contains("\"defaultAction\" : \"SCMP_ACT_LOG\""), trial.out)
            try TestSupport.auditq(["profile", "--store", store, "--container", learner.id, "--format", "seccomp"]).out
                .write(toFile: enforce, atomically: true, encoding: .utf8)
            let seccomp = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(trial.out.utf8)) as? [String: Any])

            let tried = try harness.make(.runcPlain, name: "trial", grants: .init(seccomp: seccomp))
            let ran = try harness.run(tried, script: Self.variant(tag))
            XCTAssertTrue(ran.out.contains("mkdir=0"), "log mode refuses nothing: \(ran.out)")
            TestSupport.wait(timeout: 20) {
                TestSupport.storedCount(store, ["-m", "SECCOMP", "--container", tried.id]) >= 2
            }
            let check = try TestSupport.auditq(["profile", "--store", store, "--check", enforce, "--container", tried.id])
            XCTAssertEqual(check.status, 1, "a call the profile would refuse: \(check.out) \(check.stderr)")
            XCTAssertTrue(check.out.contains("mkdir (x86_64)"), check.out)
            XCTAssertTrue(check.out.contains("symlink"), check.out)
            XCTAssertFalse(check.out.contains("  write (") || check.out.contains("  read ("), check.out)
            let clean = try TestSupport.auditq(["profile", "--store", store, "--check", enforce, "--container", learner.id])
            XCTAssertEqual(clean.status, 0, "the learned run needs nothing more: \(clean.out)")

            // An unknown container, an empty window: one line, exit 1.
            let unknown = try TestSupport.auditq(["profile", "--store", store, "--container", "no-such-\(tag)"])
            XCTAssertEqual(unknown.status, 1)
            XCTAssertEqual(unknown.stderr.split(separator: "\n").count, 1, unknown.stderr)
            XCTAssertTrue(unknown.stderr.contains("no container no-such-\(tag)"), unknown.stderr)
            let empty = try TestSupport.auditq(["profile", "--store", store, "--container", learner.id, "-ts", "01/01/2001", "-te", "01/02/2001"])
            XCTAssertEqual(empty.status, 1)
            XCTAssertTrue(empty.stderr.contains("nothing was learned in this window"), empty.stderr)
        }
    }

    /// What a runtime calls after installing the filter is measured, not
    /// assumed: a log-only filter around `busybox true` shows the runtime's
    /// own calls in SECCOMP records, and each must be in its baseline.
    func testRuntimeBaselinesHoldWhatTheRuntimesCall() throws {
        try prerequisites()
        try KernelAudit.exclusive {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let store = dir.appendingPathComponent("b.db").path
            let harness = try ContainerHarness(tag: "lpb")
            defer { harness.cleanUp() }
            let daemon = try AuditqdProcess(["--store", store, "--mode", "primary", "--no-rules"])
            XCTAssertTrue(daemon.waitFor("collecting in primary mode"), daemon.stderr)
            let logAll: [String: Any] = ["defaultAction": "SCMP_ACT_LOG", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [[String: Any]]()]
            var made: [(String, TestContainer)] = []
            for (runtime, layout) in [("runc", ContainerLayout.runcPlain), ("crun", .crunPlain)] {
                for i in 0..<3 {
                    let c = try harness.make(layout, name: "\(runtime)\(i)", grants: .init(seccomp: logAll))
                    XCTAssertEqual(try harness.run(c, script: "true").status, 0)
                    made.append((runtime, c))
                }
            }
            TestSupport.wait(timeout: 20) {
                made.allSatisfy { TestSupport.storedCount(store, ["-m", "SECCOMP", "--container", $0.1.id]) >= 1 }
            }
            XCTAssertEqual(daemon.stop(), 0, daemon.stderr)
            for (runtime, c) in made {
                let raw = try TestSupport.auditq(["search", "--store", store, "-m", "SECCOMP", "--container", c.id, "--raw"]).out
                var own: Set<String> = []
                for line in raw.split(separator: "\n") {
                    // Until the exec of the container's process: the runtime's comm.
                    guard line.contains("comm=\"runc:[") || line.contains("comm=\"crun\"") || line.contains("exe=\"/usr/bin/crun\""),
                          let nr = Self.field("syscall", in: String(line)).flatMap(Int.init) else { continue }
                    own.insert(SyscallNames.name(nr, arch: .x86_64) ?? "#\(nr)")
                }
                XCTAssertFalse(own.isEmpty && runtime == "runc", "runc's own calls after the filter are recorded: \(raw.prefix(400))")
                let version = RuntimeVersionProbe.installed(runtime)
                guard let baseline = RuntimeBaseline.find(runtime: runtime, version: version) else {
                    XCTFail("no baseline for \(runtime)"); continue
                }
                XCTAssertTrue(baseline.exact, "\(runtime) \(version ?? "?") is installed and has no baseline: add one to RuntimeBaselines.swift with the calls this test lists")
                let missing = own.subtracting(baseline.baseline.all.map(SyscallNames.seccompName)).subtracting(baseline.baseline.all)
                if !baseline.exact { print("\(runtime) \(version ?? "?") after its filter: \(own.sorted())") }
                XCTAssertTrue(missing.isEmpty, "\(runtime) \(version ?? "?") calls \(missing.sorted()) after installing the filter: add them to its baseline")
            }
        }
    }

    /// Loads a seccomp filter into itself (libseccomp through ctypes: the
    /// library every runtime uses), then execs the program: a host
    /// program's stand-in for a runtime. Refusals are logged (the LOG
    /// attribute), as auditq's enforce-mode JSON asks of a runtime.
    static let seccompExec = """
        import ctypes, json, os, sys
        lib = ctypes.CDLL("libseccomp.so.2")
        lib.seccomp_init.restype = ctypes.c_void_p
        lib.seccomp_init.argtypes = [ctypes.c_uint32]
        lib.seccomp_rule_add.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint]
        lib.seccomp_attr_set.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32]
        lib.seccomp_load.argtypes = [ctypes.c_void_p]
        profile = json.load(open(sys.argv[1]))
        assert profile["defaultAction"] == "SCMP_ACT_ERRNO"
        ctx = lib.seccomp_init(0x00050000 | profile.get("defaultErrnoRet", 1))
        lib.seccomp_attr_set(ctx, 6, 1)  # SCMP_FLTATR_CTL_LOG
        # This loader's own exec comes after the filter, like a runtime's.
        for name in set(sum((r["names"] for r in profile["syscalls"] if r["action"] == "SCMP_ACT_ALLOW"), [])) | {"execve"}:
            nr = lib.seccomp_syscall_resolve_name(name.encode())
            if nr >= 0:
                lib.seccomp_rule_add(ctx, 0x7fff0000, nr, 0)
        assert lib.seccomp_load(ctx) == 0
        os.execv(sys.argv[2], sys.argv[2:])
        """

    /// A host program (a copy of busybox, so its inode is its own): learned
    /// with --exe, run again under its seccomp profile and only the
    /// capabilities it used (setpriv), then a variant that is refused.
    func testHostProgramProfile() throws {
        try prerequisites()
        guard let setpriv = TestSupport.which("setpriv"), let python = TestSupport.which("python3") else {
            throw TestSupport.missing("setpriv and python3 are needed to confine a host program")
        }
        try KernelAudit.exclusive {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let store = dir.appendingPathComponent("p.db").path
            let key = KernelAudit.uniqueKey("lpx")
            let tag = String(key.suffix(6))
            // Named busybox (it picks its applet from argv[0]), in a directory of its own.
            let bin = dir.appendingPathComponent("bin-\(tag)")
            try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
            let prog = bin.appendingPathComponent("busybox").path
            try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: prog)
            let work = dir.appendingPathComponent("work").path
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            let script = "cd \(work); echo data > f; cat f; ls / | head -1; chown 1 f; rm -f f; echo done"
            let variant = script + "; mkdir d 2>&1; echo mkdir=$?"

            var daemon = try AuditqdProcess(["--store", store, "--mode", "primary", "--no-rules", "--learn"])
            XCTAssertTrue(daemon.waitFor("collecting in primary mode"), daemon.stderr)
            let learned = try TestSupport.run(prog, ["sh", "-c", script])
            XCTAssertEqual(learned.status, 0, learned.stderr)
            XCTAssertEqual(daemon.stop(), 0, daemon.stderr)

            let status = try TestSupport.auditq(["status", "--store", store]).out
            XCTAssertTrue(status.contains("learning   syscalls, capabilities ("), status)
            let summary = try TestSupport.auditq(["profile", "--store", store, "--exe", prog])
            XCTAssertEqual(summary.status, 0, summary.stderr)
            XCTAssertTrue(summary.out.contains("program \(prog)"), summary.out)
            XCTAssertTrue(summary.out.contains("CAP_CHOWN"), summary.out)
            let report = try JSONDecoder().decode(Report.self, from: Data(try TestSupport.auditq(
                ["profile", "--store", store, "--exe", prog, "--format", "json"]).out.utf8))
            XCTAssertNil(report.runtimeBaseline, "a host program has no runtime")
            XCTAssertEqual(report.capabilities.granted?.count ?? 0 >= 38, true, "root's permitted set: \(report.capabilities.granted ?? [])")
            let systemd = try TestSupport.auditq(["profile", "--store", store, "--exe", prog, "--format", "systemd"]).out
            XCTAssertTrue(systemd.contains("CapabilityBoundingSet=CAP_CHOWN"), systemd)
            XCTAssertTrue(systemd.contains("SystemCallFilter="), systemd)
            let profile = dir.appendingPathComponent("prog.json").path
            try TestSupport.auditq(["profile", "--store", store, "--exe", prog, "--format", "seccomp"]).out
                .write(toFile: profile, atomically: true, encoding: .utf8)
            let loader = dir.appendingPathComponent("seccomp-exec.py").path
            try Self.seccompExec.write(toFile: loader, atomically: true, encoding: .utf8)
            let caps = report.capabilities.used.map { "+" + $0.capability.dropFirst(4).lowercased() }.joined(separator: ",")
            let confine = ["--bounding-set", "-all" + (caps.isEmpty ? "" : "," + caps), "--inh-caps", "-all", python, loader, profile, prog]

            daemon = try AuditqdProcess(["--store", store, "--mode", "primary", "--no-rules"])
            XCTAssertTrue(daemon.waitFor("collecting in primary mode"), daemon.stderr)
            let again = try TestSupport.run(setpriv, confine + ["sh", "-c", script])
            XCTAssertEqual(again.status, 0, again.stderr)
            XCTAssertEqual(again.out, learned.out, "the same output under its profile")
            let refused = try TestSupport.run(setpriv, confine + ["sh", "-c", variant])
            XCTAssertTrue(refused.out.contains("mkdir=1") && refused.out.contains("Operation not permitted"), refused.out)
            TestSupport.wait(timeout: 20) { TestSupport.storedCount(store, ["-m", "SECCOMP", "-x", prog]) >= 1 }
            XCTAssertEqual(daemon.stop(), 0, daemon.stderr)
            let records = try TestSupport.auditq(["search", "--store", store, "-m", "SECCOMP", "-x", prog, "--raw"]).out
            let refusedCalls = Set(records.split(separator: "\n").compactMap { Self.field("syscall", in: String($0)).flatMap(Int.init) }
                .compactMap { SyscallNames.name($0, arch: .x86_64) })
            XCTAssertEqual(refusedCalls, ["mkdir"], "only the variant's mkdir was refused, and it is in the store")
        }
    }

    /// A collector killed while learning leaves a gap the ledger records:
    /// a profile whose window holds it says so, and exits 3.
    func testProfileLearnedAcrossALossSaysSo() throws {
        try prerequisites()
        try KernelAudit.exclusive {
            let dir = TestSupport.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let store = dir.appendingPathComponent("p.db").path
            let bin = dir.appendingPathComponent("bin")
            try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
            let prog = bin.appendingPathComponent("busybox").path
            try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: prog)
            var daemon = try AuditqdProcess(["--store", store, "--mode", "primary", "--no-rules", "--learn"])
            XCTAssertTrue(daemon.waitFor("collecting in primary mode"), daemon.stderr)
            XCTAssertEqual(try TestSupport.run(prog, ["sh", "-c", "echo one"]).status, 0)
            // Learning is stored every 5 s; then the collector dies.
            TestSupport.wait(timeout: 20) { (try? TestSupport.auditq(["profile", "--store", store, "--exe", prog]).status) == 0 }
            daemon.kill9()
            daemon = try AuditqdProcess(["--store", store, "--mode", "primary", "--no-rules", "--learn"])
            XCTAssertTrue(daemon.waitFor("collecting in primary mode"), daemon.stderr)
            XCTAssertEqual(try TestSupport.run(prog, ["sh", "-c", "echo two; ls / >/dev/null"]).status, 0)
            XCTAssertEqual(daemon.stop(), 0, daemon.stderr)
            let r = try TestSupport.auditq(["profile", "--store", store, "--exe", prog])
            XCTAssertEqual(r.status, 3, "learned across a loss: \(r.stderr)")
            XCTAssertTrue(r.out.contains("warning: learned across"), r.out)
            XCTAssertTrue(r.out.contains("collector_unclean_stop"), r.out)
            XCTAssertTrue(r.stderr.contains("learned across"), r.stderr)
            XCTAssertTrue(r.out.contains("syscalls:"), "the profile is printed all the same: \(r.out)")
        }
    }

    /// What cannot make a profile says so in one line, exit status 1.
    func testNoProfileWithoutLearning() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = dir.appendingPathComponent("i.db").path
        let log = dir.appendingPathComponent("a.log").path
        try "type=SYSCALL msg=audit(1700000000.000:1): arch=c000003e syscall=59 success=yes exit=0 a0=0 a1=0 a2=0 a3=0 items=0 ppid=1 pid=2 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm=\"x\" exe=\"/bin/x\" key=(null)\n"
            .write(toFile: log, atomically: true, encoding: .utf8)
        XCTAssertEqual(try TestSupport.auditq(["import", "--store", store, log]).status, 0)
        let r = try TestSupport.auditq(["profile", "--store", store, "--container", "web"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("no syscall learning in this store"), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertEqual(try TestSupport.auditq(["profile", "--store", store]).status, 64, "no subject: a usage error")
        XCTAssertEqual(try TestSupport.auditq(["profile", "--store", store, "--exe", "/x", "--check", "p.json"]).status, 64)
    }

    static func field(_ name: String, in line: String) -> String? {
        guard let r = line.range(of: " \(name)=") else { return nil }
        return String(line[r.upperBound...].prefix { $0 != " " })
    }
}

/// The installed runtime's version, as `auditq profile` reads it.
enum RuntimeVersionProbe {
    static func installed(_ runtime: String) -> String? {
        guard let path = TestSupport.which(runtime), let r = try? TestSupport.run(path, ["--version"]) else { return nil }
        let first = r.out.split(separator: "\n").first ?? ""
        return first.split(separator: " ").last.map { String($0.prefix { $0.isNumber || $0 == "." }) }
    }
}
