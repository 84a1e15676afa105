/// Keeps each record line as read until auparse places it in an event, then
/// gives the event its raw text from those lines: the records auparse
/// reported, matched by type in arrival order, with any line auparse passed
/// over in between (and a trailing EOE) kept in place.
///
/// Per line it allocates nothing in the steady state: the bytes go into one
/// arena (compacted now and then), the lines into a slab of reused slots,
/// linked per stamp; stamps are keyed by integers (the node by a number of
/// its own) and record types compared as numbers.
struct RecordLines {
    private struct Stamp: Hashable {
        var timeMs: Int64
        var serial: Int64
        var node: Int32
    }

    private struct Line {
        var start: Int
        var count: Int
        /// The record type number this line's name is auditd's name of, or a
        /// negative number of its own for a name no record type prints as.
        var type: Int32
        /// `AuditNames.recordType(named:)` of the name, 0 for none.
        var recordType: Int32
        /// Where the line began in the parser's input (bytes since the first).
        var offset: Int64
        /// The next line of the same stamp, or -1.
        var next: Int32
    }

    /// The first line of each stamp's lines.
    private var pending: [Stamp: Int32] = [:]
    private var slab: [Line] = []
    private var freeSlots: [Int32] = []
    private var arena: [UInt8] = []
    private var spareArena: [UInt8] = []
    private var compactAt = 1 << 20
    /// The stamp of the line added last and its slot, while that is its
    /// stamp's last line (consecutive lines mostly share a stamp).
    private var lastStamp = Stamp(timeMs: 0, serial: 0, node: -1)
    private var lastSlot: Int32 = -1
    /// The stamp's seconds of the line added last (auparse's clock for ending events).
    private var lastSeconds: Int64 = .min
    private var types = TypeNames()
    private var nodes = NodeNumbers()

    /// `header` is `LogLineChecker.header(line)`.
    mutating func add(_ line: UnsafeBufferPointer<UInt8>, header h: LogLineChecker.Header, offset: Int64) {
        let node = h.node.map { nodes.number(UnsafeBufferPointer(rebasing: line[$0])) } ?? 0
        // The same arithmetic as auparse's stamp, so the keys meet.
        let stamp = Stamp(timeMs: h.seconds &* 1000 &+ h.millis, serial: h.serial, node: node)
        let (type, recordType) = types.numbers(UnsafeBufferPointer(rebasing: line[h.type]))
        if arena.count >= compactAt { compact() }
        let start = arena.count
        arena.append(contentsOf: line)
        let entry = Line(start: start, count: line.count, type: type, recordType: recordType, offset: offset, next: -1)
        let slot: Int32
        if let reused = freeSlots.popLast() {
            slot = reused
            slab[Int(slot)] = entry
        } else {
            slot = Int32(slab.count)
            slab.append(entry)
        }
        if lastSlot >= 0 && stamp == lastStamp {
            slab[Int(lastSlot)].next = slot
        } else if let head = pending[stamp] {
            var tail = head
            while slab[Int(tail)].next >= 0 { tail = slab[Int(tail)].next }
            slab[Int(tail)].next = slot
        } else {
            pending[stamp] = slot
        }
        lastStamp = stamp
        lastSlot = slot
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
        for (stamp, head) in pending {
            if stamp.timeMs / 1000 + 2 < lastSeconds { stale.append(stamp); continue }
            let first = slab[Int(head)].offset
            oldest = min(oldest ?? first, first)
        }
        for stamp in stale {
            if let head = pending.removeValue(forKey: stamp) { release(from: head, to: -1) }
        }
        if !stale.isEmpty { lastSlot = -1 }
        return oldest
    }

