import BPFPrograms
import CBPFEvents
import XCTest

/// bpf_lsm/events.h as Swift imports it has the layouts its C static asserts
/// pin, its enum values are the fixed ones, and every program the sensor
/// expects is in the objects BPFObjectsPlugin embedded.
final class BPFLayoutTests: XCTestCase {
    func testHeaderLayout() {
        typealias H = auditq_event_header
        XCTAssertEqual(MemoryLayout<H>.size, 72)
        XCTAssertEqual(MemoryLayout<H>.offset(of: \H.kind), 0)
        XCTAssertEqual(MemoryLayout<H>.offset(of: \H.source), 2)
        XCTAssertEqual(MemoryLayout<H>.offset(of: \H.flags), 3)
        XCTAssertEqual(MemoryLayout<H>.offset(of: \H.size), 4)
        XCTAssertEqual(MemoryLayout<H>.offset(of: \H.boot_ns), 8)
        XCTAssertEqual(MemoryLayout<H>.offset(of: \H.cgroup_id), 16)
        XCTAssertEqual(MemoryLayout<H>.offset(of: \H.pid), 24)
        XCTAssertEqual(MemoryLayout<H>.offset(of: \H.tgid), 28)
        XCTAssertEqual(MemoryLayout<H>.offset(of: \H.ppid), 32)
        XCTAssertEqual(MemoryLayout<H>.offset(of: \H.uid), 36)
        XCTAssertEqual(MemoryLayout<H>.offset(of: \H.euid), 40)
        XCTAssertEqual(MemoryLayout<H>.offset(of: \H.loginuid), 44)
        XCTAssertEqual(MemoryLayout<H>.offset(of: \H.sessionid), 48)
        XCTAssertEqual(MemoryLayout<H>.offset(of: \H.ret), 52)
        XCTAssertEqual(MemoryLayout<H>.offset(of: \H.comm), 56)
    }

