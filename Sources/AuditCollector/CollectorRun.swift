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
    let storeWatch: StoreWatch

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
        storeWatch = StoreWatch(path: store.path)
        let previous = try Ledger.lastRun(store, source: source)
        let floor = serials == .thisBoot ? try Ledger.lastSerial(store, node: "", sinceMs: HostFacts.bootTimeMs) : nil
        var options = config.liveOptions(dropsEndOfEvent: dropsEndOfEvent, gapFloor: floor)
        let path = store.path
        options.fullDisk = WriterThread.FullDisk { change in
            switch change {
            case .waiting:
                logger.error("disk full writing \(path): waiting for space, retrying every second (the source waits; the kernel's backlog takes the records, and what it drops is counted)")
            case .resumed(let ms):
                logger.notice("space again in \(path) after \(ms / 1000) s: collecting on (a store_full row in the ledger)")
            }
        }
        ingest = try Ingest(writer: EventWriter(store: store), source: source, options: options)
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

    /// The error a run ends with when its store left its path (`reason` is
    /// StoreWatch's): the stop row is in the moved file, and auditqd exits.
    static func storeGone(_ reason: String) -> CollectorError {
        CollectorError("\(reason): stopped; the stop row and everything committed are in the file SQLite had open")
    }

    /// Commits everything with the stop row made from the final counts.
    func finish(reason: String, flushParser: Bool = true, kernelLost: Int64 = 0, socketOverruns: Int64 = 0) throws -> Ledger.Stop {
        defer { store.checkpointWAL() }
        return try ingest.finish(flushParser: flushParser) { counters in
            let stop = Ledger.Stop(records: counters.records, events: counters.events, kernelLost: kernelLost,
                                   socketOverruns: socketOverruns, missingSerials: counters.missingSerials, reason: reason)
            return (stop, [CoverageRow(stop, source: source, lastTimeMs: Clock.wallMs(), count: Int64(counters.events))])
        }
    }
}
