import Foundation
import GRDB

extension Ledger {
    /// One collector run as the ledger tells it: its start, how it ended,
    /// the rule sets it loaded and the sensor it ran.
    public struct Run: Sendable {
        public enum End: String, Sendable {
            /// No end row, and its pid is not a collector now (or not checked).
            case open
            /// No end row, the last run, and its pid is an auditqd process.
            case running
            /// A stop row.
            case stopped
            /// The next start found no stop row (killed, crashed, power cut).
            case crashed
        }
        public var source: String
        /// The coverage row id of the start row.
        public var startRow: Int64
        public var start: Start?
        public var startedMs: Int64
        /// When the stop row says it stopped; a crashed run ends at its start
        /// (nothing says how long it collected).
        public var endedMs: Int64?
        public var end: End
        public var stop: Stop?
        /// The rule sets the run loaded (at start, then on each SIGHUP).
        public var ruleLoads: [RuleLoad] = []
        public var sensor: SensorState?

        /// A stop row or a later unclean-stop row closed the run.
        public var ended: Bool { end == .stopped || end == .crashed }
    }

    /// A `rules_loaded` row.
    public struct RuleLoad: Sendable {
        public var loadedMs: Int64
        public var source: String?
        /// The rules the set adds.
        public var count: Int64
        /// nil when the row's detail does not decode.
        public var set: RulesLoaded?

        public init(loadedMs: Int64, source: String?, count: Int64, set: RulesLoaded?) {
            self.loadedMs = loadedMs; self.source = source; self.count = count; self.set = set
        }
    }

    /// The collector runs of a store, and what they loaded, in ledger order.
    public struct History: Sendable {
        public var runs: [Run] = []
        /// Every rule set loaded into the store's kernel by a collector, oldest first.
        public var ruleLoads: [RuleLoad] = []
        /// The latest sensor row.
        public var sensor: SensorState?
    }

    /// Reads the runs: a start row opens one, its source's stop row or the
    /// next start's unclean-stop row closes it; rules_loaded and sensor rows
    /// belong to the run open when they were written. The last run, when
    /// open, is `running` if `isRunning` says its pid is a live collector.
    public static func history(_ db: Database, isRunning: (Int32) -> Bool = Ledger.isCollector) throws -> History {
        var history = History()
        func open(_ source: String?) -> Int? {
            history.runs.lastIndex { $0.source == source && $0.end == .open }
        }
        for row in try rows(db, kinds: [.collectorStart, .collectorStop, .uncleanStop, .rulesLoaded, .sensor]) {
            switch row.kind {
            case .collectorStart:
                history.runs.append(Run(source: row.source ?? "", startRow: row.id, start: row.payload(Start.self),
                                        startedMs: row.timeMs, end: .open))
            case .collectorStop:
                if let i = open(row.source) {
                    history.runs[i].endedMs = row.lastTimeMs ?? row.recordedMs
                    history.runs[i].stop = row.payload(Stop.self)
                    history.runs[i].end = .stopped
                }
            case .uncleanStop:
                // Written by the next start, before its own start row.
                if let i = open(row.source) {
                    history.runs[i].endedMs = history.runs[i].startedMs
                    history.runs[i].end = .crashed
                }
            case .rulesLoaded:
                let load = RuleLoad(loadedMs: row.timeMs, source: row.source, count: row.count ?? 0,
                                    set: row.payload(RulesLoaded.self))
                history.ruleLoads.append(load)
                if let i = open(row.source) ?? history.runs.indices.last(where: { !history.runs[$0].ended }) {
                    history.runs[i].ruleLoads.append(load)
                }
            case .sensor:
                let sensor = row.payload(SensorState.self)
                history.sensor = sensor
                if let i = history.runs.indices.last(where: { !history.runs[$0].ended }) {
                    history.runs[i].sensor = sensor
                }
            default: break
            }
        }
        if let last = history.runs.indices.last, history.runs[last].end == .open,
           let pid = history.runs[last].start?.pid, isRunning(pid) {
            history.runs[last].end = .running
        }
        return history
    }

    /// /proc/PID/comm says auditqd (a recycled pid is not our collector).
    public static func isCollector(_ pid: Int32) -> Bool {
        guard pid > 0, let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8) else { return false }
        return comm.trimmingCharacters(in: .whitespacesAndNewlines) == "auditqd"
    }
}
