import AuditContainers

/// The ledger's container facts: which cgroup ids a boot had and their
/// paths, and which of them held containers. Chained like every ledger row,
/// so attribution survives collector restarts and answers questions after
/// the container and its cgroup are gone.
extension Ledger {
    /// One cgroup of the default (v2) hierarchy in one boot. Its id is the
    /// one every sensor event carries (bpf_get_current_cgroup_id), and the
    /// inode number of its directory.
    public struct Cgroup: LedgerPayload, Equatable {
        public static let kind = Kind.cgroup
        public enum Change: String, Codable, Sendable {
            /// There when the collector walked the hierarchy (at start, or
            /// looking for an id an event carried).
            case present
            /// Made while the collector ran (tp_btf/cgroup_mkdir).
            case created
            /// Removed while the collector ran (tp_btf/cgroup_rmdir), or
            /// found gone by a walk.
            case removed
            /// An event carried an id that no walk found and no mkdir
            /// reported: its path is not known.
            case unknown
        }
        public enum Via: String, Codable, Sendable {
            case walk, mkdir = "cgroup_mkdir", rmdir = "cgroup_rmdir", event
        }
        public var bootID: String
        public var id: UInt64
        /// Relative to the hierarchy's root ("/docker/<id>"); empty when unknown.
        public var path: String
        public var change: Change
        public var via: Via

        public init(bootID: String, id: UInt64, path: String, change: Change, via: Via) {
            self.bootID = bootID; self.id = id; self.path = path; self.change = change; self.via = via
        }
    }

    /// A container seen in one boot through its cgroup: who runs it (from
    /// the cgroup path or the runtime's state files) and what the runtime
    /// left on disk. A later row for the same cgroup (metadata read again,
    /// more complete) replaces an earlier one for readers.
    public struct ContainerSeen: LedgerPayload, Equatable {
        public static let kind = Kind.container
        public var bootID: String
        public var cgroupID: UInt64
        public var cgroupPath: String
        public var container: Container

        public init(bootID: String, cgroupID: UInt64, cgroupPath: String, container: Container) {
            self.bootID = bootID; self.cgroupID = cgroupID; self.cgroupPath = cgroupPath; self.container = container
        }
    }
}