    /// Sets the event's raw text from the lines read; false when they cannot
    /// be matched to auparse's records (the caller falls back to auparse's text).
    mutating func takeRaw(for event: inout AuditEvent) -> Bool {
        guard let node = event.node.isEmpty ? 0 : nodes.known(event.node) else { return false }
        let stamp = Stamp(timeMs: event.timeMs, serial: event.serial, node: node)
        guard let head = pending.removeValue(forKey: stamp) else { return false }
        lastSlot = -1
        // The lines taken are those from `head` up to `rest`.
        var rest = head
        var matchedAll = true
        for type in event.recordTypes {
            var i = rest
            while i >= 0 && slab[Int(i)].type != type { i = slab[Int(i)].next }
            guard i >= 0 else { matchedAll = false; break }
            rest = slab[Int(i)].next
        }
        while matchedAll && rest >= 0 && slab[Int(rest)].type == EventBuilder.eoeType {
            rest = slab[Int(rest)].next
        }
        if rest >= 0 { pending[stamp] = rest }
        guard matchedAll, rest != head else {
            release(from: head, to: rest)
            return false
        }
        var size = 0
        var count = 0
        var i = head
        while i != rest { size += slab[Int(i)].count + 1; count += 1; i = slab[Int(i)].next }
        var raw: [UInt8] = []
        raw.reserveCapacity(size)
        arena.withUnsafeBufferPointer { bytes in
            var i = head
            while i != rest {
                let line = slab[Int(i)]
                raw.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[line.start..<(line.start + line.count)]))
                raw.append(0x0A)
                i = line.next
            }
        }
        event.raw = raw
        if count != event.recordTypes.count {
            var types: [Int32] = []
            types.reserveCapacity(count)
            var i = head
            while i != rest { types.append(slab[Int(i)].recordType); i = slab[Int(i)].next }
            event.recordTypes = types
        }
        release(from: head, to: rest)
        return true
    }

    /// Frees the slots of the lines from `head` up to (not including) `end`.
    private mutating func release(from head: Int32, to end: Int32) {
        var i = head
        while i != end && i >= 0 {
            freeSlots.append(i)
            i = slab[Int(i)].next
        }
        if pending.isEmpty {
            // Nothing held: the arena starts over.
            arena.removeAll(keepingCapacity: true)
            compactAt = 1 << 20
        }
    }

    /// Copies the bytes of the lines still held to the start of a fresh arena.
    private mutating func compact() {
        spareArena.removeAll(keepingCapacity: true)
        for (_, head) in pending {
            var i = head
            while i >= 0 {
                let line = slab[Int(i)]
                let start = spareArena.count
                spareArena.append(contentsOf: arena[line.start..<(line.start + line.count)])
                slab[Int(i)].start = start
                i = line.next
            }
        }
        swap(&arena, &spareArena)
        compactAt = max(1 << 20, arena.count * 2)
    }
}

/// Record type names as read (`type=NAME`) to the numbers the lines are
/// matched by: each distinct name is looked up once.
private struct TypeNames {
    /// Names of up to 16 bytes, packed, searched in a short list first.
    private struct Packed: Hashable {
        var low: UInt64
        var high: UInt64
    }

    private var recent: [(name: Packed, type: Int32, recordType: Int32)] = []
    private var packed: [Packed: (Int32, Int32)] = [:]
    private var long: [String: (Int32, Int32)] = [:]
    private var unnamed: Int32 = 0

    mutating func numbers(_ name: UnsafeBufferPointer<UInt8>) -> (type: Int32, recordType: Int32) {
        guard name.count <= 16 else {
            let text = String(decoding: name, as: UTF8.self)
            if let known = long[text] { return known }
            let found = lookUp(text)
            long[text] = found
            return found
        }
        var key = Packed(low: 0, high: 0)
        for (i, c) in name.enumerated() {
            if i < 8 { key.low |= UInt64(c) << (8 * UInt64(i)) } else { key.high |= UInt64(c) << (8 * UInt64(i - 8)) }
        }
        for entry in recent where entry.name == key { return (entry.type, entry.recordType) }
        if let known = packed[key] { return known }
        let found = lookUp(String(decoding: name, as: UTF8.self))
        if recent.count < 32 { recent.append((key, found.0, found.1)) } else { packed[key] = found }
        return found
    }

    /// The number a line of this name matches: the type whose name auditd
    /// writes is exactly this one (else a negative number of its own).
    private mutating func lookUp(_ name: String) -> (Int32, Int32) {
        let number = AuditNames.recordType(named: name)
        if let number, AuditNames.recordType(number) == name { return (number, number) }
        unnamed -= 1
        return (unnamed, number ?? 0)
    }
}

/// Node names (`node=N`) to small numbers, 0 for none.
private struct NodeNumbers {
    private var numbers: [String: Int32] = [:]
    private var last: [UInt8] = []
    private var lastNumber: Int32 = 0

    mutating func number(_ name: UnsafeBufferPointer<UInt8>) -> Int32 {
        if name.isEmpty { return 0 }  // the same stamp as no node
        if lastNumber != 0 && name.elementsEqual(last) { return lastNumber }
        let text = String(decoding: name, as: UTF8.self)
        let n: Int32
        if let known = numbers[text] { n = known } else {
            n = Int32(numbers.count + 1)
            numbers[text] = n
        }
        last = Array(name)
        lastNumber = n
        return n
    }

    func known(_ name: String) -> Int32? { numbers[name] }
}
