import AuditRecords
import AuditStore

/// The path every live source shares: record lines in, events grouped by
/// libauparse, committed through the store's writer in batches — at least
/// every `maxDelayMs` while events wait and at most `batchEvents` per batch —
/// with the ledger rows that belong to them in the same transaction.
/// Serial gaps are tracked per node as the stream flows.
///
/// Memory is bounded: at most `batchEvents` events wait here, and the writer
/// queue holds at most three batches; when the disk falls behind, `consume`
/// blocks, the socket is not read, and the kernel's backlog takes the burst.
public final class LiveIngest {
    public struct Counters: Sendable {
        public var records = 0
        public var events = 0
        public var gaps = 0
        public var missingSerials: Int64 = 0
    }

    public let source: String
    public let batchEvents: Int
    public let maxDelayMs: Int64
    private let writer: WriterThread
    private var parser: AuditLogParser!
    private var pending: [AuditEvent] = []
    private var pendingRows: [CoverageRow] = []
    private var pendingSince: Int64?
    private var parts = RecentIdentities()
    private var trackers: [String: LiveSerialTracker] = [:]
    private let gapFloor: Int64?
    public private(set) var counters = Counters()

    public init(writer: EventWriter, source: String, dropsEndOfEvent: Bool, batchEvents: Int = 4096,
                maxDelayMs: Int64 = 100, gapFloor: Int64? = nil) throws {
        self.source = source
        self.batchEvents = batchEvents
        self.maxDelayMs = maxDelayMs
        self.gapFloor = gapFloor
        self.writer = WriterThread(writer: writer)
        parser = try AuditLogParser(source: source, dropsEndOfEvent: dropsEndOfEvent) { [unowned self] event in
            self.accept(event)
        }
    }

    /// Whole record lines, each ending in "\n".
    public func consume(_ lines: UnsafeRawBufferPointer) throws {
        try parser.consume(lines)
        counters.records = parser.recordCount
        try commitIfDue(now: Clock.monotonicMs())
    }

    /// Events that need no grouping (the BPF sensor's): numbered like the
    /// others, outside the audit serial tracking, committed with the next batch.
    public func add(_ events: [AuditEvent]) throws {
        for parsed in events {
            var event = parsed
            event.part = parts.next(node: event.node, timeMs: event.timeMs, serial: event.serial, types: event.recordTypes)
            counters.events += 1
            pending.append(event)
        }
        if pendingSince == nil && !events.isEmpty { pendingSince = Clock.monotonicMs() }
        try commitIfDue(now: Clock.monotonicMs())
    }

    /// A ledger row, committed with the next batch.
    public func record(_ row: CoverageRow) {
        pendingRows.append(row)
        if pendingSince == nil { pendingSince = Clock.monotonicMs() }
    }

    /// Runs the timers: events auparse holds past its timeout, serial gaps
    /// that have settled, and the batch deadline. auparse ages events by
    /// their stamps against the wall clock, which fits records arriving
    /// live; a reader of a log that may be old passes `agingEvents: false`
    /// until its input has been quiet long enough, so an event whose
    /// records it has only partly read is not cut.
    public func tick(agingEvents: Bool = true) throws {
        let now = Clock.monotonicMs()
        if agingEvents && parser.hasPendingEvents { try parser.ageEvents() }
        for node in trackers.keys {
            note(gaps: trackers[node]!.expire(now: now), node: node)
        }
        try commitIfDue(now: now)
    }

    /// When `tick` must run next (monotonic ms), or nil when nothing waits:
    /// an idle collector sleeps until records arrive.
    public var nextDeadline: Int64? {
        var deadline: Int64?
        if let since = pendingSince { deadline = since + maxDelayMs }
        if parser.hasPendingEvents || trackers.values.contains(where: \.isWaiting) {
            let soon = Clock.monotonicMs() + 500
            deadline = min(deadline ?? soon, soon)
        }
        return deadline
    }

    /// Commits now, whatever is waiting.
    public func commit() throws {
        guard !pending.isEmpty || !pendingRows.isEmpty else { return }
        try writer.submit(.init(events: pending, coverage: pendingRows, source: source))
        pending.removeAll(keepingCapacity: true)
        pendingRows.removeAll()
        pendingSince = nil
    }

    /// At stop: auparse gives up what it holds, waiting serials are settled,
    /// the rows `final` makes from the final counts are added, and everything
    /// is committed before returning. A source that can read its input again
    /// (a followed file, from its cursor) passes `flushParser: false`:
    /// events auparse has not completed are left to the next run instead of
    /// being stored in part.
    @discardableResult
    public func finish<T>(flushParser: Bool = true, final: (Counters) -> (T, [CoverageRow])) throws -> T {
        if flushParser { try parser.finish() }
        counters.records = parser.recordCount
        for node in trackers.keys { note(gaps: trackers[node]!.flush(), node: node) }
        let (result, rows) = final(counters)
        pendingRows += rows
        try commit()
        try writer.finish()
        return result
    }

    /// Bytes of input consumed before which every record is in an event
    /// already accepted here (`AuditLogParser.settledOffset()`).
    public func settledOffset() -> Int64 { parser.settledOffset() }

    /// Events stored so far (not counting duplicates of stored events).
    public var stored: Int { writer.inserted }

    private func commitIfDue(now: Int64) throws {
        if pending.count >= batchEvents { try commit(); return }
        if let since = pendingSince, now - since >= maxDelayMs { try commit() }
    }

    private func accept(_ parsed: AuditEvent) {
        var event = parsed
        event.part = parts.next(node: event.node, timeMs: event.timeMs, serial: event.serial, types: event.recordTypes)
        counters.events += 1
        if !(1200...1299).contains(event.recordTypes.first ?? 0) {
            let now = Clock.monotonicMs()
            var tracker = trackers[event.node] ?? LiveSerialTracker(floor: event.node.isEmpty ? gapFloor : nil)
            note(gaps: tracker.add(serial: event.serial, timeMs: event.timeMs, now: now), node: event.node)
            trackers[event.node] = tracker
        }
        pending.append(event)
        if pendingSince == nil { pendingSince = Clock.monotonicMs() }
    }

    private func note(gaps: [LiveSerialTracker.Gap], node: String) {
        for gap in gaps {
            counters.gaps += 1
            counters.missingSerials += gap.missing
            pendingRows.append(CoverageRow(
                kind: .serialGap, source: source, node: node,
                firstSerial: gap.firstSerial, lastSerial: gap.lastSerial,
                firstTimeMs: gap.beforeTimeMs, lastTimeMs: gap.beforeTimeMs, count: gap.missing))
        }
    }
}
