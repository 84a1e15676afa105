import AuditSensor
import AuditStore
import Logging

/// The BPF sensor inside a kernel collector: started after the audit
/// socket, its events handed to the loop through the inbox, its mode and
/// programs recorded once per run in the ledger, its ring-buffer drops
/// turned into ledger rows, its cgroup facts into the ledger's cgroup and
/// container rows (CgroupKeeper), stopped (programs detached) at the end.
struct SensorKeeper {
    let sensor: Sensor
    let inbox: SensorInbox
    private var cgroups: CgroupKeeper?
    private var learning: LearnKeeper?
    private let containers: ContainerWatch
    private var lastDrops: UInt64 = 0
    private(set) var drops: UInt64 = 0

    init(store: EventStore, storePath: String, extraWatches: [String], protect: Bool, learn: Bool, logger: Logger) throws {
        var options = Sensor.Options()
        options.learn = learn
        if protect { options.protectPaths = [storePath, storePath + "-wal"] }
        options.watchPaths = WatchPaths.defaults + [storePath, storePath + "-wal", StorePath.headFile(for: storePath)] + extraWatches
        sensor = Sensor(options: options, logger: logger)
        inbox = try SensorInbox()
        let inbox = self.inbox
        let watch = ContainerWatch(bootID: HostFacts.bootID, states: RuntimeStateWatch(), wake: { [inbox] in inbox.notify() })
        containers = watch
        sensor.start { events in
            // A new cgroup goes to the container watch from this thread, not
            // through the collector's loop: its runtime's state may last
            // only milliseconds.
            watch.submit(events.compactMap(ContainerWatch.request(for:)))
            inbox.put(events)
        }
        if protect && sensor.mode != .lsm {
            sensor.stop()
            watch.stop()
            throw CollectorError("--protect needs BPF-LSM programs, which cannot run here: \(sensor.reason)")
        }
        if protect { logger.info("sensor: --protect: the store and its WAL are guarded, and so is this process") }
        if sensor.resumed { logger.info("sensor: took over the programs a previous run left attached; what they recorded meanwhile is read first") }
        switch sensor.mode {
        case .lsm:
            let hooks = sensor.programs.filter { $0.section.hasPrefix("lsm/") }.count
            logger.info("sensor: lsm, \(hooks) BPF-LSM programs attached (and \(sensor.programs.count - hooks) tracepoint programs for cgroups and processes that never exec), \(sensor.watchCount) watched paths")
        case .tracepoint: logger.info("sensor: tracepoint fallback, \(sensor.programs.count) programs attached (BPF-LSM unavailable: \(sensor.reason))")
        case .auditOnly: logger.warning("sensor: audit only (\(sensor.reason))")
        }
        if sensor.mode != .auditOnly {
            if !sensor.cgroupsReported { logger.warning("sensor: cgroups made from now on are not reported (\(sensor.cgroupReason)); a walk finds the rest") }
            cgroups = try CgroupKeeper(store: store, bootID: HostFacts.bootID, watch: watch, logger: logger)
        }
        if learn {
            if let maps = sensor.learnMaps {
                learning = try LearnKeeper(maps: maps, mode: sensor.mode, bootID: HostFacts.bootID, store: store, logger: logger)
                logger.info("sensor: learning \(sensor.learning)")
            } else {
                logger.warning("sensor: --learn: \(sensor.mode == .auditOnly ? "no BPF sensor (\(sensor.reason))" : sensor.learning)")
            }
        }
    }

    /// After the sensor row: the cgroups there now.
    mutating func start(into ingest: Ingest) {
        cgroups?.start(into: ingest)
    }

    var row: CoverageRow {
        let state = Ledger.SensorState(mode: sensor.mode.rawValue, reason: sensor.reason, resumed: sensor.resumed,
                                       bootID: HostFacts.bootID,
                                       programs: sensor.programs.map { .init(name: $0.name, section: $0.section, id: $0.id) },
                                       watchedPaths: sensor.watchCount,
                                       cgroups: sensor.cgroupsReported ? "reported" : sensor.cgroupReason,
                                       learning: sensor.learning.isEmpty ? nil : sensor.learning)
        return CoverageRow(state, source: sensor.mode.rawValue, firstTimeMs: Clock.wallMs(), count: Int64(sensor.programs.count))
    }

    /// Moves what the ring-buffer thread decoded into the batch, and the
    /// containers named meanwhile into the ledger.
    mutating func drain(into ingest: Ingest) throws {
        var events = inbox.take()
        if cgroups != nil {
            events = cgroups?.take(events, into: ingest) ?? events
            cgroups?.collect(into: ingest)
        }
        if !events.isEmpty { try ingest.add(events) }
        learning?.flushIfDue(into: ingest)
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
        learning?.flush(into: ingest)  // while the maps are open
        learning = nil
        sensor.stop(keepAttached: keepAttached)
        try drain(into: ingest)
        if cgroups != nil { cgroups?.stop(into: ingest) } else { containers.stop() }
        let rest = sensor.flush()
        if !rest.isEmpty { try ingest.add(rest) }
        checkDrops(into: ingest, logger: logger)
    }
}
