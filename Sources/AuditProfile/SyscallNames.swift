import CAudit

/// Syscall numbers and names per x86 ABI, libaudit's tables first so that
/// a profile names calls exactly as the audit records (and ausearch) do.
public enum SyscallNames {
    /// The name of `number` on `arch`; nil when no table knows it (callers
    /// print "syscall N"). An x32 number comes without the 0x40000000 bit.
    public static func name(_ number: Int, arch: UsageProfile.Arch) -> String? {
        guard let n = Int32(exactly: number), n >= 0 else { return nil }
        switch arch {
        case .x86_64:
            return libaudit(n, machine: amd64) ?? supplement[number]
        case .i386:
            return libaudit(n, machine: i386) ?? supplement[number]
        case .x32:
            if let own = x32Only[number] { return own }
            // x32 shares x86_64's numbers below 512; its own calls start there.
            guard number < 512 else { return nil }
            return libaudit(n, machine: amd64) ?? x32Supplement[number]
        }
    }

    /// The number of `name` on `arch`, or nil when that ABI has no such call.
    /// Takes libaudit's spelling and the kernel's ("pread" and "pread64").
    public static func number(_ name: String, arch: UsageProfile.Arch) -> Int? {
        if let n = number(spelled: name, arch: arch) { return n }
        return (auditSpelling[name] ?? kernelSpelling[name]).flatMap { number(spelled: $0, arch: arch) }
    }

    /// The name libseccomp knows a call by, and so runc, crun, podman and
    /// systemd: the kernel's. libaudit spells four x86 calls otherwise, and
    /// a filter naming libaudit's spelling would leave the call out (the
    /// runtimes skip names they do not know).
    public static func seccompName(_ name: String) -> String {
        kernelSpelling[name] ?? name
    }

    /// libaudit 3.0.9's spelling → the kernel's (syscall_64.tbl, syscall_32.tbl).
    private static let kernelSpelling = [
        "pread": "pread64", "pwrite": "pwrite64",
        "sys_kexec_load": "kexec_load",
        "sched_rr_get_interval64": "sched_rr_get_interval_time64",
    ]
    private static let auditSpelling = Dictionary(uniqueKeysWithValues: kernelSpelling.map { ($1, $0) })

    private static func number(spelled name: String, arch: UsageProfile.Arch) -> Int? {
        switch arch {
        case .x86_64:
            return libaudit(name, machine: amd64) ?? supplementNumbers[name]
        case .i386:
            return libaudit(name, machine: i386) ?? supplementNumbers[name]
        case .x32:
            // x32's own number first: x86_64's number for these calls (13 for
            // rt_sigaction) takes 64-bit structures and fails on x32.
            if let own = x32OnlyNumbers[name] { return own }
            if let n = libaudit(name, machine: amd64), n < 512 { return n }
            return x32SupplementNumbers[name]
        }
    }

    /// Every syscall name `arch` has (libaudit's spelling), sorted: the
    /// denominator of "61 of 373 syscalls used".
    public static func all(arch: UsageProfile.Arch) -> [String] {
        switch arch {
        case .x86_64: allAMD64
        case .i386: allI386
        case .x32: allX32
        }
    }

    // MARK: libaudit

    private static let amd64 = Int32(MACH_86_64.rawValue)
    private static let i386 = Int32(MACH_X86.rawValue)

    private static func libaudit(_ number: Int32, machine: Int32) -> String? {
        audit_syscall_to_name(number, machine).map { String(cString: $0) }
    }

    private static func libaudit(_ name: String, machine: Int32) -> Int? {
        let n = audit_name_to_syscall(name, machine)
        return n >= 0 ? Int(n) : nil
    }

    /// libaudit has no "highest number" call; its x86 tables end at 450 and
    /// the supplement at 469, so 600 covers both with room for x32's 512…547.
    private static let scanLimit = 600

    private static func table(_ arch: UsageProfile.Arch) -> [String] {
        Set((0..<scanLimit).compactMap { name($0, arch: arch) }).sorted()
    }

    private static let allAMD64 = table(.x86_64)
    private static let allI386 = table(.i386)
    private static let allX32 = table(.x32)

    // MARK: what libaudit 3.0.9 lacks

    /// Calls added after libaudit 3.0.9's tables were cut (they stop at 450,
    /// set_mempolicy_home_node) up to kernel 6.18. Used only when libaudit
    /// has no name, so a newer libaudit's table wins. These numbers are the
    /// same on x86_64, i386 and x32 (the kernel numbers new calls in step).
    private static let supplement: [Int: String] = [
        451: "cachestat", 452: "fchmodat2", 453: "map_shadow_stack",
        454: "futex_wake", 455: "futex_wait", 456: "futex_requeue",
        457: "statmount", 458: "listmount",
        459: "lsm_get_self_attr", 460: "lsm_set_self_attr", 461: "lsm_list_modules",
        462: "mseal",
        463: "setxattrat", 464: "getxattrat", 465: "listxattrat", 466: "removexattrat",
        467: "open_tree_attr", 468: "file_getattr", 469: "file_setattr",
    ]
    private static let supplementNumbers = Dictionary(uniqueKeysWithValues: supplement.map { ($1, $0) })

    /// map_shadow_stack is "64" (not "common") in the kernel's syscall_64.tbl:
    /// x32 has no shadow stacks.
    private static let x32Supplement = supplement.filter { $0.value != "map_shadow_stack" }
    private static let x32SupplementNumbers = Dictionary(uniqueKeysWithValues: x32Supplement.map { ($1, $0) })

    /// x32's own entry points (syscall_64.tbl, "x32" rows): calls whose
    /// arguments hold pointers or longs in structures, so the 64-bit entry
    /// cannot serve 32-bit pointers. libaudit has no x32 table at all.
    private static let x32Only: [Int: String] = [
        512: "rt_sigaction", 513: "rt_sigreturn", 514: "ioctl", 515: "readv", 516: "writev",
        517: "recvfrom", 518: "sendmsg", 519: "recvmsg", 520: "execve", 521: "ptrace",
        522: "rt_sigpending", 523: "rt_sigtimedwait", 524: "rt_sigqueueinfo", 525: "sigaltstack",
        526: "timer_create", 527: "mq_notify", 528: "kexec_load", 529: "waitid",
        530: "set_robust_list", 531: "get_robust_list", 532: "vmsplice", 533: "move_pages",
        534: "preadv", 535: "pwritev", 536: "rt_tgsigqueueinfo", 537: "recvmmsg", 538: "sendmmsg",
        539: "process_vm_readv", 540: "process_vm_writev", 541: "setsockopt", 542: "getsockopt",
        543: "io_setup", 544: "io_submit", 545: "execveat", 546: "preadv2", 547: "pwritev2",
    ]
    private static let x32OnlyNumbers = Dictionary(uniqueKeysWithValues: x32Only.map { ($1, $0) })
}
