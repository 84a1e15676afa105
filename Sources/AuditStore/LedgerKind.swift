extension Ledger {
    /// What a ledger row states. The raw value is what the `kind` column
    /// holds: stored rows are hash-chained, so these strings never change.
    public enum Kind: String, CaseIterable, Sendable {
        /// A file import and what it read.
        case `import`
        /// Serials missing between two stored events of a node.
        case serialGap = "serial_gap"
        /// A collector run began; detail: `Ledger.Start`.
        case collectorStart = "collector_start"
        /// A collector run ended; detail: `Ledger.Stop`.
        case collectorStop = "collector_stop"
        /// A collector that ended without a stop row (killed, crashed, power
        /// cut), noticed by the next start.
        case uncleanStop = "collector_unclean_stop"
        /// A rise of the kernel's `lost` counter (records the kernel dropped).
        case kernelLost = "kernel_lost"
        /// ENOBUFS on the audit socket: records dropped for this socket only.
        case socketOverrun = "socket_overrun"
        /// Rules the collector loaded; detail: `Ledger.RulesLoaded`.
        case rulesLoaded = "rules_loaded"
        /// What the BPF sensor runs as in this boot (lsm, tracepoint, audit
        /// only), why, and its programs; detail: `Ledger.SensorState`.
        case sensor
        /// Events the BPF programs could not put in the ring buffer (full).
        case sensorDrop = "sensor_drop"
        /// Where a followed log was read up to, committed with its events;
        /// detail: `Ledger.FollowCursor`.
        case followCursor = "follow_cursor"
        /// Log text a follower could not read: the file its cursor named was
        /// gone at restart, or the file was truncated under it.
        case followGap = "follow_gap"
        /// A line of a followed log or of the plugin stream that is not an
        /// audit record, passed over (count: its bytes; detail: where and why).
        case skippedLine = "skipped_line"
        /// A signed chain head (`auditq checkpoint`); detail: `Checkpoint.Detail`.
        case checkpoint
        /// The store's disk was full from first to last time: the collector
        /// waited without reading its source, then went on. What the kernel
        /// dropped meanwhile is in `kernel_lost` rows and serial gaps.
        case storeFull = "store_full"
        /// A cgroup of the default hierarchy and its path, in one boot: found
        /// by a walk, made, or removed; detail: `Ledger.Cgroup`.
        case cgroup
        /// A container whose cgroup the collector saw, and what its runtime
        /// left on disk about it; detail: `Ledger.ContainerSeen`.
        case container
        /// What least-privilege learning saw since the previous row of its
        /// run: syscalls and capability checks per cgroup and executable;
        /// detail: `Ledger.Learned`.
        case learned
        /// Learning's maps were full: (cgroup, executable, ABI) keys or
        /// capability checks the kernel could not keep (count).
        case learnFull = "learn_full"
        /// A detector fired: the technique, its evidence events, and the
        /// search that shows them; detail: `Ledger.Alert`.
        case alert
    }
}

/// The JSON detail of one kind of ledger row: written by one type, read by
/// every reader through the same type.
public protocol LedgerPayload: Codable, Sendable {
    static var kind: Ledger.Kind { get }
}
