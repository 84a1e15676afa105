import AuditProfile
import Foundation
import XCTest

/// The profile writers, as a user would meet their output: the seccomp JSON
/// reads back and allows exactly the widened set, the docker, Kubernetes,
/// systemd and AppArmor snippets grant only what was used, and the summary
/// says what to drop and when the learning had gaps. Pure: no kernel.
final class ProfileWriterTests: XCTestCase {
    private let window = UsageProfile.Window(startMs: 1_714_557_600_000, endMs: 1_714_564_805_250, runs: 3, execs: 41,
                                             binaries: ["/usr/bin/app", "/bin/sh"], losses: [])

    private func container(syscalls: [UsageProfile.Arch: Set<String>] = [.x86_64: ["openat", "read", "write", "exit_group"]],
                           caps: [String] = ["CAP_CHOWN"], files: [String] = [], dirs: [String] = [],
                           losses: [UsageProfile.Loss] = [], granted: [String]? = CapabilityNames.dockerDefault) -> UsageProfile {
        var w = window
        w.losses = losses
        return UsageProfile(
            subject: .container(id: String(repeating: "ab", count: 32), name: "web", runtime: "docker"),
            syscalls: syscalls,
            capabilitiesUsed: caps.map { .init(capability: $0, syscalls: ["fchownat"], checks: 2) },
            filesWritten: files, directoriesWritten: dirs,
            granted: .init(capabilities: granted, seccomp: "none"), window: w)
    }

    private func parse(_ json: String, path: String = "web.json") throws -> SeccompProfile {
        try SeccompProfile.parse(Data(json.utf8), path: path)
    }

    // MARK: seccomp

    func testEnforceProfileReadsBackAndAllowsExactlyTheWidenedSet() throws {
        let p = container()
        let profile = try parse(SeccompProfile.render(p, mode: .enforce))
        XCTAssertEqual(profile.defaultAction, .errno)
        XCTAssertEqual(profile.defaultErrnoRet, 1)
        XCTAssertEqual(profile.flags, ["SECCOMP_FILTER_FLAG_LOG"])
        XCTAssertEqual(profile.architectures, ["SCMP_ARCH_X86_64"])
        XCTAssertFalse(profile.isLogMode)

        let expected: Set = ["open", "openat", "openat2", "read", "write", "exit_group"]
        let every = SyscallNames.all(arch: .x86_64)
        XCTAssertGreaterThan(every.count, 370)
        for name in every {
            XCTAssertEqual(profile.allows(name), expected.contains(name), name)
        }
        XCTAssertFalse(profile.allows("mkdir"))
    }

    func testLogModeLogsInsteadOfRefusing() throws {
        let profile = try parse(SeccompProfile.render(container(), mode: .log))
        XCTAssertEqual(profile.defaultAction, .log)
        XCTAssertTrue(profile.isLogMode)
        XCTAssertNil(profile.defaultErrnoRet)
        XCTAssertNil(profile.flags)
        XCTAssertTrue(profile.allows("mkdir"), "log mode lets unlisted calls run")
    }