    func testPayloadLayouts() {
        XCTAssertEqual(MemoryLayout<auditq_exec_event>.size, 464)
        XCTAssertEqual(MemoryLayout<auditq_exec_event>.offset(of: \.path), 80)
        XCTAssertEqual(MemoryLayout<auditq_exec_event>.offset(of: \.argv0), 336)
        XCTAssertEqual(MemoryLayout<auditq_file_open_event>.size, 344)
        XCTAssertEqual(MemoryLayout<auditq_file_open_event>.offset(of: \.path), 88)
        XCTAssertEqual(MemoryLayout<auditq_connect_event>.size, 96)
        XCTAssertEqual(MemoryLayout<auditq_connect_event>.offset(of: \.addr), 80)
        XCTAssertEqual(MemoryLayout<auditq_kernel_load_event>.size, 336)
        XCTAssertEqual(MemoryLayout<auditq_kernel_load_event>.offset(of: \.path), 80)
        XCTAssertEqual(MemoryLayout<auditq_bpf_event>.size, 80)
        XCTAssertEqual(MemoryLayout<auditq_ptrace_event>.size, 96)
        XCTAssertEqual(MemoryLayout<auditq_ptrace_event>.offset(of: \.target_comm), 80)
        XCTAssertEqual(MemoryLayout<auditq_setuid_event>.size, 96)
        XCTAssertEqual(MemoryLayout<auditq_setuid_event>.offset(of: \.op_flags), 88)
        XCTAssertEqual(MemoryLayout<auditq_mount_event>.size, 464)
        XCTAssertEqual(MemoryLayout<auditq_mount_event>.offset(of: \.dev_name), 80)
        XCTAssertEqual(MemoryLayout<auditq_mount_event>.offset(of: \.fs_type), 144)
        XCTAssertEqual(MemoryLayout<auditq_mount_event>.offset(of: \.path), 208)
        XCTAssertEqual(MemoryLayout<auditq_path_event>.size, 336)
        XCTAssertEqual(MemoryLayout<auditq_path_event>.offset(of: \.path), 80)
        XCTAssertEqual(MemoryLayout<auditq_kill_event>.size, 96)
        XCTAssertEqual(MemoryLayout<auditq_kill_event>.offset(of: \.target_comm), 80)
        XCTAssertEqual(MemoryLayout<auditq_proc_event>.size, 96)
        XCTAssertEqual(MemoryLayout<auditq_proc_event>.offset(of: \.exit_code), 80)
        XCTAssertEqual(MemoryLayout<auditq_proc_event>.offset(of: \.fork_ppid), 84)
        XCTAssertEqual(MemoryLayout<auditq_proc_event>.offset(of: \.fork_ns), 88)
        XCTAssertEqual(MemoryLayout<auditq_cgroup_event>.size, 600)
        XCTAssertEqual(MemoryLayout<auditq_cgroup_event>.offset(of: \.id), 72)
        XCTAssertEqual(MemoryLayout<auditq_cgroup_event>.offset(of: \.level), 80)
        XCTAssertEqual(MemoryLayout<auditq_cgroup_event>.offset(of: \.path), 88)
        XCTAssertEqual(MemoryLayout<auditq_proc_exec_event>.size, 480)
        XCTAssertEqual(MemoryLayout<auditq_proc_exec_event>.offset(of: \.path), 80)
        XCTAssertEqual(MemoryLayout<auditq_proc_exec_event>.offset(of: \.argv0), 336)
        XCTAssertEqual(MemoryLayout<auditq_proc_exec_event>.offset(of: \.fork_ns), 464)
        XCTAssertEqual(MemoryLayout<auditq_proc_exec_event>.offset(of: \.fork_ppid), 472)
        XCTAssertEqual(MemoryLayout<auditq_fork_value>.size, 16)
        XCTAssertEqual(MemoryLayout<auditq_learn_key>.size, 24)
        XCTAssertEqual(MemoryLayout<auditq_learn_value>.size, 128)
        XCTAssertEqual(MemoryLayout<auditq_learn_value>.offset(of: \.first_ns), 80)
        XCTAssertEqual(MemoryLayout<auditq_learn_value>.offset(of: \.comm), 112)
        XCTAssertEqual(MemoryLayout<auditq_learn_cap_key>.size, 32)
        XCTAssertEqual(MemoryLayout<auditq_learn_cap_key>.offset(of: \.cap), 20)
        XCTAssertEqual(MemoryLayout<auditq_learn_exe_key>.size, 16)
        XCTAssertEqual(MemoryLayout<auditq_syscall_event>.size, 512)
        XCTAssertEqual(MemoryLayout<auditq_syscall_event>.offset(of: \.nr), 72)
        XCTAssertEqual(MemoryLayout<auditq_syscall_event>.offset(of: \.args), 80)
        XCTAssertEqual(MemoryLayout<auditq_syscall_event>.offset(of: \.str), 128)
        XCTAssertEqual(MemoryLayout<auditq_syscall_event>.offset(of: \.str2), 384)
        XCTAssertEqual(MemoryLayout<auditq_watch_key>.size, 260)
        XCTAssertEqual(MemoryLayout<auditq_watch_value>.size, 8)
        XCTAssertEqual(MemoryLayout<auditq_rename_event>.size, 592)
        XCTAssertEqual(MemoryLayout<auditq_rename_event>.offset(of: \.rename_flags), 72)
        XCTAssertEqual(MemoryLayout<auditq_rename_event>.offset(of: \.old_path), 80)
        XCTAssertEqual(MemoryLayout<auditq_rename_event>.offset(of: \.new_path), 336)
        XCTAssertEqual(MemoryLayout<auditq_protect_key>.size, 16)
        XCTAssertEqual(MemoryLayout<auditq_protect_key>.offset(of: \.dev), 0)
        XCTAssertEqual(MemoryLayout<auditq_protect_key>.offset(of: \.ino), 8)
        XCTAssertEqual(MemoryLayout<auditq_protect_value>.size, 8)
    }

