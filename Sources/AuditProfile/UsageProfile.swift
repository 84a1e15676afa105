/// What a workload used while auditq watched it, and what it was granted:
/// the input of every profile auditq writes (seccomp JSON, docker flags, a
/// Kubernetes securityContext, systemd hardening, an AppArmor skeleton).
/// Built from the store by `ProfileBuilder` (AuditQuery); rendered by the
/// writers in this module, which read nothing else.
public struct UsageProfile: Sendable, Equatable {
    /// The syscall ABIs of x86-64 hosts, kept apart: a syscall number means a
    /// different call in each.
    public enum Arch: String, Sendable, CaseIterable, Codable, Comparable {
        case x86_64
        /// 32-bit compat (int 0x80 / sysenter, or a 32-bit binary).
        case i386
        /// x32: 64-bit registers, 32-bit pointers (syscall nr | 0x40000000).
        case x32

        /// libseccomp's / the OCI spec's name.
        public var seccompName: String {
            switch self {
            case .x86_64: "SCMP_ARCH_X86_64"
            case .i386: "SCMP_ARCH_X86"
            case .x32: "SCMP_ARCH_X32"
            }
        }

        public static func < (a: Arch, b: Arch) -> Bool {
            allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
        }
    }

    public enum Subject: Sendable, Equatable {
        /// A container: its id (full), name and runtime ("runc", "docker", …).
        case container(id: String, name: String?, runtime: String)
        /// A host program, by its path.
        case exe(path: String)
        /// Whatever ran in a cgroup (path relative to the v2 root).
        case cgroup(path: String)
    }

    /// One capability check that was granted (or refused) while the workload ran.
    public struct CapabilityUse: Sendable, Equatable {
        /// "CAP_CHOWN".
        public var capability: String
        /// The syscalls the checks were made in ("fchownat"); empty when unknown.
        public var syscalls: [String]
        public var checks: Int
        public init(capability: String, syscalls: [String], checks: Int) {
            self.capability = capability; self.syscalls = syscalls; self.checks = checks
        }
    }

    /// A loss the store's ledger records inside the window: events that were
    /// not seen, so the profile may lack what they would have shown.
    public struct Loss: Sendable, Equatable {
        /// The ledger kind ("kernel_lost", "sensor_drop", "learn_full", …).
        public var kind: String
        public var timeMs: Int64
        public var count: Int64
        public var detail: String
        public init(kind: String, timeMs: Int64, count: Int64, detail: String) {
            self.kind = kind; self.timeMs = timeMs; self.count = count; self.detail = detail
        }
    }

    /// What the workload was given.
    public struct Granted: Sendable, Equatable {
        /// Capabilities (bounding set for a container; permitted set for a
        /// host program). nil: not known.
        public var capabilities: [String]?
        /// Syscalls its seccomp filter allows, per arch; nil: no filter or
        /// not known (`seccomp` says which).
        public var seccompAllowed: Int?
        /// "none", "filter", or "unknown".
        public var seccomp: String
        /// Host paths mounted in ("/src:/dst[:ro]").
        public var hostMounts: [String]
        /// Namespaces shared with the host.
        public var hostNamespaces: [String]
        public var privileged: Bool
        public init(capabilities: [String]? = nil, seccompAllowed: Int? = nil, seccomp: String = "unknown",
                    hostMounts: [String] = [], hostNamespaces: [String] = [], privileged: Bool = false) {
            self.capabilities = capabilities; self.seccompAllowed = seccompAllowed; self.seccomp = seccomp
            self.hostMounts = hostMounts; self.hostNamespaces = hostNamespaces; self.privileged = privileged
        }
    }

    /// When and how much the workload was watched.
    public struct Window: Sendable, Equatable {
        public var startMs: Int64
        public var endMs: Int64
        /// Container starts (or, for a host program, distinct processes).
        public var runs: Int
        public var execs: Int
        /// Distinct executables run.
        public var binaries: [String]
        public var losses: [Loss]
        public init(startMs: Int64, endMs: Int64, runs: Int, execs: Int, binaries: [String], losses: [Loss]) {
            self.startMs = startMs; self.endMs = endMs; self.runs = runs; self.execs = execs
            self.binaries = binaries; self.losses = losses
        }
    }

    public var subject: Subject
    /// Syscall names the workload made, per arch (libaudit's names).
    public var syscalls: [Arch: Set<String>]
    /// Syscalls added for the container runtime's own code after the filter
    /// is installed (a measured baseline), per arch; empty for host programs.
    public var runtimeSyscalls: [Arch: Set<String>]
    /// The baseline `runtimeSyscalls` came from ("runc 1.1.5"), if any.
    public var runtimeBaseline: String?
    public var capabilitiesUsed: [CapabilityUse]
    /// Checks the kernel refused: the workload tried and failed.
    public var capabilitiesDenied: [CapabilityUse]
    /// Files the workload wrote or created (absolute paths inside its root).
    public var filesWritten: [String]
    /// Directories it created, or wrote entries into.
    public var directoriesWritten: [String]
    /// Socket families used: "inet", "inet6", "unix", "netlink", "packet".
    public var networkFamilies: [String]
    /// "addr:port" or a unix path, connected to.
    public var connected: [String]
    /// "addr:port", bound.
    public var bound: [String]
    /// Executables run (paths as exec'd).
    public var execs: [String]
    public var granted: Granted
    public var window: Window

    public init(subject: Subject, syscalls: [Arch: Set<String>] = [:], runtimeSyscalls: [Arch: Set<String>] = [:],
                runtimeBaseline: String? = nil, capabilitiesUsed: [CapabilityUse] = [], capabilitiesDenied: [CapabilityUse] = [],
                filesWritten: [String] = [], directoriesWritten: [String] = [], networkFamilies: [String] = [],
                connected: [String] = [], bound: [String] = [], execs: [String] = [], granted: Granted = Granted(),
                window: Window) {
        self.subject = subject; self.syscalls = syscalls; self.runtimeSyscalls = runtimeSyscalls
        self.runtimeBaseline = runtimeBaseline; self.capabilitiesUsed = capabilitiesUsed
        self.capabilitiesDenied = capabilitiesDenied; self.filesWritten = filesWritten
        self.directoriesWritten = directoriesWritten; self.networkFamilies = networkFamilies
        self.connected = connected; self.bound = bound; self.execs = execs; self.granted = granted; self.window = window
    }

    /// The runtime takes the OCI seccomp `flags` (runc before 1.2 refuses
    /// any): without them a denial is logged only by an audit rule.
    public var runtimeTakesSeccompFlags = true
    /// What the reader of the profile must know (limits of what was learned).
    public var notes: [String] = []

    /// The kernel saw a file opened for writing (or created, renamed,
    /// removed, …) even where no audit record names the file.
    public var wroteFiles = false

    /// Nothing written anywhere: the root filesystem can be read-only.
    public var wroteNothing: Bool { !wroteFiles && filesWritten.isEmpty && directoriesWritten.isEmpty }

    /// The syscalls a filter must allow, per arch: the workload's, the
    /// runtime's baseline, and every member of a family libc chooses from at
    /// run time (`SyscallFamilies`).
    public var allowedSyscalls: [Arch: [String]] {
        var out: [Arch: [String]] = [:]
        for arch in Set(syscalls.keys).union(runtimeSyscalls.keys) {
            let used = (syscalls[arch] ?? []).union(runtimeSyscalls[arch] ?? [])
            guard !used.isEmpty else { continue }
            out[arch] = SyscallFamilies.widen(used, arch: arch).sorted()
        }
        return out
    }
}
