/// Syscalls that do one job under several names, of which libc or the Go
/// runtime picks one at run time: by kernel version (openat2, clone3,
/// faccessat2 fall back to the older call on ENOSYS), by libc version (glibc
/// 2.33+ stats through newfstatat or statx, older ones through stat), by
/// build (a static binary, a musl one) or by ABI (i386's 32-bit-uid and
/// 64-bit-time variants). A profile learned on one host must not break when
/// the same image runs where the other member is chosen, so a filter allows
/// the whole family once any member was seen.
///
/// Widening never adds a different capability: every member of a family
/// does the same thing to the same objects under the same permission
/// checks, only with other argument forms (a dirfd, flags, a wider struct).
/// That is why rmdir stays apart from unlinkat (which also removes files),
/// fork and vfork from clone, and i386's socketcall (a multiplexer of every
/// socket call) from all of them.
public enum SyscallFamilies {
    /// In the kernel's spelling. Each name belongs to one family at most;
    /// names a given ABI lacks are skipped when widening for it.
    public static let all: [[String]] = [
        // Files by path.
        ["open", "openat", "openat2"],
        ["stat", "lstat", "fstat", "newfstatat", "statx",
         "oldstat", "oldlstat", "oldfstat", "stat64", "lstat64", "fstat64", "fstatat64"],
        ["statfs", "statfs64"],
        ["fstatfs", "fstatfs64"],
        ["access", "faccessat", "faccessat2"],
        ["readlink", "readlinkat"],
        ["unlink", "unlinkat"],
        ["rename", "renameat", "renameat2"],
        ["mkdir", "mkdirat"],
        ["mknod", "mknodat"],
        ["link", "linkat"],
        ["symlink", "symlinkat"],
        ["chmod", "fchmodat", "fchmodat2"],
        ["chown", "lchown", "fchownat", "chown32", "lchown32"],
        ["fchown", "fchown32"],
        ["utime", "utimes", "futimesat", "utimensat", "utimensat_time64"],
        ["truncate", "truncate64"],
        ["ftruncate", "ftruncate64"],
        ["getdents", "getdents64"],
        ["umount", "umount2"],
        // Descriptors.
        ["dup2", "dup3"],
        ["pipe", "pipe2"],
        ["fcntl", "fcntl64"],
        ["lseek", "_llseek"],
        ["sendfile", "sendfile64"],
        ["fadvise64", "fadvise64_64"],
        ["preadv", "preadv2"],
        ["pwritev", "pwritev2"],
        ["eventfd", "eventfd2"],
        ["signalfd", "signalfd4"],
        ["inotify_init", "inotify_init1"],
        ["mmap", "mmap2"],
        // Waiting for descriptors.
        ["poll", "ppoll", "ppoll_time64"],
        ["select", "_newselect", "pselect6", "pselect6_time64"],
        ["epoll_create", "epoll_create1"],
        ["epoll_wait", "epoll_pwait", "epoll_pwait2"],
        // Sockets.
        ["accept", "accept4"],
        ["recvmmsg", "recvmmsg_time64"],
        // Processes.
        ["clone", "clone3"],
        ["wait4", "waitid", "waitpid"],
        // Signals: i386's pre-rt calls and the rt ones glibc uses.
        ["sigaction", "rt_sigaction"],
        ["sigprocmask", "rt_sigprocmask"],
        ["sigreturn", "rt_sigreturn"],
        ["sigsuspend", "rt_sigsuspend"],
        ["sigpending", "rt_sigpending"],
        ["rt_sigtimedwait", "rt_sigtimedwait_time64"],
        // Time: i386's 64-bit time_t variants (glibc 2.34+ with _TIME_BITS=64,
        // falling back on ENOSYS), and nanosleep, which glibc 2.31+ makes
        // through clock_nanosleep.
        ["clock_gettime", "clock_gettime64"],
        ["clock_settime", "clock_settime64"],
        ["clock_adjtime", "clock_adjtime64"],
        ["clock_getres", "clock_getres_time64"],
        ["nanosleep", "clock_nanosleep", "clock_nanosleep_time64"],
        ["timer_gettime", "timer_gettime64"],
        ["timer_settime", "timer_settime64"],
        ["timerfd_gettime", "timerfd_gettime64"],
        ["timerfd_settime", "timerfd_settime64"],
        ["futex", "futex_time64"],
        ["sched_rr_get_interval", "sched_rr_get_interval_time64"],
        ["io_pgetevents", "io_pgetevents_time64"],
        ["mq_timedsend", "mq_timedsend_time64"],
        ["mq_timedreceive", "mq_timedreceive_time64"],
        ["semtimedop", "semtimedop_time64"],
        // Credentials: i386's 16-bit-uid calls and their 32-bit successors.
        ["getuid", "getuid32"],
        ["geteuid", "geteuid32"],
        ["getgid", "getgid32"],
        ["getegid", "getegid32"],
        ["setuid", "setuid32"],
        ["setgid", "setgid32"],
        ["setreuid", "setreuid32"],
        ["setregid", "setregid32"],
        ["setresuid", "setresuid32"],
        ["setresgid", "setresgid32"],
        ["getresuid", "getresuid32"],
        ["getresgid", "getresgid32"],
        ["getgroups", "getgroups32"],
        ["setgroups", "setgroups32"],
        ["setfsuid", "setfsuid32"],
        ["setfsgid", "setfsgid32"],
    ]

    private static let familyOf: [String: [String]] = {
        var out: [String: [String]] = [:]
        for family in all {
            for name in family {
                precondition(out[name] == nil, "\(name) is in two syscall families")
                out[name] = family
            }
        }
        return out
    }()

    /// `names` plus every member, existing on `arch`, of each family one of
    /// them belongs to. Members are added in libaudit's spelling, as the
    /// names the records give.
    public static func widen(_ names: Set<String>, arch: UsageProfile.Arch) -> Set<String> {
        var out = names
        for name in names {
            for member in family(of: name) ?? [] {
                guard let n = SyscallNames.number(member, arch: arch) else { continue }
                out.insert(SyscallNames.name(n, arch: arch) ?? member)
            }
        }
        return out
    }

    /// The family `name` belongs to (every ABI's members, in the kernel's
    /// spelling, `name` included), or nil when it stands alone.
    public static func family(of name: String) -> [String]? {
        familyOf[SyscallNames.seccompName(name)]
    }
}