    /// Stored events name their kind by number: these never change.
    func testKindValuesAreFixed() {
        let kinds: [(auditq_event_kind, UInt32)] = [
            (AUDITQ_EV_EXEC, 1), (AUDITQ_EV_FILE_OPEN, 2), (AUDITQ_EV_SOCKET_CONNECT, 3),
            (AUDITQ_EV_KERNEL_READ_FILE, 4), (AUDITQ_EV_KERNEL_LOAD_DATA, 5), (AUDITQ_EV_BPF, 6),
            (AUDITQ_EV_PTRACE, 7), (AUDITQ_EV_SETUID, 8), (AUDITQ_EV_MOUNT, 9), (AUDITQ_EV_UNLINK, 10),
            (AUDITQ_EV_CHMOD, 11), (AUDITQ_EV_KILL, 12), (AUDITQ_EV_EXEC_ARGV, 13),
            (AUDITQ_EV_TRUNCATE, 14), (AUDITQ_EV_RENAME, 15),
            (AUDITQ_EV_PROC_EXEC, 64), (AUDITQ_EV_PROC_EXIT, 65), (AUDITQ_EV_PROC_FORK, 66),
            (AUDITQ_EV_SYSCALL, 67),
        ]
        for (kind, value) in kinds {
            XCTAssertEqual(UInt32(kind.rawValue), value)
        }
        XCTAssertEqual(UInt32(AUDITQ_SOURCE_LSM.rawValue), 1)
        XCTAssertEqual(UInt32(AUDITQ_SOURCE_TRACEPOINT.rawValue), 2)
        XCTAssertEqual(UInt32(AUDITQ_FLAG_TRUNCATED.rawValue), 1)
        XCTAssertEqual(UInt32(AUDITQ_FLAG_INTERP.rawValue), 2)
        XCTAssertEqual(UInt32(AUDITQ_FLAG_PATH_PARTIAL.rawValue), 4)
        XCTAssertEqual(UInt32(AUDITQ_FLAG_PROTECTED.rawValue), 8)
    }

    /// family → [(program function name, ELF section)]
    static let expectedPrograms: [String: [(String, String)]] = [
        "exec": [("on_bprm_check", "lsm/bprm_check_security"),
                 ("on_bprm_committed", "lsm/bprm_committed_creds")],
        "file": [("on_file_open", "lsm/file_open"), ("on_path_unlink", "lsm/path_unlink"),
                 ("on_path_chmod", "lsm/path_chmod")],
        "net": [("on_socket_connect", "lsm/socket_connect")],
        "kernel": [("on_kernel_read_file", "lsm/kernel_read_file"),
                   ("on_kernel_load_data", "lsm/kernel_load_data"),
                   ("on_bpf", "lsm/bpf"), ("on_sb_mount", "lsm/sb_mount")],
        "task": [("on_ptrace_access_check", "lsm/ptrace_access_check"),
                 ("on_task_fix_setuid", "lsm/task_fix_setuid"), ("on_task_kill", "lsm/task_kill")],
        "fallback": [("on_sched_exec", "tp_btf/sched_process_exec"),
                     ("on_sched_exit", "tp_btf/sched_process_exit"),
                     ("on_sched_fork", "tp_btf/sched_process_fork"),
                     ("on_sys_enter", "tp_btf/sys_enter")],
        // beside either set: cgroups made and removed (container attribution)
        "cgroup": [("on_cgroup_mkdir", "tp_btf/cgroup_mkdir"), ("on_cgroup_rmdir", "tp_btf/cgroup_rmdir")],
        // beside the LSM set: processes that never exec
        "lifecycle": [("on_fork_held", "tp_btf/sched_process_fork"), ("on_exec_drop", "tp_btf/sched_process_exec"),
                      ("on_exit_unexeced", "tp_btf/sched_process_exit")],
        // --learn, beside either set; the loader keeps one capability program
        "learn": [("learn_sys_enter", "tp_btf/sys_enter"), ("learn_exec", "tp_btf/sched_process_exec"),
                  ("learn_capable", "lsm/capable"), ("learn_cap_capable", "tp_btf/cap_capable")],
        // --protect only: not one of lsmFamilies, loaded on request
        "protect": [("protect_file_open", "lsm/file_open"),
                    ("protect_path_truncate", "lsm/path_truncate"),
                    ("protect_path_unlink", "lsm/path_unlink"),
                    ("protect_path_rename", "lsm/path_rename"),
                    ("protect_task_kill", "lsm/task_kill"),
                    ("protect_ptrace_access_check", "lsm/ptrace_access_check")],
    ]

