import AuditRecords
import Foundation

/// The one path every source feeds — an imported file, the kernel audit
/// socket, auditd's plugin stream, a followed log, the BPF sensor: record
/// lines grouped into events by libauparse (or events that need no grouping,
/// the sensor's), numbered where they share an identity, serial gaps found
/// as they flow, and committed through the writer thread in batches with the
/// ledger rows that belong to them in the same transaction.
///
/// A batch is committed when `batchEvents` events wait or, for a live
/// source, `maxDelayMs` after the first of them arrived. Memory is bounded:
/// at most `batchEvents` events wait here and the writer queue holds at most
/// three batches; when the disk falls behind, `consume` blocks.
public final class Ingest {
    public struct Options: Sendable {
        public var batchEvents = 4096
        /// The longest an event waits for its batch (a live source); nil:
        /// batches are cut by size only (a file read as fast as it goes).
        public var maxDelayMs: Int64? = 100
        /// Records from the kernel socket and the plugin stream end each
        /// multi-record event with an EOE record that auditd does not write.
        public var dropsEndOfEvent = false
        /// Settle serial gaps on the events' own stamps (a file) rather than
        /// the monotonic clock (a live stream).
        public var stampClock = false
        /// The highest serial stored for this boot (node ""), when restarting.
        public var gapFloor: Int64?
        /// More serial-gap rows than this in one run are summed up in one row.
        public var maxGapRows = 10_000
        /// A collector waits for space when the disk is full instead of
        /// failing (WriterThread.FullDisk); an import fails at once.
        public var fullDisk: WriterThread.FullDisk?

        public init() {}

        /// A file read through at full speed.
        public static var file: Options {
            var o = Options()
            o.batchEvents = 4096
            o.maxDelayMs = nil
            o.stampClock = true
            return o
        }
    }

    public struct Counters: Sendable {
        public var records = 0
        public var events = 0
        public var gaps = 0
        public var missingSerials: Int64 = 0
        public var firstTimeMs: Int64?
        public var lastTimeMs: Int64?
    }

    public let source: String
    public let options: Options
    private let writer: WriterThread
    private let ownsWriter: Bool
    private var parser: AuditLogParser!
    private var pending: [AuditEvent] = []
    private var pendingRows: [CoverageRow] = []
    private var pendingSince: Int64?
    private var parts = RecentIdentities()
    private var serials = SerialGapTracker()
    private var gapRows = 0
    private var unrecordedGaps: (count: Int, missing: Int64) = (0, 0)
    public private(set) var counters = Counters()

    /// A pipeline with a writer thread of its own, finished by `finish`.
    public convenience init(writer: EventWriter, source: String, options: Options = Options()) throws {
        try self.init(thread: WriterThread(writer: writer, fullDisk: options.fullDisk), source: source, options: options, ownsWriter: true)
    }

    /// A pipeline that shares `thread` with others (one import of several
    /// files); `finishInput` ends it, the owner finishes the thread.
    public convenience init(thread: WriterThread, source: String, options: Options = Options()) throws {
        try self.init(thread: thread, source: source, options: options, ownsWriter: false)
    }

    private init(thread: WriterThread, source: String, options: Options, ownsWriter: Bool) throws {
        self.source = source
        self.options = options
        self.writer = thread
        self.ownsWriter = ownsWriter
        pending.reserveCapacity(options.batchEvents)
        if let floor = options.gapFloor { serials.setFloor(node: "", serial: floor) }
        parser = try AuditLogParser(source: source, dropsEndOfEvent: options.dropsEndOfEvent) { [unowned self] event in
            try self.accept(event)
        }
    }

    // MARK: input

    /// Whole record lines, each ending in "\n" (a live source).
    public func consume(_ lines: UnsafeRawBufferPointer) throws {
        try parser.consume(lines)
        counters.records = parser.recordCount
        try commitIfDue(now: Clock.monotonicMs())
    }

