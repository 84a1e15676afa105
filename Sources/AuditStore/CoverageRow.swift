/// A ledger row about to be written: what kind of fact it is, whose, which
/// serials and times it covers, and its detail (a `LedgerPayload` as JSON, or
/// a line of prose for the kinds that have no payload).
public struct CoverageRow: Sendable, Equatable {
    public var kind: Ledger.Kind
    public var source: String?
    public var node: String?
    public var firstSerial: Int64?
    public var lastSerial: Int64?
    public var firstTimeMs: Int64?
    public var lastTimeMs: Int64?
    public var count: Int64?
    public var detail: String?

    public init(kind: Ledger.Kind, source: String? = nil, node: String? = nil, firstSerial: Int64? = nil,
                lastSerial: Int64? = nil, firstTimeMs: Int64? = nil, lastTimeMs: Int64? = nil,
                count: Int64? = nil, detail: String? = nil) {
        self.kind = kind; self.source = source; self.node = node
        self.firstSerial = firstSerial; self.lastSerial = lastSerial
        self.firstTimeMs = firstTimeMs; self.lastTimeMs = lastTimeMs
        self.count = count; self.detail = detail
    }

    /// A row of the payload's kind whose detail is the payload.
    public init<P: LedgerPayload>(_ payload: P, source: String? = nil, firstTimeMs: Int64? = nil,
                                  lastTimeMs: Int64? = nil, count: Int64? = nil) {
        self.init(kind: P.kind, source: source, firstTimeMs: firstTimeMs, lastTimeMs: lastTimeMs, count: count,
                  detail: Ledger.encode(payload))
    }
}
