/// Finds missing serials in a live record stream of one boot, as it flows,
/// in bounded memory. The kernel numbers events in the order they start but
/// sends them as they end, so a serial may arrive a little after a higher
/// one: a serial counts as missing only once higher serials have been seen
/// for `settleMs`, or when more than `window` serials wait behind it.
/// A pure type: the caller passes the clock.
public struct LiveSerialTracker: Sendable {
    public struct Gap: Equatable, Sendable {
        public var firstSerial: Int64
        public var lastSerial: Int64
        /// Stamp of the first event seen after the gap.
        public var beforeTimeMs: Int64
        public var missing: Int64 { lastSerial - firstSerial + 1 }
    }

    /// Every serial up to this one has been seen (or declared missing).
    public private(set) var floor: Int64?
    private var ahead: Set<Int64> = []
    private var aheadTimes: [Int64: Int64] = [:]
    /// When the oldest wait for `floor + 1` began (monotonic ms).
    private var waitingSince: Int64?
    private var lastTimeMs: Int64 = 0
    public let settleMs: Int64
    public let window: Int

    /// `floor`: the highest serial already stored for this boot, if any, so
    /// that what was lost across a restart shows as a gap.
    public init(floor: Int64? = nil, settleMs: Int64 = 2000, window: Int = 65_536) {
        self.floor = floor
        self.settleMs = settleMs
        self.window = window
    }

    /// Notes one event's serial; returns gaps that became certain.
    public mutating func add(serial: Int64, timeMs: Int64, now: Int64) -> [Gap] {
        defer { lastTimeMs = max(lastTimeMs, timeMs) }
        guard let current = floor else {
            floor = serial
            return []
        }
        if serial + Int64(window) < current && timeMs > lastTimeMs + settleMs {
            // Far lower and later: a new boot restarted the numbering.
            let gaps = flush()
            floor = serial
            return gaps
        }
        if serial <= current || ahead.contains(serial) { return [] }
        if serial == current + 1 {
            floor = serial
            advance()
        } else {
            if ahead.isEmpty { waitingSince = now }
            ahead.insert(serial)
            aheadTimes[serial] = timeMs
        }
        return ahead.count > window ? settle() : []
    }

    /// Gaps that waited past `settleMs`; call on a timer while serials wait.
    public mutating func expire(now: Int64) -> [Gap] {
        guard let since = waitingSince, now - since >= settleMs else { return [] }
        return settle()
    }

    /// At stop: everything still waiting is declared.
    public mutating func flush() -> [Gap] {
        var gaps: [Gap] = []
        while !ahead.isEmpty { gaps += settle() }
        return gaps
    }

    public var isWaiting: Bool { !ahead.isEmpty }

    /// Declares the serials below the lowest waiting one missing.
    private mutating func settle() -> [Gap] {
        guard let current = floor, let next = ahead.min() else { return [] }
        let gap = Gap(firstSerial: current + 1, lastSerial: next - 1, beforeTimeMs: aheadTimes[next] ?? 0)
        floor = next - 1
        advance()
        waitingSince = ahead.isEmpty ? nil : waitingSince
        return [gap]
    }

    private mutating func advance() {
        guard var current = floor else { return }
        while ahead.remove(current + 1) != nil {
            current += 1
            aheadTimes[current] = nil
        }
        floor = current
        if ahead.isEmpty { waitingSince = nil }
    }
}