    func testEveryProgramIsEmbedded() throws {
        XCTAssertEqual(Set(BPFPrograms.names), Set(Self.expectedPrograms.keys))
        XCTAssertEqual(Set(BPFPrograms.lsmFamilies + [BPFPrograms.fallbackFamily, BPFPrograms.cgroupFamily, BPFPrograms.lifecycleFamily,
                                           BPFPrograms.learnFamily, "protect"]),
                       Set(BPFPrograms.names))
        XCTAssertFalse(BPFPrograms.lsmFamilies.contains("protect"), "protect loads only with --protect")
        for (family, programs) in Self.expectedPrograms {
            let object = BPFPrograms.object(named: family)
            XCTAssertEqual(Array(object.prefix(4)), [0x7F, 0x45, 0x4C, 0x46], "\(family): not an ELF object")
            let sections = try Self.sectionNames(object)
            for name in [".maps", ".BTF", ".BTF.ext", "license"] {
                XCTAssertTrue(sections.contains(name), "\(family): no \(name) section in \(sections)")
            }
            for (function, section) in programs {
                XCTAssertTrue(sections.contains(section), "\(family): no section \(section) in \(sections)")
                XCTAssertTrue(Self.containsCString(object, function), "\(family): no symbol \(function)")
            }
            for map in ["events", "reserve_fails"] {
                XCTAssertTrue(Self.containsCString(object, map), "\(family): no map \(map)")
            }
            if family == "protect" {
                XCTAssertTrue(Self.containsCString(object, "protected_inodes"), "protect: no map protected_inodes")
            }
        }
        XCTAssertEqual(BPFPrograms.object(named: "no-such-family"), [])
    }

    /// Section names of a little-endian ELF64 object (all a BPF object is).
    static func sectionNames(_ b: [UInt8]) throws -> Set<String> {
        func u16(_ at: Int) -> Int { Int(b[at]) | Int(b[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        func u64(_ at: Int) -> Int { u32(at) | u32(at + 4) << 32 }
        guard b.count > 64, b[4] == 2, b[5] == 1 else { throw ELFError.notELF64LittleEndian }
        let shoff = u64(0x28), shentsize = u16(0x3A), shnum = u16(0x3C), shstrndx = u16(0x3E)
        guard shoff + shnum * shentsize <= b.count, shstrndx < shnum else { throw ELFError.truncated }
        let strtab = u64(shoff + shstrndx * shentsize + 0x18)
        var names = Set<String>()
        for i in 0..<shnum {
            var at = strtab + u32(shoff + i * shentsize)
            var bytes: [UInt8] = []
            while at < b.count, b[at] != 0 { bytes.append(b[at]); at += 1 }
            names.insert(String(decoding: bytes, as: UTF8.self))
        }
        return names
    }

    enum ELFError: Error { case notELF64LittleEndian, truncated }

    static func containsCString(_ b: [UInt8], _ s: String) -> Bool {
        b.split(separator: 0).contains { $0.elementsEqual(s.utf8) }
    }
}
