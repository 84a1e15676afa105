/// A loss or coverage fact: an import and what it read, a serial gap, and
/// (from the collector) starts, stops and kernel loss counters.
public struct CoverageRow: Sendable, Equatable {
    public var kind: String
    public var source: String?
    public var node: String?
    public var firstSerial: Int64?
    public var lastSerial: Int64?
    public var firstTimeMs: Int64?
    public var lastTimeMs: Int64?
    public var count: Int64?
    public var detail: String?

    public init(kind: String, source: String? = nil, node: String? = nil, firstSerial: Int64? = nil,
                lastSerial: Int64? = nil, firstTimeMs: Int64? = nil, lastTimeMs: Int64? = nil,
                count: Int64? = nil, detail: String? = nil) {
        self.kind = kind; self.source = source; self.node = node
        self.firstSerial = firstSerial; self.lastSerial = lastSerial
        self.firstTimeMs = firstTimeMs; self.lastTimeMs = lastTimeMs
        self.count = count; self.detail = detail
    }

    public static let importKind = "import"
    public static let serialGapKind = "serial_gap"
    // The collector's ledger.
    public static let collectorStartKind = "collector_start"
    public static let collectorStopKind = "collector_stop"
    /// A collector that ended without a stop row (killed, crashed, power cut),
    /// noticed by the next start.
    public static let uncleanStopKind = "collector_unclean_stop"
    /// A rise of the kernel's `lost` counter (records the kernel dropped).
    public static let kernelLostKind = "kernel_lost"
    /// ENOBUFS on the audit socket: records dropped for this socket only.
    public static let socketOverrunKind = "socket_overrun"
    public static let rulesLoadedKind = "rules_loaded"
    /// What the BPF sensor runs as in this boot (lsm, tracepoint, audit
    /// only), why, and its programs.
    public static let sensorKind = "sensor"
    /// Events the BPF programs could not put in the ring buffer (full).
    public static let sensorDropKind = "sensor_drop"
    /// Where a followed log was read up to, committed with its events.
    public static let followCursorKind = "follow_cursor"
    /// Log text a follower could not read: the file its cursor named was
    /// gone at restart, or the file was truncated under it.
    public static let followGapKind = "follow_gap"
    /// A line of a followed log or of the plugin stream that is not an
    /// audit record, passed over (count: its bytes; detail: where and why).
    public static let skippedLineKind = "skipped_line"
    /// A signed chain head (`auditq checkpoint`); detail: `Checkpoint.Detail`.
    public static let checkpointKind = "checkpoint"
}
