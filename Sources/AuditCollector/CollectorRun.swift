import AuditStore
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// What every collector run does around its loop, whatever its source: opens
/// the store, notes in the ledger that the previous run of the same source
/// ended without a stop row (killed, crashed), starts the ingest pipeline —
/// continuing the boot's serial numbering where the source carries the
/// kernel's — and commits its start row; at the end, commits everything with
/// the stop row made from the final counts.
struct CollectorRun {
    let store: EventStore
    let ingest: Ingest
    let source: String

    /// How a source's records relate to the kernel's numbering.
    enum Serials {
        /// Records of this boot as the kernel numbers them (socket, plugin):
        /// what a killed run never stored shows as a gap from the store's
        /// highest serial of this boot.
        case thisBoot
        /// Records read from files, of any boot (a followed log).
        case fromFiles
    }

    /// `start` is the run's start row without the fields every run fills
    /// (version, boot, kernel, pid); `consequence` says what an unclean end
    /// of the previous run means for this source.
    /// `store`: opened with `openStore` before anything else changes, so a
    /// store that cannot be written stops the run before it touches the kernel.
    init(store: EventStore? = nil, config: CollectorConfiguration, source: String, serials: Serials, dropsEndOfEvent: Bool,
         start: (inout Ledger.Start) -> Void = { _ in }, mode: String, consequence: String, logger: Logger) throws {
        self.store = try store ?? Self.openStore(config)
        let store = self.store
        self.source = source
        let previous = try Ledger.lastRun(store, source: source)
        let floor = serials == .thisBoot ? try Ledger.lastSerial(store, node: "", sinceMs: HostFacts.bootTimeMs) : nil
        ingest = try Ingest(writer: EventWriter(store: store), source: source,
                            options: config.liveOptions(dropsEndOfEvent: dropsEndOfEvent, gapFloor: floor))
        if let previous, !previous.ended {
            let pid = previous.start?.pid ?? 0
            ingest.record(CoverageRow(kind: .uncleanStop, source: source,
                                      firstTimeMs: previous.startedMs, lastTimeMs: Clock.wallMs(),
                                      detail: "collector pid \(pid) ended without a stop row (killed or crashed); \(consequence)"))
            logger.warning("the previous \(mode) collector (pid \(pid)) did not stop cleanly; \(consequence)")
        }
        var row = Ledger.Start(version: config.version, bootID: HostFacts.bootID, kernel: HostFacts.kernelRelease,
                               mode: mode, pid: getpid())
        start(&row)
        ingest.record(CoverageRow(row, source: source, firstTimeMs: Clock.wallMs()))
        try ingest.commit()
    }

    static func openStore(_ config: CollectorConfiguration) throws -> EventStore {
        try EventStore(path: config.storePath, access: .write, cacheKiB: CollectorConfiguration.cacheKiB)
    }

    /// Commits everything with the stop row made from the final counts.
    func finish(reason: String, flushParser: Bool = true, kernelLost: Int64 = 0, socketOverruns: Int64 = 0) throws -> Ledger.Stop {
        try ingest.finish(flushParser: flushParser) { counters in
            let stop = Ledger.Stop(records: counters.records, events: counters.events, kernelLost: kernelLost,
                                   socketOverruns: socketOverruns, missingSerials: counters.missingSerials, reason: reason)
            return (stop, [CoverageRow(stop, source: source, lastTimeMs: Clock.wallMs(), count: Int64(counters.events))])
        }
    }
}
