import AuditStore
import Foundation
import GRDB

/// What the ledger says about collection into a store: the collector runs
/// (mode, start, stop or crash), the rule set in force, events stored, and
/// every loss it recorded, folded into "complete from T1 to T2" or the list
/// of gaps. Readers only: nothing here writes.
public struct CollectionStatus: Sendable {
    public typealias Run = Ledger.Run

    public struct Gap: Sendable, Equatable {
        public enum Kind: String, Sendable {
            case serials, kernelLost = "kernel_lost", overrun, notCollecting = "not_collecting", sensorDrop = "sensor_drop"
            case unreadLog = "unread_log", skippedLine = "skipped_line", storeFull = "store_full"
        }
        public var kind: Kind
        public var fromMs: Int64?
        public var toMs: Int64?
        public var count: Int64?
        public var firstSerial: Int64?
        public var lastSerial: Int64?
        public var detail: String?
    }

    /// What the BPF sensor ran as in the latest run that started one.
    public var sensor: Ledger.SensorState?
    public var sensorDrops: Int64 = 0
    /// What learning's full maps kept out (`learn_full` rows): a loss of
    /// what `auditq profile` knows, not of events.
    public var learnFull: Int64 = 0
    public var runs: [Run] = []
    /// The latest rule set a collector loaded.
    public var rules: Ledger.RuleLoad?
    public var events = 0
    public var firstEventMs: Int64?
    public var lastEventMs: Int64?
    public var imports = 0
    public var gaps: [Gap] = []
    public var kernelLost: Int64 = 0
    public var overruns: Int64 = 0
    public var missingSerials: Int64 = 0

    public var current: Run? { runs.last }
    public var lost: Int64 { kernelLost + overruns + missingSerials }
    public var complete: Bool { gaps.isEmpty }

    /// The span collection covers: first start to the last stop (or now).
    public var span: (from: Int64, to: Int64)? {
        guard let first = runs.first else { return nil }
        let last = runs.last!
        return (first.startedMs, last.endedMs ?? max(lastEventMs ?? last.startedMs, Int64(Date().timeIntervalSince1970 * 1000)))
    }

    public static func read(_ store: EventStore, isRunning: (Int32) -> Bool = Ledger.isCollector) throws -> CollectionStatus {
        try store.pool.read { db in
            var status = CollectionStatus()
            let history = try Ledger.history(db, isRunning: isRunning)
            status.runs = history.runs
            status.rules = history.ruleLoads.last
            status.sensor = history.sensor
            let kinds: [Ledger.Kind] = [.kernelLost, .socketOverrun, .serialGap, .import, .followGap, .skippedLine, .sensorDrop, .storeFull, .learnFull]
            for row in try Ledger.rows(db, kinds: kinds) {
                switch row.kind {
                case .kernelLost:
                    status.kernelLost += row.count ?? 0
                    status.gaps.append(Gap(kind: .kernelLost, fromMs: row.firstTimeMs, toMs: row.firstTimeMs,
                                           count: row.count, detail: row.detail))
                case .socketOverrun:
                    status.overruns += row.count ?? 0
                    status.gaps.append(Gap(kind: .overrun, fromMs: row.firstTimeMs, toMs: row.firstTimeMs,
                                           count: row.count, detail: row.detail))
                case .serialGap:
                    // Import gaps describe the files imported, not collection.
                    guard status.runs.contains(where: { $0.source == row.source && $0.startRow < row.id }) else { continue }
                    status.missingSerials += row.count ?? 0
                    status.gaps.append(Gap(kind: .serials, fromMs: row.firstTimeMs, toMs: row.lastTimeMs, count: row.count,
                                           firstSerial: row.firstSerial, lastSerial: row.lastSerial))
                case .import:
                    status.imports += 1
                case .sensorDrop:
                    status.sensorDrops += row.count ?? 0
                    status.gaps.append(Gap(kind: .sensorDrop, fromMs: row.firstTimeMs, toMs: row.firstTimeMs,
                                           count: row.count, detail: row.detail))
                case .followGap:
                    status.gaps.append(Gap(kind: .unreadLog, fromMs: row.firstTimeMs, toMs: row.firstTimeMs, detail: row.detail))
                case .storeFull:
                    status.gaps.append(Gap(kind: .storeFull, fromMs: row.firstTimeMs, toMs: row.lastTimeMs, detail: row.detail))
                case .learnFull:
                    status.learnFull += row.count ?? 0
                case .skippedLine:
                    status.gaps.append(Gap(kind: .skippedLine, fromMs: row.firstTimeMs, toMs: row.firstTimeMs,
                                           count: row.count, detail: row.detail))
                default: break
                }
            }
            // Time between runs (after a stop, or from a crash) went unrecorded,
            // except for a followed log: its cursor resumes where it stopped.
            for source in Set(status.runs.map(\.source)) where !source.hasPrefix("follow:") {
                let runs = status.runs.filter { $0.source == source }
                for (a, b) in zip(runs, runs.dropFirst()) {
                    let crashed = a.end == .crashed
                    status.gaps.append(Gap(kind: .notCollecting, fromMs: crashed ? nil : a.endedMs, toMs: b.startedMs,
                                           detail: crashed ? "collector pid \(a.start?.pid ?? 0) was killed or crashed" : nil))
                }
            }
            // A last run with no stop row whose collector is gone (killed,
            // crashed, stopped by a full disk before it could write one) has
            // collected nothing since its last commit.
            if let last = status.runs.last, last.end == .open, !last.source.hasPrefix("follow:") {
                let committed = try Int64.fetchOne(db, sql: "SELECT max(committed_ms) FROM batch WHERE source = ?",
                                                   arguments: [last.source])
                status.gaps.append(Gap(kind: .notCollecting, fromMs: committed ?? last.startedMs, toMs: nil,
                                       detail: "collector pid \(last.start?.pid ?? 0) is not running and wrote no stop row (killed, crashed or out of disk space)"))
            }
            status.gaps.sort { ($0.toMs ?? .max) < ($1.toMs ?? .max) }
            status.events = try Int.fetchOne(db, sql: "SELECT count(*) FROM event") ?? 0
            status.firstEventMs = try Int64.fetchOne(db, sql: "SELECT min(time_ms) FROM event")
            status.lastEventMs = try Int64.fetchOne(db, sql: "SELECT max(time_ms) FROM event")
            return status
        }
    }
}
