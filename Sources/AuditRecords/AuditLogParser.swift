/// Reads audit.log text in chunks of any size, checks every line, and feeds
/// the good ones to libauparse; events come out through `onEvent` as auparse
/// completes them. A chunked feed gives the same events as the whole buffer.
/// The first bad line stops the parser with a `LogFormatError`; events still
/// open in auparse at that point are dropped, never emitted half-built.
public final class AuditLogParser {
    public let source: String
    /// Lines consumed so far (1-based number of the last complete line).
    public private(set) var lineNumber = 0
    public private(set) var recordCount = 0
    /// Records without an audit(time:serial) stamp, passed over, and the first one's line.
    public private(set) var unstampedCount = 0
    public private(set) var firstUnstampedLine: Int?
    private var carry: [UInt8] = []
    /// Bytes of input consumed in whole lines (a partial last line not counted).
    private var wholeLineBytes: Int64 = 0
    private var feed: AuparseFeed!
    /// The lines fed to auparse and not yet part of an event, by stamp: an
    /// event's raw text is made of these, so it is stored byte for byte as
    /// read (auparse's record text drops an ENRICHED line's bare \x1d and some
    /// EOE records).
    private var lines = RecordLines()
    /// Set at a bad line: auparse is flushed for the events it holds, and
    /// only those known to be whole are passed on.
    private var salvaging = false

    /// Records from the kernel socket end each multi-record event with an
    /// EOE record that auditd does not write: auparse still gets it (it ends
    /// the event at once), but the stored event matches auditd's log.
    private let dropsEndOfEvent: Bool

    public init(source: String, dropsEndOfEvent: Bool = false, onEvent: @escaping (AuditEvent) throws -> Void) throws {
        self.source = source
        self.dropsEndOfEvent = dropsEndOfEvent
        feed = try AuparseFeed { [unowned self] cursor in
            var event = EventBuilder.build(cursor)
            if self.salvaging && !Self.isWhole(event) { return }
            if self.dropsEndOfEvent && event.recordTypes.count > 1 {
                event.recordTypes.removeAll { $0 == EventBuilder.eoeType }
            }
            if !self.lines.takeRaw(for: &event) { event.raw = EventBuilder.auparseRaw(cursor) }
            try onEvent(event)
        }
    }

    /// Ends with EOE, or is a lone record of a type that stands alone (not 13xx).
    static func isWhole(_ event: AuditEvent) -> Bool {
        guard let last = event.recordTypes.last else { return false }
        if last == EventBuilder.eoeType { return true }
        return event.recordTypes.count == 1 && !(1300...1399).contains(last)
    }

    /// Stops at a bad line: whole events auparse still holds come out first.
    private func fail(_ reason: String) throws -> Never {
        salvaging = true
        try feed.flush()
        throw LogFormatError(source: source, line: lineNumber, reason: reason)
    }

