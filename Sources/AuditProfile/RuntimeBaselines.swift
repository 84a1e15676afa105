/// What a container runtime's own code calls after it has installed the
/// container's seccomp filter and before the container's process runs (runc
/// and crun install the filter, then finish setting up and exec). A profile
/// holding only the container's syscalls would stop the runtime there:
/// runc 1.1.5 fails with "ensure /proc/self/fd is on procfs: operation not
/// permitted" when fstatfs is denied. So each profile adds its runtime's
/// baseline.
///
/// Measured, not copied: `ProfileTests.testRuntimeBaselinesHoldWhatTheRuntimesCall`
/// runs each runtime three times with a log-only filter while auditqd
/// collects, reads the SECCOMP records of the runtime's own process (comm
/// "runc:[2:INIT]" for runc, the crun binary for crun) and fails, naming
/// them, when the runtime calls one not listed here — or when the installed
/// version has no baseline: its failure message is how a new version's list
/// is made. It runs with noNewPrivileges off (docker's default): then the
/// filter goes in before the runtime drops privileges (setuid, capset, …),
/// so more of its calls come after it than with no_new_privs set. A Go
/// runtime (runc) may also be preempted or collect garbage at any point
/// after the filter, so its scheduler's calls are listed as a family of
/// their own.
public struct RuntimeBaseline: Sendable, Equatable {
    public var runtime: String
    /// The version measured (`runc --version`'s first line's number).
    public var version: String
    /// x86_64 syscall names.
    public var syscalls: Set<String>
    /// Calls the runtime's language runtime makes whenever it is scheduled
    /// (Go's preemption signals, futex waits, GC), not tied to the code path.
    public var scheduler: Set<String>

    public var label: String { "\(runtime) \(version)" }
    public var all: Set<String> { syscalls.union(scheduler) }

    public static let goScheduler: Set<String> = [
        "futex", "nanosleep", "sched_yield", "rt_sigreturn", "rt_sigprocmask", "sigaltstack", "tgkill", "getpid",
        "gettid", "mmap", "munmap", "madvise", "epoll_pwait", "clone", "exit", "exit_group",
    ]

    public static let measured: [RuntimeBaseline] = [
        RuntimeBaseline(runtime: "runc", version: "1.1.5",
                        syscalls: ["capget", "capset", "chdir", "close", "epoll_ctl", "execve", "faccessat2", "fcntl", "fstat",
                                   "fstatfs", "futex", "getcwd", "getdents64", "getpid", "getppid", "newfstatat", "openat",
                                   "prctl", "read", "setgid", "setgroups", "setuid", "write"],
                        scheduler: goScheduler),
        RuntimeBaseline(runtime: "crun", version: "1.8.1",
                        syscalls: ["capset", "close", "execve", "prctl", "rt_sigaction", "rt_sigprocmask", "setresgid",
                                   "setresuid", "write"],
                        scheduler: []),
    ]

    /// The baseline of `runtime` at `version`; when that version was not
    /// measured, the newest measured one of the runtime (`exact` false).
    public static func find(runtime: String, version: String?) -> (baseline: RuntimeBaseline, exact: Bool)? {
        let mine = measured.filter { $0.runtime == runtime }
        if let version, let hit = mine.first(where: { $0.version == version }) { return (hit, true) }
        return mine.last.map { ($0, false) }
    }
}
