import AuditStore
import Logging

/// The ledger rows every collector run writes: its start (after an unclean
/// end of the previous run of the same source, when there was one) and its
/// stop with the final counts.
enum RunLedger {
    /// Records and commits the start; `previous` is `Ledger.lastRun` for the source.
    static func begin(_ ingest: Ingest, source: String, start: Ledger.Start,
                      previous: Ledger.Run?, consequence: String, logger: Logger) throws {
        if let previous, !previous.ended {
            let pid = previous.start?.pid ?? 0
            ingest.record(CoverageRow(kind: .uncleanStop, source: source,
                                      firstTimeMs: previous.startedMs, lastTimeMs: Clock.wallMs(),
                                      detail: "collector pid \(pid) ended without a stop row (killed or crashed); \(consequence)"))
            logger.warning("the previous \(start.mode) collector (pid \(pid)) did not stop cleanly; \(consequence)")
        }
        ingest.record(CoverageRow(start, source: source, firstTimeMs: Clock.wallMs()))
        try ingest.commit()
    }

    /// Commits everything with the stop row made from the final counts.
    static func finish(_ ingest: Ingest, source: String, reason: String, flushParser: Bool = true,
                       kernelLost: Int64 = 0, socketOverruns: Int64 = 0) throws -> Ledger.Stop {
        try ingest.finish(flushParser: flushParser) { counters in
            let stop = Ledger.Stop(records: counters.records, events: counters.events, kernelLost: kernelLost,
                                   socketOverruns: socketOverruns, missingSerials: counters.missingSerials, reason: reason)
            return (stop, [CoverageRow(stop, source: source, lastTimeMs: Clock.wallMs(), count: Int64(counters.events))])
        }
    }
}
