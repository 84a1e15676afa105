/// Finds missing serials in the kernel's audit numbering as events flow, per
/// node and per boot, in bounded memory: the one gap finder of every source
/// (an imported file, the kernel socket, auditd's plugin stream, a followed
/// log). The kernel numbers events in the order they start but sends them as
/// they end, so a serial may arrive a little after a higher one: a serial is
/// missing only once higher serials have waited `settleMs` (on the caller's
/// clock) or more than `window` serials wait behind it.
///
/// Serials restart at each boot (a far lower serial stamped more than
/// `rebootDelayMs` after the highest one) and wrap at 2^32 (a serial near 0
/// right after one near 2^32 continues the sequence). auditd's own DAEMON_*
/// records (1200–1299) have their own numbering and are left out.
/// A pure type: the caller passes the clock (`now`): the monotonic clock for
/// a live stream, the events' own stamps for a file.
public struct SerialGapTracker: Sendable {
    public struct Gap: Equatable, Sendable {
        public var node: String
        /// First and last missing serial, as logged (32 bits).
        public var firstSerial: Int64
        public var lastSerial: Int64
        /// Stamps of the events on either side of the gap (the one before is
        /// unknown, 0, for a gap that starts at a restart's floor).
        public var afterTimeMs: Int64
        public var beforeTimeMs: Int64
        public var missing: Int64 { (lastSerial - firstSerial + Self.modulus) % Self.modulus + 1 }

        public init(node: String, firstSerial: Int64, lastSerial: Int64, afterTimeMs: Int64, beforeTimeMs: Int64) {
            self.node = node; self.firstSerial = firstSerial; self.lastSerial = lastSerial
            self.afterTimeMs = afterTimeMs; self.beforeTimeMs = beforeTimeMs
        }

        static let modulus: Int64 = 1 << 32
    }

    /// auditd's DAEMON_START, DAEMON_END … records: numbered by auditd, not the kernel.
    public static func isDaemonRecord(_ type: Int32) -> Bool { (1200...1299).contains(type) }

    public let settleMs: Int64
    public let window: Int
    static let rebootDelayMs: Int64 = 2000
    static let wrapZone: Int64 = 1 << 24

    private var sequences: [String: Sequence] = [:]

    public init(settleMs: Int64 = 2000, window: Int = 65_536) {
        self.settleMs = settleMs
        self.window = window
    }

    /// The highest serial already stored for `node` in this boot (a restart
    /// continues from it), so what was lost across the restart is a gap.
    public mutating func setFloor(node: String, serial: Int64) {
        sequences[node] = Sequence(floor: serial, floorTimeMs: 0)
    }

    /// The highest serial of `node` below which nothing waits.
    public func floor(node: String) -> Int64? { sequences[node]?.floor.map { $0 % Gap.modulus } }

    /// True while some serial waits for a lower one.
    public var isWaiting: Bool { sequences.values.contains { !$0.ahead.isEmpty } }

    /// Notes one event; returns the gaps that became certain.
    public mutating func add(node: String, serial: Int64, timeMs: Int64, firstRecordType: Int32, now: Int64) -> [Gap] {
        if Self.isDaemonRecord(firstRecordType) { return [] }
        var sequence = sequences[node] ?? Sequence()
        var found = sequence.add(serial: serial, timeMs: timeMs, now: now, tracker: self)
        found += sequence.expire(now: now, tracker: self)
        sequences[node] = sequence
        return found.map { $0.gap(node: node) }
    }

    /// Gaps whose wait passed `settleMs`: call on a timer while `isWaiting`.
    public mutating func expire(now: Int64) -> [Gap] {
        var found: [Gap] = []
        for node in sequences.keys.sorted() {
            found += sequences[node]!.expire(now: now, tracker: self).map { $0.gap(node: node) }
        }
        return found
    }

    /// At the end of the input or stop: everything still waiting is declared.
    public mutating func flush() -> [Gap] {
        var found: [Gap] = []
        for node in sequences.keys.sorted() {
            found += sequences[node]!.flush().map { $0.gap(node: node) }
        }
        return found
    }

    /// One node's numbering in one boot; serials are unwrapped (wraps × 2^32
    /// added) so they only rise.
    private struct Sequence: Sendable {
        struct Found {
            var first: Int64, last: Int64, after: Int64, before: Int64
            func gap(node: String) -> Gap {
                Gap(node: node, firstSerial: first % Gap.modulus, lastSerial: last % Gap.modulus,
                    afterTimeMs: after, beforeTimeMs: before)
            }
        }

        var floor: Int64?
        var floorTimeMs: Int64 = 0
        var ahead: [Int64: Int64] = [:]   // unwrapped serial → stamp
        var waitingSince: Int64?
        var lastTimeMs: Int64 = .min
        var wraps: Int64 = 0

        init(floor: Int64? = nil, floorTimeMs: Int64 = 0) {
            self.floor = floor
            self.floorTimeMs = floorTimeMs
        }

        mutating func add(serial logged: Int64, timeMs: Int64, now: Int64, tracker: SerialGapTracker) -> [Found] {
            defer { lastTimeMs = max(lastTimeMs, timeMs) }
            guard let current = floor else {
                floor = logged
                floorTimeMs = timeMs
                return []
            }
            var serial = logged + wraps * Gap.modulus
            var found: [Found] = []
            if serial <= current {
                let top = max(current, ahead.keys.max() ?? current)
                if top % Gap.modulus > Gap.modulus - SerialGapTracker.wrapZone && logged < SerialGapTracker.wrapZone {
                    wraps += 1
                    serial += Gap.modulus
                } else if lastTimeMs != .min && timeMs > lastTimeMs + SerialGapTracker.rebootDelayMs {
                    // Lower, and stamped well after the highest: events are
                    // stamped as they start, so this is a new boot's numbering.
                    found = flush()
                    self = Sequence(floor: logged, floorTimeMs: timeMs)
                    return found
                }
            }
            if serial <= current || ahead[serial] != nil { return found }
            if serial == current + 1 {
                floor = serial
                floorTimeMs = timeMs
                advance()
            } else {
                if ahead.isEmpty { waitingSince = now }
                ahead[serial] = timeMs
            }
            while ahead.count > tracker.window { found += settle() }
            return found
        }

        mutating func expire(now: Int64, tracker: SerialGapTracker) -> [Found] {
            guard let since = waitingSince, now - since >= tracker.settleMs else { return [] }
            let found = settle()
            if !ahead.isEmpty { waitingSince = now }
            return found
        }

        mutating func flush() -> [Found] {
            var found: [Found] = []
            while !ahead.isEmpty { found += settle() }
            return found
        }

        /// Declares the serials below the lowest waiting one missing.
        private mutating func settle() -> [Found] {
            guard let current = floor, let next = ahead.keys.min() else { return [] }
            let gap = Found(first: current + 1, last: next - 1, after: floorTimeMs, before: ahead[next] ?? 0)
            floor = next - 1
            advance()
            return [gap]
        }

        private mutating func advance() {
            guard var current = floor else { return }
            while let time = ahead.removeValue(forKey: current + 1) {
                current += 1
                floorTimeMs = time
            }
            floor = current
            if ahead.isEmpty { waitingSince = nil }
        }
    }
}
