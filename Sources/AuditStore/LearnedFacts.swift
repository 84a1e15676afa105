/// The ledger's least-privilege facts: which syscalls each executable made
/// in each cgroup, per ABI, and which capability checks it needed. Written
/// by the collector from the kernel's bitmaps (learn.bpf.c) as they grow,
/// so a row holds only what is new since the previous one of its boot; a
/// profile is the union of the rows in its window.
extension Ledger {
    public struct Learned: LedgerPayload, Equatable {
        public static let kind = Kind.learned

        /// One executable in one cgroup, in one ABI.
        public struct Program: Codable, Sendable, Equatable {
            public var cgroupID: UInt64
            /// The name it was exec'd by (as given to execve), else its
            /// /proc/PID/exe, else "" (it was exec'd before learning began
            /// and had exited).
            public var exe: String
            /// "major:minor" of the file system holding the executable.
            public var exeDevice: String
            public var exeInode: UInt64
            /// "x86_64", "i386" or "x32".
            public var arch: String
            /// Who made its first syscall.
            public var comm: String
            public var uid: UInt32
            public var capEffective: UInt64
            public var capPermitted: UInt64
            /// Syscall numbers (in `arch`'s table) first seen since the previous row.
            public var syscalls: [Int]

            public init(cgroupID: UInt64, exe: String, exeDevice: String, exeInode: UInt64, arch: String, comm: String,
                        uid: UInt32, capEffective: UInt64, capPermitted: UInt64, syscalls: [Int]) {
                self.cgroupID = cgroupID; self.exe = exe; self.exeDevice = exeDevice; self.exeInode = exeInode
                self.arch = arch; self.comm = comm; self.uid = uid; self.capEffective = capEffective
                self.capPermitted = capPermitted; self.syscalls = syscalls
            }
        }

        /// Capability checks of one executable in one cgroup, since the previous row.
        public struct Capability: Codable, Sendable, Equatable {
            public var cgroupID: UInt64
            public var exe: String
            public var exeDevice: String
            public var exeInode: UInt64
            /// The capability's number (CAP_CHOWN is 0).
            public var capability: Int
            /// The syscall the checks were made in; nil outside one.
            public var syscall: Int?
            public var arch: String
            /// The kernel refused them (only the tracepoint sees refusals).
            public var denied: Bool
            public var checks: UInt64

            public init(cgroupID: UInt64, exe: String, exeDevice: String, exeInode: UInt64, capability: Int, syscall: Int?,
                        arch: String, denied: Bool, checks: UInt64) {
                self.cgroupID = cgroupID; self.exe = exe; self.exeDevice = exeDevice; self.exeInode = exeInode
                self.capability = capability; self.syscall = syscall; self.arch = arch; self.denied = denied; self.checks = checks
            }
        }

        public var bootID: String
        /// How capability checks were seen: "lsm" (used checks only, granted
        /// only) or "tracepoint" (every check, probes included, refusals too).
        public var capabilitySource: String
        public var programs: [Program]
        public var capabilities: [Capability]

        public init(bootID: String, capabilitySource: String, programs: [Program], capabilities: [Capability]) {
            self.bootID = bootID; self.capabilitySource = capabilitySource; self.programs = programs; self.capabilities = capabilities
        }

        public static let archNames = ["x86_64", "i386", "x32"]
    }
}
