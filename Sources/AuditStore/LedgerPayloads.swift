/// The JSON details of the ledger's rows, one type per kind that has one.
/// Keys are the property names (sorted when written): changing a name
/// changes what stored rows say, so names stay as they are.
extension Ledger {
    /// What a collector run states about itself in its start row.
    public struct Start: LedgerPayload, Equatable {
        public static let kind = Kind.collectorStart
        public var version: String
        public var bootID: String
        public var kernel: String
        public var mode: String
        public var pid: Int32
        /// The kernel's `lost` counter when the run began.
        public var lostAtStart: UInt32?
        public var backlogLimit: UInt32?
        public var backlogWaitTime: UInt32?

        public init(version: String, bootID: String, kernel: String, mode: String, pid: Int32,
                    lostAtStart: UInt32? = nil, backlogLimit: UInt32? = nil, backlogWaitTime: UInt32? = nil) {
            self.version = version; self.bootID = bootID; self.kernel = kernel; self.mode = mode; self.pid = pid
            self.lostAtStart = lostAtStart; self.backlogLimit = backlogLimit; self.backlogWaitTime = backlogWaitTime
        }
    }

    /// What a run counted when it stopped.
    public struct Stop: LedgerPayload, Equatable {
        public static let kind = Kind.collectorStop
        public var records: Int
        public var events: Int
        public var kernelLost: Int64
        public var socketOverruns: Int64
        public var missingSerials: Int64
        public var reason: String

        public init(records: Int, events: Int, kernelLost: Int64, socketOverruns: Int64, missingSerials: Int64, reason: String) {
            self.records = records; self.events = events; self.kernelLost = kernelLost
            self.socketOverruns = socketOverruns; self.missingSerials = missingSerials; self.reason = reason
        }
    }

    /// A rule set the collector loaded: its files, text and hash, and what
    /// the parsed rules carry. `keys`, `immutable` and `backlogLimit` are nil
    /// in rows written before they were recorded: readers then parse `text`.
    public struct RulesLoaded: LedgerPayload, Equatable {
        public static let kind = Kind.rulesLoaded
        public var files: [String]
        public var sha256: String
        public var rules: Int
        public var text: String
        /// Every distinct key the rules carry, in order of first use.
        public var keys: [String]?
        /// The set ends with `-e 2`: the rules are locked until reboot.
        public var immutable: Bool?
        /// The last `-b N` of the set, if it has one.
        public var backlogLimit: UInt32?

        public init(files: [String], sha256: String, rules: Int, text: String, keys: [String]? = nil,
                    immutable: Bool? = nil, backlogLimit: UInt32? = nil) {
            self.files = files; self.sha256 = sha256; self.rules = rules; self.text = text
            self.keys = keys; self.immutable = immutable; self.backlogLimit = backlogLimit
        }
    }

    /// What the BPF sensor runs as in a kernel collector's run.
    public struct SensorState: LedgerPayload, Equatable {
        public static let kind = Kind.sensor
        public struct Program: Codable, Sendable, Equatable {
            public var name: String
            public var section: String
            public var id: UInt32
            public init(name: String, section: String, id: UInt32) { self.name = name; self.section = section; self.id = id }
        }
        /// lsm, tracepoint or audit-only.
        public var mode: String
        public var reason: String
        /// The programs were left attached by a previous run and taken over.
        public var resumed: Bool?
        public var bootID: String
        public var programs: [Program]
        public var watchedPaths: Int
        /// "reported" when the cgroup programs run (every cgroup made has its
        /// path on record), else why not; nil in rows written before them.
        public var cgroups: String?
        /// What least-privilege learning keeps ("syscalls, capabilities
        /// (…)"), or "off: why"; nil when not asked for (and in older rows).
        public var learning: String?

        public init(mode: String, reason: String, resumed: Bool?, bootID: String, programs: [Program], watchedPaths: Int,
                    cgroups: String? = nil, learning: String? = nil) {
            self.mode = mode; self.reason = reason; self.resumed = resumed; self.bootID = bootID
            self.programs = programs; self.watchedPaths = watchedPaths; self.cgroups = cgroups; self.learning = learning
        }
    }

    /// Where a followed log was read up to: the file (device, inode, and a
    /// fingerprint of its first bytes, so a rotated or replaced file is told
    /// apart from one that reuses the inode) and the byte offset of the first
    /// line not yet in a committed event. Committed in the same transaction as
    /// the events read before it, so a restart resumes exactly there whatever
    /// ended the last run.
    public struct FollowCursor: LedgerPayload, Equatable {
        public static let kind = Kind.followCursor
        /// The name the file had when it was read (for messages; rotation renames it).
        public var file: String
        public var device: UInt64
        public var inode: UInt64
        public var offset: Int64
        /// SHA-256 (hex) of the file's first `fingerprintBytes` bytes (at most 4 KiB).
        public var fingerprint: String
        public var fingerprintBytes: Int

        public static let fingerprintLimit = 4096

        public init(file: String, device: UInt64, inode: UInt64, offset: Int64, fingerprint: String, fingerprintBytes: Int) {
            self.file = file; self.device = device; self.inode = inode; self.offset = offset
            self.fingerprint = fingerprint; self.fingerprintBytes = fingerprintBytes
        }
    }
}

extension Checkpoint.Detail: LedgerPayload {
    public static let kind = Ledger.Kind.checkpoint
}
