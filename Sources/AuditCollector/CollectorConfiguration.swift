import AuditStore

/// How `auditqd` collects from the kernel audit socket.
public struct CollectorConfiguration: Sendable {
    public var storePath: String
    /// nil: primary when no audit daemon is registered, passive when one is.
    public var mode: AuditSocket.Mode?
    /// Rule files or directories to load (primary mode); empty loads none.
    public var rules: [String] = []
    /// Leave the loaded rules in the kernel at exit (auditd's habit) instead
    /// of removing exactly the rules this run added.
    public var keepRules = false
    /// Rule files may use -e 2 / -f 2 only when the operator says so.
    public var allowImmutableRules = false
    public var allowPanicRules = false
    /// Kernel queue for records not yet read (primary mode only: in passive
    /// mode the audit daemon owns these settings).
    public var backlogLimit: UInt32 = 8192
    /// How long (ms) a process waits for room in the kernel queue before its
    /// record is dropped and counted as lost.
    public var backlogWaitTime: UInt32 = 60_000
    public var batchEvents = 4096
    /// Run the BPF sensor (BPF-LSM, else the tracepoint fallback) beside audit.
    public var sensor = true
    /// Leave the sensor's programs attached (pinned) at exit: they keep
    /// recording into the ring buffer until the next start reads it.
    public var keepSensor = false
    /// `--protect`: deny other processes writing, truncating, renaming or
    /// unlinking the store and its WAL, and killing or tracing the collector.
    public var protect = false
    /// `--learn`: least-privilege learning (syscalls and capability checks
    /// per cgroup and executable, kept in the kernel, stored every 5 s).
    public var learn = false
    /// Paths whose opens the sensor reports, beside its defaults and the store.
    public var watchPaths: [String] = []
    /// The socket's receive buffer: what a passive collector can fall behind by.
    public var receiveBufferBytes = 16 << 20
    public var version: String
    /// SQLite page cache of a collector's store connections (KiB).
    public static let cacheKiB = 16_384

    public init(storePath: String, version: String) {
        self.storePath = storePath
        self.version = version
    }

    /// The ingest settings of a live source: batches of `batchEvents`, at
    /// least every 100 ms, serial gaps settled on the monotonic clock.
    func liveOptions(dropsEndOfEvent: Bool, gapFloor: Int64?) -> Ingest.Options {
        var options = Ingest.Options()
        options.batchEvents = batchEvents
        options.dropsEndOfEvent = dropsEndOfEvent
        options.gapFloor = gapFloor
        return options
    }
}