    /// A whole input, read in chunks to its end; `progress` gets the bytes read.
    public func consume(_ input: LogInput, progress: ((Int64) -> Void)? = nil) throws {
        defer { counters.records = parser.recordCount }
        try parser.consume(input, progress: progress)
    }

    /// Events that need no grouping (the BPF sensor's): numbered like the
    /// others, outside the audit serial tracking, committed with the next batch.
    public func add(_ events: [AuditEvent]) throws {
        for event in events { try enqueue(event) }
        try commitIfDue(now: Clock.monotonicMs())
    }

    /// A ledger row, committed with the next batch.
    public func record(_ row: CoverageRow) {
        pendingRows.append(row)
        if pendingSince == nil { pendingSince = Clock.monotonicMs() }
    }

    // MARK: what the parser saw

    /// Records without an audit(time:serial) stamp passed over, and the first one's line.
    public var unstamped: (count: Int, firstLine: Int?) { (parser.unstampedCount, parser.firstUnstampedLine) }

    /// Bytes of input consumed before which every record is in an event
    /// already accepted here (`AuditLogParser.settledOffset()`).
    public func settledOffset() -> Int64 { parser.settledOffset() }

    /// Events stored so far by this pipeline's writer thread (not counting
    /// duplicates of stored events).
    public var stored: Int { writer.inserted }

    // MARK: time

    /// Runs the timers: events auparse holds past its timeout, serial gaps
    /// that have settled, and the batch deadline. auparse ages events by
    /// their stamps against the wall clock, which fits records arriving
    /// live; a reader of a log that may be old passes `agingEvents: false`
    /// until its input has been quiet long enough, so an event whose records
    /// it has only partly read is not cut.
    public func tick(agingEvents: Bool = true) throws {
        let now = Clock.monotonicMs()
        if agingEvents && parser.hasPendingEvents { try parser.ageEvents() }
        if !options.stampClock { note(serials.expire(now: now)) }
        try commitIfDue(now: now)
    }

    /// When `tick` must run next (monotonic ms), or nil when nothing waits:
    /// an idle collector sleeps until records arrive.
    public var nextDeadline: Int64? {
        var deadline: Int64?
        if let since = pendingSince, let delay = options.maxDelayMs { deadline = since + delay }
        if parser.hasPendingEvents || serials.isWaiting {
            let soon = Clock.monotonicMs() + 500
            deadline = min(deadline ?? soon, soon)
        }
        return deadline
    }

    // MARK: commits

    /// Commits now, whatever is waiting.
    public func commit() throws {
        guard !pending.isEmpty || !pendingRows.isEmpty else { return }
        try writer.submit(.init(events: pending, coverage: pendingRows, source: source))
        pending.removeAll(keepingCapacity: true)
        pendingRows.removeAll()
        pendingSince = nil
    }

    /// End of this input: auparse gives up what it holds (unless
    /// `flushParser` is false: a source that can read its input again, a
    /// followed file from its cursor, leaves events auparse has not
    /// completed to its next run instead of storing them in part), waiting
    /// serials are settled, the rows `final` makes from the final counts are
    /// added, and everything is handed to the writer thread.
    @discardableResult
    public func finishInput<T>(flushParser: Bool = true, final: (Counters) -> (T, [CoverageRow])) throws -> T {
        if flushParser { try parser.finish() }
        counters.records = parser.recordCount
        note(serials.flush())
        if unrecordedGaps.count > 0 {
            pendingRows.append(CoverageRow(kind: .serialGap, source: source,
                                           count: unrecordedGaps.missing,
                                           detail: "\(unrecordedGaps.count) further gaps summarised"))
            unrecordedGaps = (0, 0)
        }
        let (result, rows) = final(counters)
        pendingRows += rows
        try commit()
        return result
    }

