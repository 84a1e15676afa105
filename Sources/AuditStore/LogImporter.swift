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
        var options = Ingest.Options.file
        options.batchEvents = batchSize
        let ingest = try Ingest(thread: thread, source: "import:" + input.name, options: options)
        var parseError: Error?
        do {
            try ingest.consume(input) { done in progress?(input.name, done, input.byteSize, ingest.counters.events) }
        } catch {
            parseError = error
        }
        let unstamped = ingest.unstamped
        var notes: [String] = []
        if let line = unstamped.firstLine {
            notes.append("\(unstamped.count) record(s) without an audit(time:serial) stamp passed over, first at line \(line)")
        }
        if let parseError { notes.append("stopped: \(parseError)") }
        let counters = try ingest.finishInput(flushParser: false) { counters in
            (counters, [CoverageRow(kind: .import, source: input.name,
                                    firstTimeMs: counters.firstTimeMs, lastTimeMs: counters.lastTimeMs,
                                    count: Int64(counters.events), detail: notes.isEmpty ? nil : notes.joined(separator: "; "))])
        }
        summary.files += 1
        summary.records += counters.records
        summary.unstamped += unstamped.count
        summary.events += counters.events
        summary.gaps += counters.gaps
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