    /// Reads a whole input through the parser.
    public func consume(_ input: LogInput, chunkSize: Int = 1 << 20, progress: ((Int64) -> Void)? = nil) throws {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = try input.read(into: buffer, count: chunkSize)
            if n == 0 { break }
            try consume(UnsafeRawBufferPointer(start: buffer, count: n))
            progress?(input.consumedBytes)
        }
        try finish()
    }

    public func consume(_ chunk: UnsafeRawBufferPointer) throws {
        guard chunk.count > 0 else { return }
        var rest = chunk.bindMemory(to: UInt8.self)
        if !carry.isEmpty {
            // Only the line the last chunk cut is joined; the rest is read in place.
            guard let nl = memchr(chunk.baseAddress!, 0x0A, chunk.count) else {
                carry.append(contentsOf: chunk)
                return try checkCarryLength()
            }
            let head = UnsafeRawPointer(nl) - chunk.baseAddress! + 1
            carry.append(contentsOf: chunk[..<head])
            let joined = carry
            carry.removeAll(keepingCapacity: true)
            _ = try joined.withUnsafeBufferPointer { try consumeLines($0) }
            rest = UnsafeBufferPointer(rebasing: rest[head...])
        }
        let used = try consumeLines(rest)
        if used < rest.count { carry.append(contentsOf: rest[used...]) }
        try checkCarryLength()
    }

    private func checkCarryLength() throws {
        if carry.count > LogLineChecker.maxLineLength {
            lineNumber += 1
            try fail("line is longer than 64 KiB (\(carry.count)+ bytes)")
        }
    }

    /// End of input: checks a last line without a newline, then lets auparse
    /// emit every event it still holds.
    public func finish() throws {
        if !carry.isEmpty {
            let last = carry
            carry.removeAll()
            try last.withUnsafeBufferPointer { buf in
                lineNumber += 1
                let (verdict, header) = LogLineChecker.classify(buf, terminated: false)
                switch verdict {
                case .skip: break
                case .unstamped: noteUnstamped()
                case .bad(let reason): try fail(reason)
                case .record:
                    recordCount += 1
                    if let header { lines.add(buf, header: header, offset: wholeLineBytes) }
                    let terminated = Array(buf) + [0x0A]
                    try terminated.withUnsafeBytes { try feed.feed($0) }
                }
            }
        }
        try feed.flush()
    }

    /// Checks and feeds every complete line in `buf`; returns the bytes used.
    private func consumeLines(_ buf: UnsafeBufferPointer<UInt8>) throws -> Int {
        guard let base = buf.baseAddress else { return 0 }
        var lineStart = 0
        var runStart = 0  // start of the run of good lines not yet fed
        while lineStart < buf.count {
            guard let nl = memchr(base + lineStart, 0x0A, buf.count - lineStart) else { break }
            let lineEnd = UnsafePointer(nl.assumingMemoryBound(to: UInt8.self)) - base
            lineNumber += 1
            let line = UnsafeBufferPointer(start: base + lineStart, count: lineEnd - lineStart)
            let (verdict, header) = LogLineChecker.classify(line, terminated: true)
            switch verdict {
            case .record:
                if dropsEndOfEvent && Self.isEndOfEvent(line) { break }
                recordCount += 1
                if let header { lines.add(line, header: header, offset: wholeLineBytes + Int64(lineStart)) }
            case .skip, .unstamped:
                if case .unstamped = verdict { noteUnstamped() }
                try feedRun(base, from: runStart, to: lineStart)
                runStart = lineEnd + 1
            case .bad(let reason):
                try feedRun(base, from: runStart, to: lineStart)
                try fail(reason)
            }
            lineStart = lineEnd + 1
        }
        try feedRun(base, from: runStart, to: lineStart)
        wholeLineBytes += Int64(lineStart)
        return lineStart
    }

    /// The input offset (bytes since the first, whole lines only) before
    /// which every record line is part of an event already handed to
    /// `onEvent`: where a reader of a growing log can resume without losing
    /// a record auparse still holds. Lines after it may be in handed-on
    /// events too; reading them again gives the same events.
    public func settledOffset() -> Int64 {
        lines.oldestHeldOffset() ?? wholeLineBytes
    }

    /// True while auparse holds records of events it has not completed.
    public var hasPendingEvents: Bool { feed.hasPendingEvents }

    /// Lets auparse complete events that waited past its end-of-event timeout.
    public func ageEvents() throws { try feed.ageEvents() }

    private static let eoePrefix = Array("type=EOE ".utf8)

    private static func isEndOfEvent(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        line.count >= eoePrefix.count && zip(line, eoePrefix).allSatisfy { $0 == $1 }
    }

    private func noteUnstamped() {
        unstampedCount += 1
        if firstUnstampedLine == nil { firstUnstampedLine = lineNumber }
    }

    private func feedRun(_ base: UnsafePointer<UInt8>, from: Int, to: Int) throws {
        guard to > from else { return }
        try feed.feed(UnsafeRawBufferPointer(start: base + from, count: to - from))
    }
}

#if canImport(Glibc)
import Glibc
#endif
