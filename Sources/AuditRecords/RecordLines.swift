/// Keeps each record line as read until auparse places it in an event, then
/// gives the event its raw text from those lines: the records auparse
/// reported, matched by type in arrival order, with any line auparse passed
/// over in between (and a trailing EOE) kept in place.
struct RecordLines {
    struct Stamp: Hashable {
        var node: String
        var timeMs: Int64
        var serial: Int64
    }

    struct Line {
        var type: String
        var bytes: [UInt8]
        /// Where the line began in the parser's input (bytes since the first).
        var offset: Int64 = 0
    }

    private var pending: [Stamp: [Line]] = [:]
    /// The stamp's seconds of the line added last (auparse's clock for ending events).
    private var lastSeconds: Int64 = .min
    /// Type names by number, kept here so the per-record lookup takes no lock.
    private var typeNames: [Int32: String] = [:]

    mutating func add(_ line: UnsafeBufferPointer<UInt8>, offset: Int64 = 0) {
        guard let h = LogLineChecker.header(line) else { return }
        func text(_ r: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: line[r]), as: UTF8.self) }
        // The same arithmetic as auparse's stamp, so the keys meet.
        let stamp = Stamp(node: h.node.map(text) ?? "", timeMs: h.seconds &* 1000 &+ h.millis, serial: h.serial)
        pending[stamp, default: []].append(Line(type: text(h.type), bytes: Array(line), offset: offset))
        lastSeconds = h.seconds
    }

    /// The offset of the oldest line auparse may still hold in an event it
    /// has not completed, or nil when it holds none. Lines of an event more
    /// than 2 s older than the last record fed are not held (auparse
    /// completes such events as that record arrives): left over from an
    /// event auparse placed elsewhere, they are dropped here.
    mutating func oldestHeldOffset() -> Int64? {
        var oldest: Int64?
        var stale: [Stamp] = []
        for (stamp, queue) in pending {
            guard let first = queue.first else { continue }
            if stamp.timeMs / 1000 + 2 < lastSeconds { stale.append(stamp); continue }
            oldest = min(oldest ?? first.offset, first.offset)
        }
        for stamp in stale { pending[stamp] = nil }
        return oldest
    }

    /// Sets the event's raw text from the lines read; false when they cannot
    /// be matched to auparse's records (the caller falls back to auparse's text).
    mutating func takeRaw(for event: inout AuditEvent) -> Bool {
        let stamp = Stamp(node: event.node, timeMs: event.timeMs, serial: event.serial)
        guard var queue = pending.removeValue(forKey: stamp) else { return false }
        var taken: [Line] = []
        var matchedAll = true
        for type in event.recordTypes {
            let name: String
            if let known = typeNames[type] { name = known } else {
                name = AuditNames.recordType(type)
                typeNames[type] = name
            }
            guard let i = queue.firstIndex(where: { $0.type == name }) else { matchedAll = false; break }
            taken.append(contentsOf: queue[...i])
            queue.removeFirst(i + 1)
        }
        while matchedAll, let next = queue.first, next.type == "EOE" {
            taken.append(next)
            queue.removeFirst()
        }
        if !queue.isEmpty { pending[stamp] = queue }
        guard matchedAll, !taken.isEmpty else { return false }
        var raw: [UInt8] = []
        raw.reserveCapacity(taken.reduce(0) { $0 + $1.bytes.count + 1 })
        for line in taken {
            raw.append(contentsOf: line.bytes)
            raw.append(0x0A)
        }
        event.raw = raw
        if taken.count != event.recordTypes.count {
            event.recordTypes = taken.map { AuditNames.recordType(named: $0.type) ?? 0 }
        }
        return true
    }
}