    /// `finishInput`, then waits until the writer thread committed everything.
    @discardableResult
    public func finish<T>(flushParser: Bool = true, final: (Counters) -> (T, [CoverageRow])) throws -> T {
        let result = try finishInput(flushParser: flushParser, final: final)
        if ownsWriter { try writer.finish() }
        return result
    }

    private func commitIfDue(now: Int64) throws {
        if pending.count >= options.batchEvents { try commit(); return }
        if let since = pendingSince, let delay = options.maxDelayMs, now - since >= delay { try commit() }
    }

    // MARK: events

    private func accept(_ event: AuditEvent) throws {
        let now = options.stampClock ? event.timeMs : Clock.monotonicMs()
        note(serials.add(node: event.node, serial: event.serial, timeMs: event.timeMs,
                         firstRecordType: event.recordTypes.first ?? 0, now: now))
        try enqueue(event)
        if options.maxDelayMs == nil, pending.count >= options.batchEvents { try commit() }
    }

    private func enqueue(_ parsed: AuditEvent) throws {
        var event = parsed
        event.part = parts.next(node: event.node, timeMs: event.timeMs, serial: event.serial, types: event.recordTypes)
        counters.events += 1
        counters.firstTimeMs = min(counters.firstTimeMs ?? event.timeMs, event.timeMs)
        counters.lastTimeMs = max(counters.lastTimeMs ?? event.timeMs, event.timeMs)
        pending.append(event)
        if pendingSince == nil { pendingSince = Clock.monotonicMs() }
    }

    private func note(_ gaps: [SerialGapTracker.Gap]) {
        for gap in gaps {
            counters.gaps += 1
            counters.missingSerials += gap.missing
            guard gapRows < options.maxGapRows else {
                unrecordedGaps.count += 1
                unrecordedGaps.missing += gap.missing
                continue
            }
            gapRows += 1
            pendingRows.append(CoverageRow(
                kind: .serialGap, source: source, node: gap.node,
                firstSerial: gap.firstSerial, lastSerial: gap.lastSerial,
                firstTimeMs: gap.afterTimeMs == 0 ? gap.beforeTimeMs : gap.afterTimeMs,
                lastTimeMs: gap.beforeTimeMs, count: gap.missing))
        }
    }
}

/// Numbers events that share node, time, serial and record types within one
/// input. Such pieces arrive close together, so only a window of recent
/// identities is kept. Looked up by (serial, time) — two integers, cheap to
/// hash — with node and types compared only among the few that share them:
/// the first identity of a stamp is kept inline (no list to allocate per
/// event), any further ones aside.
struct RecentIdentities {
    struct Stamp: Hashable { var serial: Int64; var timeMs: Int64 }
    struct Seen { var node: String; var types: [Int32]; var count: Int64 }
    private var seen: [Stamp: Seen] = [:]
    private var more: [Stamp: [Seen]] = [:]
    private var order: [Stamp] = []
    private var head = 0
    static let window = 65_536

    init() {
        seen.reserveCapacity(Self.window)
        order.reserveCapacity(Self.window)
    }

    mutating func next(node: String, timeMs: Int64, serial: Int64, types: [Int32]) -> Int64 {
        let stamp = Stamp(serial: serial, timeMs: timeMs)
        if let i = seen.index(forKey: stamp) {
            if seen.values[i].node == node && seen.values[i].types == types {
                seen.values[i].count += 1
                return seen.values[i].count
            }
            var list = more.removeValue(forKey: stamp) ?? []
            defer { more[stamp] = list }
            if let j = list.firstIndex(where: { $0.node == node && $0.types == types }) {
                list[j].count += 1
                return list[j].count
            }
            list.append(Seen(node: node, types: types, count: 0))
            return 0
        }
        seen[stamp] = Seen(node: node, types: types, count: 0)
        if order.count < Self.window { order.append(stamp) } else {
            let old = order[head]
            seen[old] = nil
            if !more.isEmpty { more[old] = nil }
            order[head] = stamp
            head = (head + 1) % Self.window
        }
        return 0
    }
}