    func testI386IsListedOnlyWhenUsedAndAfterX86_64() throws {
        let only64 = try parse(SeccompProfile.render(container(), mode: .enforce))
        XCTAssertEqual(only64.architectures, ["SCMP_ARCH_X86_64"])

        let both = container(syscalls: [.i386: ["stat", "getuid"], .x86_64: ["read"]])
        let profile = try parse(SeccompProfile.render(both, mode: .enforce))
        XCTAssertEqual(profile.architectures, ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"])
        for name in ["stat64", "fstatat64", "getuid32", "statx", "read"] {
            XCTAssertTrue(profile.allows(name), name)
        }
        XCTAssertEqual(both.allowedSyscalls[.x86_64], ["read"], "i386's families do not leak into x86_64")
        XCTAssertFalse(both.allowedSyscalls[.i386]!.contains("newfstatat"), "newfstatat is not an i386 call")
    }

    func testOutputIsStableKeySortedJSON() {
        let a = SeccompProfile.render(container(), mode: .enforce)
        XCTAssertEqual(a, SeccompProfile.render(container(), mode: .enforce))
        let keys = ["architectures", "defaultAction", "defaultErrnoRet", "flags", "syscalls"]
        let at = keys.map { a.range(of: "\"\($0)\"")!.lowerBound }
        XCTAssertEqual(at, at.sorted())
    }

    func testProfilesUseTheKernelsSpellingWhereLibauditDiffers() throws {
        let p = container(syscalls: [.x86_64: ["pread", "read"], .i386: ["sched_rr_get_interval"]])
        let json = SeccompProfile.render(p, mode: .enforce)
        XCTAssertTrue(json.contains("\"pread64\""), json)
        XCTAssertFalse(json.contains("\"pread\""), "libseccomp knows no \"pread\": runc would skip it")
        XCTAssertTrue(json.contains("\"sched_rr_get_interval_time64\""), json)
        let profile = try parse(json)
        XCTAssertTrue(profile.allows("pread"))
        XCTAssertTrue(profile.allows("pread64"))
        XCTAssertTrue(p.allowedSyscalls[.i386]!.contains("sched_rr_get_interval64"), "widened in libaudit's spelling")
    }

    /// The kernel's own numbering, from the installed uapi headers: every
    /// number they define resolves, to the same call.
    func testNamesAgreeWithTheKernelHeaders() throws {
        let dir = "/usr/include/x86_64-linux-gnu/asm"
        var checked = 0
        for (file, arch) in [("unistd_64.h", UsageProfile.Arch.x86_64), ("unistd_32.h", .i386), ("unistd_x32.h", .x32)] {
            guard let text = try? String(contentsOfFile: "\(dir)/\(file)", encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") where line.hasPrefix("#define __NR_") {
                let words = line.split(separator: " ", maxSplits: 2)
                guard words.count == 3 else { continue }
                let name = String(words[1].dropFirst("__NR_".count))
                let value = words[2].replacingOccurrences(of: "(__X32_SYSCALL_BIT + ", with: "").replacingOccurrences(of: ")", with: "")
                guard let number = Int(value) else { continue }
                XCTAssertEqual(SyscallNames.name(number, arch: arch).map(SyscallNames.seccompName), name, "\(arch) \(number)")
                XCTAssertEqual(SyscallNames.number(name, arch: arch), number, "\(arch) \(name)")
                checked += 1
            }
        }
        if checked == 0 { throw XCTSkip("no kernel uapi headers in \(dir)") }
        XCTAssertGreaterThan(checked, 1000)
    }

    func testParserReadsDockerStyleProfiles() throws {
        let json = """
        {"defaultAction": "SCMP_ACT_ALLOW", "archMap": [],
         "syscalls": [{"name": "mount", "action": "SCMP_ACT_ERRNO", "args": []},
                      {"names": ["reboot"], "action": "SCMP_ACT_ERRNO", "includes": {"caps": ["CAP_SYS_BOOT"]}}]}
        """
        let profile = try parse(json)
        XCTAssertTrue(profile.allows("read"))
        XCTAssertFalse(profile.allows("mount"))
        XCTAssertFalse(profile.allows("reboot"))
        XCTAssertEqual(profile.architectures, [])
    }

    func testMalformedProfilesFailWithOneClearLine() {
        let cases = [
            "{not json": "not JSON",
            "{}": "missing \"defaultAction\"",
            #"{"defaultAction": "SCMP_ACT_NOPE"}"#: "defaultAction is not a seccomp action",
            #"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": "read", "action": "SCMP_ACT_ALLOW"}]}"#:
                "syscalls[0].names is not a list",
            #"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"action": "SCMP_ACT_ALLOW"}]}"#: "missing \"names\"",
        ]
        for (json, reason) in cases {
            XCTAssertThrowsError(try parse(json, path: "/tmp/p.json")) { error in
                let line = "\(error)"
                XCTAssertTrue(line.hasPrefix("/tmp/p.json: not an OCI seccomp profile: "), line)
                XCTAssertTrue(line.contains(reason), "\(line) lacks \(reason)")
                XCTAssertFalse(line.contains("\n"), line)
            }
        }
        XCTAssertThrowsError(try SeccompProfile.load(path: "/nonexistent/p.json")) { error in
            XCTAssertTrue("\(error)".hasPrefix("/nonexistent/p.json: cannot read: "), "\(error)")
        }
    }

    // MARK: names and families

    func testSyscallNamesBeyondLibauditAndX32() {
        XCTAssertEqual(SyscallNames.name(452, arch: .x86_64), "fchmodat2")
        XCTAssertEqual(SyscallNames.name(452, arch: .i386), "fchmodat2")
        XCTAssertEqual(SyscallNames.name(469, arch: .x32), "file_setattr")
        XCTAssertEqual(SyscallNames.name(515, arch: .x32), "readv")
        XCTAssertEqual(SyscallNames.number("readv", arch: .x32), 515)
        XCTAssertEqual(SyscallNames.number("read", arch: .x32), 0)
        XCTAssertEqual(SyscallNames.number("fchmodat2", arch: .x86_64), 452)
        XCTAssertEqual(SyscallNames.name(0, arch: .x86_64), "read")
        XCTAssertEqual(SyscallNames.name(0, arch: .i386), "restart_syscall")
        for arch in UsageProfile.Arch.allCases {
            XCTAssertNil(SyscallNames.name(9999, arch: arch))
            XCTAssertNil(SyscallNames.name(-1, arch: arch))
            let all = SyscallNames.all(arch: arch)
            XCTAssertEqual(all, Array(Set(all)).sorted())
            XCTAssertTrue(all.contains("mseal"), "\(arch)")
        }
        XCTAssertNil(SyscallNames.name(515, arch: .x86_64))
        XCTAssertNil(SyscallNames.number("map_shadow_stack", arch: .x32), "x32 has no shadow stacks")
    }

    func testEveryFamilyMemberIsARealSyscallAndFamiliesAreDisjoint() {
        var seen: Set<String> = []
        XCTAssertFalse(SyscallFamilies.all.isEmpty)
        for family in SyscallFamilies.all {
            XCTAssertGreaterThan(family.count, 1)
            for name in family {
                XCTAssertTrue(UsageProfile.Arch.allCases.contains { SyscallNames.number(name, arch: $0) != nil },
                              "\(name) is no syscall on any x86 ABI")
                XCTAssertTrue(seen.insert(name).inserted, "\(name) in two families")
                XCTAssertEqual(SyscallFamilies.family(of: name), family)
            }
        }
        XCTAssertNil(SyscallFamilies.family(of: "rmdir"))
        XCTAssertNil(SyscallFamilies.family(of: "fork"))
        XCTAssertEqual(SyscallFamilies.widen(["clone"], arch: .x86_64), ["clone", "clone3"])
        XCTAssertEqual(SyscallFamilies.widen(["clock_gettime"], arch: .i386), ["clock_gettime", "clock_gettime64"])
        XCTAssertEqual(SyscallFamilies.widen(["clock_gettime"], arch: .x86_64), ["clock_gettime"])
    }

    func testCapabilityNumbersMatchTheKernelHeader() throws {
        XCTAssertEqual(CapabilityNames.name(0), "CAP_CHOWN")
        XCTAssertEqual(CapabilityNames.name(40), "CAP_CHECKPOINT_RESTORE")
        XCTAssertNil(CapabilityNames.name(41))
        XCTAssertEqual(CapabilityNames.number("net_bind_service"), 10)
        XCTAssertEqual(CapabilityNames.dockerDefault.count, 14)
        XCTAssertTrue(CapabilityNames.dockerDefault.allSatisfy { CapabilityNames.number($0) != nil })

        let header = "/usr/include/linux/capability.h"
        guard let text = try? String(contentsOfFile: header, encoding: .utf8) else {
            throw XCTSkip("\(header) is not installed")
        }
        var checked = 0
        for line in text.split(separator: "\n") {
            let words = line.split(whereSeparator: \.isWhitespace)
            guard words.count == 3, words[0] == "#define", words[1].hasPrefix("CAP_"), let n = Int(words[2]),
                  words[1] != "CAP_LAST_CAP", n <= 40 else { continue }
            XCTAssertEqual(CapabilityNames.name(n), String(words[1]))
            checked += 1
        }
        XCTAssertEqual(checked, 41)
    }

    // MARK: snippets

    func testDockerFlagsDropAllAndAddOnlyWhatWasUsed() {
        let line = DockerFlags.render(container(), seccompPath: "profiles/web.json")
        XCTAssertTrue(line.contains("--cap-drop=ALL --cap-add=CAP_CHOWN --security-opt"), line)
        XCTAssertEqual(line.components(separatedBy: "--cap-add").count, 2, line)
        XCTAssertTrue(line.contains("--security-opt seccomp=profiles/web.json"), line)
        XCTAssertTrue(line.contains("--security-opt no-new-privileges"), line)
        XCTAssertTrue(line.hasSuffix(" --read-only"), line)
        XCTAssertFalse(line.contains("\n"))

        let writes = DockerFlags.render(container(files: ["/var/log/app.log"]), seccompPath: "my dir/web.json")
        XCTAssertFalse(writes.contains("--read-only"), writes)
        XCTAssertTrue(writes.contains("seccomp='my dir/web.json'"), writes)
    }

    func testKubernetesRootIsReadOnlyOnlyWhenNothingWasWritten() {
        let readOnly = KubernetesSnippet.render(container(), localhostProfile: "profiles/web.json")
        XCTAssertTrue(readOnly.contains("readOnlyRootFilesystem: true"), readOnly)
        XCTAssertTrue(readOnly.contains("/var/lib/kubelet/seccomp/profiles/web.json"))
        XCTAssertTrue(readOnly.contains("type: Localhost"))
        XCTAssertTrue(readOnly.contains("localhostProfile: \"profiles/web.json\""))
        XCTAssertTrue(readOnly.contains("drop: [\"ALL\"]"))
        XCTAssertTrue(readOnly.contains("add: [\"CHOWN\"]"))
        XCTAssertTrue(readOnly.contains("allowPrivilegeEscalation: false"))

        let writes = KubernetesSnippet.render(container(caps: [], dirs: ["/data"]), localhostProfile: "web.json")
        XCTAssertFalse(writes.contains("readOnlyRootFilesystem"), writes)
        XCTAssertFalse(writes.contains("add:"), writes)
    }

    func testSystemdGrantsNoCapabilitiesAndWrapsTheFilter() {
        let many = Set(SyscallNames.all(arch: .x86_64).prefix(120)).subtracting(["socket", "socketpair"])
        var p = container(syscalls: [.x86_64: many], caps: [],
                          files: ["/var/lib/app/db", "/var/lib/app/cache/x", "/dev/null"], dirs: ["/var/lib/app/cache", "/run/app/"])
        p.subject = .exe(path: "/usr/bin/app")
        let unit = SystemdSnippet.render(p)
        let lines = unit.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines.first, "[Service]")
        XCTAssertTrue(lines.contains("CapabilityBoundingSet="), unit)
        XCTAssertTrue(lines.contains("NoNewPrivileges=yes"))
        XCTAssertTrue(lines.contains("SystemCallArchitectures=native"))
        XCTAssertTrue(lines.contains("SystemCallErrorNumber=EPERM"))
        XCTAssertTrue(lines.contains("ProtectSystem=strict"))
        XCTAssertTrue(lines.contains("ReadWritePaths=-/run/app -/var/lib/app"), unit)
        XCTAssertTrue(lines.contains("RestrictAddressFamilies=none"))

        let filter = lines.filter { $0.hasPrefix("SystemCallFilter=") }
        XCTAssertGreaterThan(filter.count, 1)
        for line in filter { XCTAssertLessThanOrEqual(line.count, 80, line) }
        let listed = Set(filter.flatMap { $0.dropFirst("SystemCallFilter=".count).split(separator: " ").map(String.init) })
        XCTAssertEqual(listed, Set(p.allowedSyscalls[.x86_64]!.map(SyscallNames.seccompName)))

        p.capabilitiesUsed = [.init(capability: "CAP_NET_BIND_SERVICE", syscalls: ["bind"], checks: 1)]
        p.networkFamilies = ["inet6", "unix", "inet"]
        p.syscalls[.i386] = ["read"]
        let net = SystemdSnippet.render(p)
        XCTAssertTrue(net.contains("CapabilityBoundingSet=CAP_NET_BIND_SERVICE\n"), net)
        XCTAssertTrue(net.contains("RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX\n"), net)
        XCTAssertTrue(net.contains("SystemCallArchitectures=native x86\n"), net)

        // Written, but no path recorded; sockets, but no family seen: the
        // unit does not guess (a read-only system would break it).
        var blind = container(syscalls: [.x86_64: ["openat", "write", "socket", "connect"]], caps: [])
        blind.subject = .exe(path: "/usr/bin/app")
        blind.wroteFiles = true
        let cautious = SystemdSnippet.render(blind)
        let settings = cautious.split(separator: "\n").filter { !$0.hasPrefix("#") }
        XCTAssertFalse(settings.contains { $0.hasPrefix("ProtectSystem=") }, cautious)
        XCTAssertFalse(settings.contains { $0.hasPrefix("RestrictAddressFamilies=") }, cautious)
        XCTAssertTrue(cautious.contains("# Files were opened for writing"), cautious)
    }

