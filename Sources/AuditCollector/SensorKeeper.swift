import AuditSensor
import AuditStore
import Logging

/// The BPF sensor inside a kernel collector: started after the audit
/// socket, its events handed to the loop through the inbox, its mode and
/// programs recorded once per run in the ledger, its ring-buffer drops
/// turned into ledger rows, stopped (programs detached) at the end.
struct SensorKeeper {
    let sensor: Sensor
    let inbox: SensorInbox
    private var lastDrops: UInt64 = 0
    private(set) var drops: UInt64 = 0

    init(storePath: String, extraWatches: [String], protect: Bool, logger: Logger) throws {
        var options = Sensor.Options()
        if protect { options.protectPaths = [storePath, storePath + "-wal"] }
        options.watchPaths = WatchPaths.defaults + [storePath, storePath + "-wal", StorePath.headFile(for: storePath)] + extraWatches
        sensor = Sensor(options: options, logger: logger)
        inbox = try SensorInbox()
        let inbox = self.inbox
        sensor.start { inbox.put($0) }
        if protect && sensor.mode != .lsm {
            sensor.stop()
            throw CollectorError("--protect needs BPF-LSM programs, which cannot run here: \(sensor.reason)")
        }
        if protect { logger.info("sensor: --protect: the store and its WAL are guarded, and so is this process") }
        if sensor.resumed { logger.info("sensor: took over the programs a previous run left attached; what they recorded meanwhile is read first") }
        switch sensor.mode {
        case .lsm: logger.info("sensor: lsm, \(sensor.programs.count) BPF-LSM programs attached, \(sensor.watchCount) watched paths")
        case .tracepoint: logger.info("sensor: tracepoint fallback, \(sensor.programs.count) programs attached (BPF-LSM unavailable: \(sensor.reason))")
        case .auditOnly: logger.warning("sensor: audit only (\(sensor.reason))")
        }
    }

    var row: CoverageRow {
        let state = Ledger.SensorState(mode: sensor.mode.rawValue, reason: sensor.reason, resumed: sensor.resumed,
                                       bootID: HostFacts.bootID,
                                       programs: sensor.programs.map { .init(name: $0.name, section: $0.section, id: $0.id) },
                                       watchedPaths: sensor.watchCount)
        return CoverageRow(state, source: sensor.mode.rawValue, firstTimeMs: Clock.wallMs(), count: Int64(sensor.programs.count))
    }

    /// Moves what the ring-buffer thread decoded into the batch.
    func drain(into ingest: Ingest) throws {
        let events = inbox.take()
        if !events.isEmpty { try ingest.add(events) }
    }

    /// A rise of the programs' reserve-failure counters becomes a ledger row.
    mutating func checkDrops(into ingest: Ingest, logger: Logger) {
        let now = sensor.reserveFailures()
        guard now > lastDrops else { return }
        let delta = now - lastDrops
        lastDrops = now
        drops += delta
        logger.warning("sensor: the ring buffer was full; \(delta) event(s) dropped")
        ingest.record(CoverageRow(kind: .sensorDrop, source: sensor.mode.rawValue,
                                  firstTimeMs: Clock.wallMs(), count: Int64(delta),
                                  detail: "BPF ring buffer full: \(delta) event(s) not recorded"))
    }

    /// Detaches the programs after reading what they wrote, then stores it.
    mutating func stop(into ingest: Ingest, keepAttached: Bool, logger: Logger) throws {
        // First let a ring-buffer thread waiting for room go, then stop it.
        inbox.close()
        sensor.stop(keepAttached: keepAttached)
        try drain(into: ingest)
        let rest = sensor.flush()
        if !rest.isEmpty { try ingest.add(rest) }
        checkDrops(into: ingest, logger: logger)
    }
}
