import AuditStore
import Foundation
import GRDB

/// What the ledger says about collection into a store: the collector runs
/// (mode, start, stop or crash), the rule set in force, events stored, and
/// every loss it recorded, folded into "complete from T1 to T2" or the list
/// of gaps. Readers only: nothing here writes.
public struct CollectionStatus: Sendable {
    public struct Run: Sendable {
        public var source: String
        public var start: Ledger.Start?
        public var startedMs: Int64
        /// nil while the run has neither a stop row nor a later unclean-stop row.
        public var endedMs: Int64?
        public var stop: Ledger.Stop?
        public var crashed = false
        /// Running: no end row, and its pid is an auditqd process.
        public var running = false
    }

    public struct Gap: Sendable, Equatable {
        public enum Kind: String, Sendable {
            case serials, kernelLost = "kernel_lost", overrun, notCollecting = "not_collecting", sensorDrop = "sensor_drop"
            case unreadLog = "unread_log", skippedLine = "skipped_line"
        }
        public var kind: Kind
        public var fromMs: Int64?
        public var toMs: Int64?
        public var count: Int64?
        public var firstSerial: Int64?
        public var lastSerial: Int64?
        public var detail: String?
    }

    public struct Rules: Sendable {
        public var loadedMs: Int64
        public var count: Int64
        public var sha256: String
        public var files: [String]
    }

    /// What the BPF sensor ran as in the latest run that started one.
    public struct SensorState: Sendable, Decodable {
        public struct Program: Sendable, Decodable { public var name: String; public var section: String; public var id: UInt32 }
        public var mode: String
        public var reason: String
        public var bootID: String
        public var programs: [Program]
        public var watchedPaths: Int
    }

    public var sensor: SensorState?
    public var sensorDrops: Int64 = 0
    public var runs: [Run] = []
    public var rules: Rules?
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

    struct RulesDetail: Decodable { var files: [String]; var sha256: String }

    public static func read(_ store: EventStore, isRunning: (Int32) -> Bool = CollectionStatus.isAuditqd) throws -> CollectionStatus {
        try store.pool.read { db in
            var status = CollectionStatus()
            let kinds = [CoverageRow.collectorStartKind, CoverageRow.collectorStopKind, CoverageRow.uncleanStopKind,
                         CoverageRow.kernelLostKind, CoverageRow.socketOverrunKind, CoverageRow.serialGapKind,
                         CoverageRow.rulesLoadedKind, CoverageRow.importKind, CoverageRow.followGapKind,
                         CoverageRow.skippedLineKind, CoverageRow.sensorKind, CoverageRow.sensorDropKind]
            for row in try Ledger.rows(db, kinds: kinds) {
                switch row.kind {
                case CoverageRow.collectorStartKind:
                    status.runs.append(Run(source: row.source ?? "", start: row.decode(Ledger.Start.self),
                                           startedMs: row.firstTimeMs ?? row.recordedMs))
                case CoverageRow.collectorStopKind:
                    if let i = status.openRun(source: row.source) {
                        status.runs[i].endedMs = row.lastTimeMs ?? row.recordedMs
                        status.runs[i].stop = row.decode(Ledger.Stop.self)
                    }
                case CoverageRow.uncleanStopKind:
                    // Written by the next start, which is already in the list.
                    if let i = status.openRun(source: row.source) {
                        status.runs[i].crashed = true
                        status.runs[i].endedMs = status.runs[i].startedMs
                    }
                case CoverageRow.kernelLostKind:
                    status.kernelLost += row.count ?? 0
                    status.gaps.append(Gap(kind: .kernelLost, fromMs: row.firstTimeMs, toMs: row.firstTimeMs,
                                           count: row.count, detail: row.detail))
                case CoverageRow.socketOverrunKind:
                    status.overruns += row.count ?? 0
                    status.gaps.append(Gap(kind: .overrun, fromMs: row.firstTimeMs, toMs: row.firstTimeMs,
                                           count: row.count, detail: row.detail))
                case CoverageRow.serialGapKind:
                    // Import gaps describe the files imported, not collection.
                    guard status.runs.contains(where: { $0.source == row.source }) else { continue }
                    status.missingSerials += row.count ?? 0
                    status.gaps.append(Gap(kind: .serials, fromMs: row.firstTimeMs, toMs: row.lastTimeMs, count: row.count,
                                           firstSerial: row.firstSerial, lastSerial: row.lastSerial))
                case CoverageRow.rulesLoadedKind:
                    let detail = row.decode(RulesDetail.self)
                    status.rules = Rules(loadedMs: row.firstTimeMs ?? row.recordedMs, count: row.count ?? 0,
                                         sha256: detail?.sha256 ?? "", files: detail?.files ?? [])
                case CoverageRow.importKind:
                    status.imports += 1
                case CoverageRow.sensorKind:
                    status.sensor = row.decode(SensorState.self)
                case CoverageRow.sensorDropKind:
                    status.sensorDrops += row.count ?? 0
                    status.gaps.append(Gap(kind: .sensorDrop, fromMs: row.firstTimeMs, toMs: row.firstTimeMs,
                                           count: row.count, detail: row.detail))
                case CoverageRow.followGapKind:
                    status.gaps.append(Gap(kind: .unreadLog, fromMs: row.firstTimeMs, toMs: row.firstTimeMs, detail: row.detail))
                case CoverageRow.skippedLineKind:
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
                    status.gaps.append(Gap(kind: .notCollecting, fromMs: a.crashed ? nil : a.endedMs, toMs: b.startedMs,
                                           detail: a.crashed ? "collector pid \(a.start?.pid ?? 0) was killed or crashed" : nil))
                }
            }
            if var last = status.runs.last, last.endedMs == nil, let pid = last.start?.pid {
                last.running = isRunning(pid)
                status.runs[status.runs.count - 1] = last
            }
            status.gaps.sort { ($0.toMs ?? 0) < ($1.toMs ?? 0) }
            status.events = try Int.fetchOne(db, sql: "SELECT count(*) FROM event") ?? 0
            status.firstEventMs = try Int64.fetchOne(db, sql: "SELECT min(time_ms) FROM event")
            status.lastEventMs = try Int64.fetchOne(db, sql: "SELECT max(time_ms) FROM event")
            return status
        }
    }

    private func openRun(source: String?) -> Int? {
        runs.lastIndex { $0.source == source && $0.endedMs == nil }
    }

    /// /proc/PID/comm says auditqd (a recycled pid is not our collector).
    public static func isAuditqd(_ pid: Int32) -> Bool {
        guard pid > 0, let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8) else { return false }
        return comm.trimmingCharacters(in: .whitespacesAndNewlines) == "auditqd"
    }
}
