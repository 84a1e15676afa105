/// Finds gaps in the kernel's audit serial sequence, per node and per boot,
/// as possible-loss ranges. Serials restart at each boot and wrap at 2^32;
/// auditd's own DAEMON_* records (1200–1299) have their own serial space and
/// are left out. A pure type: feed events in file order, then ask for gaps.
public struct SerialGapTracker {
    public struct Gap: Equatable, Sendable {
        public var node: String
        /// First and last missing serial (as logged, wrapped back to 32 bits).
        public var firstSerial: Int64
        public var lastSerial: Int64
        /// Times of the events on either side of the gap.
        public var afterTimeMs: Int64
        public var beforeTimeMs: Int64
        public var missing: Int64 { (lastSerial - firstSerial + (1 << 32)) % (1 << 32) + 1 }
    }

    private struct Segment {
        var serials: [(serial: Int64, timeMs: Int64)] = []
        var maxSerial: Int64 = -1
        var timeOfMax: Int64 = 0
        var wraps: Int64 = 0
    }

    private var segments: [String: [Segment]] = [:]
    /// A lower serial stamped this much later than the highest one is a new
    /// boot: within one boot serials and times rise together, and records
    /// arrive out of order by far less than this.
    static let rebootDelayMs: Int64 = 2000
    static let wrapZone: Int64 = 1 << 24

    public init() {}

    public mutating func add(node: String, serial: Int64, timeMs: Int64, firstRecordType: Int32) {
        if (1200...1299).contains(firstRecordType) { return }
        Self.add(serial: serial, timeMs: timeMs, to: &segments[node, default: [Segment()]])
    }

    private static func add(serial: Int64, timeMs: Int64, to list: inout [Segment]) {
        let last = list.count - 1
        var s = serial + list[last].wraps * (1 << 32)
        let top = list[last].maxSerial
        if top >= 0 && s < top {
            if top % (1 << 32) > (1 << 32) - wrapZone && serial < wrapZone {
                list[last].wraps += 1
                s = serial + list[last].wraps * (1 << 32)
            } else if timeMs > list[last].timeOfMax + rebootDelayMs {
                list.append(Segment())
                s = serial
            }
        }
        let i = list.count - 1
        list[i].serials.append((s, timeMs))
        if s > list[i].maxSerial { list[i].maxSerial = s; list[i].timeOfMax = timeMs }
    }

    public func gaps() -> [Gap] {
        var out: [Gap] = []
        for node in segments.keys.sorted() {
            for seg in segments[node]! {
                let sorted = seg.serials.sorted { $0.serial < $1.serial }
                for (a, b) in zip(sorted, sorted.dropFirst()) where b.serial > a.serial + 1 {
                    out.append(Gap(node: node, firstSerial: (a.serial + 1) % (1 << 32),
                                   lastSerial: (b.serial - 1) % (1 << 32),
                                   afterTimeMs: a.timeMs, beforeTimeMs: b.timeMs))
                }
            }
        }
        return out
    }
}
