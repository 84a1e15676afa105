import AuditRecords
import Foundation

/// `auditq import`: reads audit logs through libauparse into the store, in
/// batches of whole events. Rotated files are read oldest first; events
/// already stored (same node, time, serial and record types) are skipped;
/// serial gaps are recorded as possible loss. On bad input the whole events
/// read before the bad line are committed and the error is thrown.
public final class LogImporter {
    public struct Summary: Sendable {
        public var files = 0
        public var records = 0
        public var events = 0
        public var inserted = 0
        public var duplicates = 0
        public var gaps = 0
        public var unstamped = 0
        public var batches = 0
        public var seconds = 0.0
    }

    public typealias Progress = (_ file: String, _ bytesDone: Int64, _ bytesTotal: Int64?, _ events: Int) -> Void

    private let writer: EventWriter
    private let batchSize: Int
    /// More gap rows than this for one file are summarised in one row.
    static let maxGapRows = 10_000

    public init(writer: EventWriter, batchSize: Int = 8192) {
        self.writer = writer
        self.batchSize = batchSize
    }

    public func run(paths: [String], progress: Progress? = nil) throws -> Summary {
        let started = Date()
        var summary = Summary()
        let thread = WriterThread(writer: writer)
        var failure: Error?
        for path in Self.oldestFirst(paths) {
            do {
                try importOne(path, thread: thread, summary: &summary, progress: progress)
            } catch {
                failure = error
                break
            }
        }
        do { try thread.finish() } catch { if failure == nil { failure = error } }
        summary.inserted = thread.inserted
        summary.duplicates = thread.duplicates
        summary.batches = thread.batches
        summary.seconds = Date().timeIntervalSince(started)
        if let failure { throw ImportFailure(underlying: failure, summary: summary) }
        return summary
    }

    private func importOne(_ path: String, thread: WriterThread, summary: inout Summary, progress: Progress?) throws {
        let input = try LogInput(path: path)
        let source = "import:" + input.name
        var pending: [AuditEvent] = []
        pending.reserveCapacity(batchSize)
        var gaps = SerialGapTracker()
        var events = 0
        var parts = RecentIdentities()
        var firstTime = Int64.max, lastTime = Int64.min
        let parser = try AuditLogParser(source: input.name) { parsed in
            var event = parsed
            event.part = parts.next(node: event.node, timeMs: event.timeMs, serial: event.serial, types: event.recordTypes)
            gaps.add(node: event.node, serial: event.serial, timeMs: event.timeMs,
                     firstRecordType: event.recordTypes.first ?? 0)
            firstTime = min(firstTime, event.timeMs)
            lastTime = max(lastTime, event.timeMs)
            events += 1
            pending.append(event)
            if pending.count >= self.batchSize {
                try thread.submit(.init(events: pending, coverage: [], source: source))
                pending.removeAll(keepingCapacity: true)
            }
        }
        var parseError: Error?
        do {
            try parser.consume(input) { done in progress?(input.name, done, input.byteSize, events) }
        } catch {
            parseError = error
        }
        summary.files += 1
        summary.records += parser.recordCount
        summary.unstamped += parser.unstampedCount
        var notes: [String] = []
        if let line = parser.firstUnstampedLine {
            notes.append("\(parser.unstampedCount) record(s) without an audit(time:serial) stamp passed over, first at line \(line)")
        }
        if let parseError { notes.append("stopped: \(parseError)") }
        summary.events += events
        var coverage = [CoverageRow(
            kind: .import, source: input.name,
            firstTimeMs: events > 0 ? firstTime : nil, lastTimeMs: events > 0 ? lastTime : nil,
            count: Int64(events), detail: notes.isEmpty ? nil : notes.joined(separator: "; "))]
        let found = gaps.gaps()
        summary.gaps += found.count
        for gap in found.prefix(Self.maxGapRows) {
            coverage.append(CoverageRow(kind: .serialGap, source: input.name, node: gap.node,
                                        firstSerial: gap.firstSerial, lastSerial: gap.lastSerial,
                                        firstTimeMs: gap.afterTimeMs, lastTimeMs: gap.beforeTimeMs,
                                        count: gap.missing))
        }
        if found.count > Self.maxGapRows {
            let rest = found.dropFirst(Self.maxGapRows)
            coverage.append(CoverageRow(kind: .serialGap, source: input.name,
                                        count: rest.reduce(0) { $0 + $1.missing },
                                        detail: "\(rest.count) further gaps summarised"))
        }
        try thread.submit(.init(events: pending, coverage: coverage, source: source))
        if let parseError { throw parseError }
    }

    /// audit.log.3, audit.log.2, audit.log.1, audit.log: oldest first, as
    /// logrotate and auditd number them; other names keep their order.
    static func oldestFirst(_ paths: [String]) -> [String] {
        func rotation(_ p: String) -> (base: String, n: Int) {
            var name = p
            for ext in [".gz", ".xz"] where name.hasSuffix(ext) { name.removeLast(ext.count) }
            if let dot = name.lastIndex(of: "."), let n = Int(name[name.index(after: dot)...]) {
                return (String(name[..<dot]), n)
            }
            return (name, 0)
        }
        return paths.enumerated().sorted { a, b in
            let ra = rotation(a.element), rb = rotation(b.element)
            if ra.base == rb.base && ra.n != rb.n { return ra.n > rb.n }
            return a.offset < b.offset
        }.map(\.element)
    }
}

/// An import that stopped early; what was committed before is in `summary`.
public struct ImportFailure: Error, CustomStringConvertible {
    public let underlying: Error
    public let summary: LogImporter.Summary
    public var description: String { "\(underlying)" }
}

/// Numbers events that share node, time, serial and record types within one
/// input. Such pieces arrive close together, so only a window of recent
/// identities is kept.
public struct RecentIdentities {
    struct Identity: Hashable { var node: String; var timeMs: Int64; var serial: Int64; var types: [Int32] }
    private var seen: [Identity: Int64] = [:]
    private var order: [Identity] = []
    private var head = 0
    static let window = 65_536

    public init() {}

    public mutating func next(node: String, timeMs: Int64, serial: Int64, types: [Int32]) -> Int64 {
        let id = Identity(node: node, timeMs: timeMs, serial: serial, types: types)
        if let n = seen[id] { seen[id] = n + 1; return n + 1 }
        seen[id] = 0
        if order.count < Self.window { order.append(id) } else {
            seen[order[head]] = nil
            order[head] = id
            head = (head + 1) % Self.window
        }
        return 0
    }
}