    func testAppArmorSkeletonBalancesAndListsWhatWasUsed() {
        var p = container(files: ["/data/out.txt", "/tmp/x/y"], dirs: ["/tmp/x"])
        p.networkFamilies = ["inet"]
        p.execs = ["/usr/bin/app", "/bin/sh"]
        let text = AppArmorSkeleton.render(p)
        XCTAssertEqual(text.filter { $0 == "{" }.count, text.filter { $0 == "}" }.count, text)
        XCTAssertTrue(text.contains("#include <tunables/global>"))
        XCTAssertTrue(text.contains("profile auditq-web flags=(attach_disconnected) {"), text)
        XCTAssertTrue(text.contains("  capability chown,\n"), text)
        XCTAssertTrue(text.contains("  network inet,\n"))
        XCTAssertTrue(text.contains("  /usr/bin/app ix,\n"))
        XCTAssertTrue(text.contains("  /data/out.txt w,\n"))
        XCTAssertTrue(text.contains("  /tmp/x/** w,\n"))
        XCTAssertFalse(text.contains("/tmp/x/y"), "covered by the directory rule")
        XCTAssertTrue(text.contains("# reads were not recorded"))
        XCTAssertTrue(text.hasSuffix("}\n"))
    }

    // MARK: summary

    func testSummarySaysWhatToDrop() throws {
        let p = container()
        let text = ProfileSummary.text(p)
        XCTAssertTrue(text.hasPrefix("container web (abababababab, docker)\n"), text)
        XCTAssertTrue(text.contains("2024-05-01T10:00:00.000Z to 2024-05-01T12:00:05.250Z (2h 0m 5s)"), text)
        let capLine = try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix("capabilities:") })
        XCTAssertTrue(capLine.hasPrefix("capabilities: granted 14, used 1 (CAP_CHOWN in fchownat): drop "), String(capLine))
        let drop = capLine.components(separatedBy: ": drop ")[1].components(separatedBy: ", ")
        XCTAssertEqual(Set(drop), Set(CapabilityNames.dockerDefault).subtracting(["CAP_CHOWN"]))
        XCTAssertEqual(drop.count, 13)
        let total = SyscallNames.all(arch: .x86_64).count
        XCTAssertTrue(text.contains("syscalls: 4 of \(total) used on x86_64 (6 allowed after widening families)"), text)
        XCTAssertTrue(text.contains("seccomp granted: none (every syscall allowed)"))
        XCTAssertFalse(text.contains("warning"))

        let unknown = ProfileSummary.text(container(granted: nil))
        XCTAssertTrue(unknown.contains("granted: unknown"), unknown)
    }

    func testSummaryWarnsAboutLossesAndCutsLongLists() throws {
        var p = container(files: (1...25).map { "/data/f\($0)" },
                          losses: [.init(kind: "kernel_lost", timeMs: 1_714_560_000_000, count: 12, detail: "backlog limit")])
        p.runtimeSyscalls = [.x86_64: ["read", "setns", "close"]]
        p.runtimeBaseline = "runc 1.1.5"
        let text = ProfileSummary.text(p)
        XCTAssertTrue(text.contains("lost: 12 (kernel_lost) at 2024-05-01T10:40:00.000Z: backlog limit"), text)
        XCTAssertTrue(text.contains("learned across 1 loss: the profile may lack what the lost events would have shown"), text)
        XCTAssertTrue(text.contains("(+ 2 for runc 1.1.5 after its filter is installed; 8 allowed after widening families)"), text)
        XCTAssertTrue(text.contains("files written (25):\n"))
        XCTAssertTrue(text.contains("  … and 5 more\n"), text)

        let json = ProfileSummary.json(p)
        let back = try JSONDecoder().decode(ProfileSummary.self, from: Data(json.utf8))
        XCTAssertEqual(back, ProfileSummary(p))
        XCTAssertEqual(back.filesWritten.count, 25, "JSON is never cut")
        XCTAssertEqual(back.losses.count, 1)
    }
}
