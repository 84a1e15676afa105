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
}
