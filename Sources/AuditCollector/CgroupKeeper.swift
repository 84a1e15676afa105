import AuditContainers
import AuditRecords
import AuditStore
import GRDB
import Logging

/// Keeps the ledger's cgroup and container rows for this boot: a walk of the
/// hierarchy at start, then every cgroup the sensor sees made or removed,
/// and a walk again (at most once a second) for an id an event carries that
/// is not known yet. New cgroups go to the ContainerWatch, which names the
/// container each holds. What the store already holds for this boot is not
/// written again, so a restart adds only what changed.
struct CgroupKeeper {
    let hierarchy: CgroupHierarchy?
    let bootID: String
    let watch: ContainerWatch
    private let logger: Logger
    private var paths: [UInt64: String] = [:]
    private var named: Set<UInt64> = []
    private var gone: Set<UInt64> = []
    /// Ids looked for by a walk and not found (written once as `unknown`).
    private var missing: Set<UInt64> = []
    /// Cgroups whose first event has already sent them to the watch again.
    private var retried: Set<UInt64> = []
    private var lastWalkMs: Int64 = 0
    static let source = "kernel"

    init(store: EventStore, bootID: String, watch: ContainerWatch, logger: Logger) throws {
        self.bootID = bootID
        self.logger = logger
        hierarchy = CgroupHierarchy.find()
        self.watch = watch
        let rows = try store.pool.read { db in
            try Ledger.rows(db, kinds: [.cgroup, .container], bootID: bootID)
        }
        for row in rows {
            if let c = row.payload(Ledger.Cgroup.self) {
                switch c.change {
                case .present, .created: paths[c.id] = c.path; gone.remove(c.id)
                case .removed: gone.insert(c.id)
                case .unknown: missing.insert(c.id)
                }
            } else if let c = row.payload(Ledger.ContainerSeen.self) {
                named.insert(c.cgroupID)
            }
        }
    }

    /// At start: every cgroup there now that the store does not have, and
    /// every one the store has that is gone (removed while no collector ran).
    mutating func start(into ingest: Ingest) {
        guard let hierarchy else {
            logger.warning("containers: no cgroup v2 hierarchy mounted; events cannot be tied to containers")
            return
        }
        let now = Clock.wallMs()
        let found = hierarchy.walk()
        lastWalkMs = Clock.monotonicMs()
        var requests: [ContainerWatch.Request] = []
        for (id, path) in found.sorted(by: { $0.key < $1.key }) {
            if paths[id] != path {
                paths[id] = path
                record(Ledger.Cgroup(bootID: bootID, id: id, path: path, change: .present, via: .walk), at: now, into: ingest)
            }
            if !named.contains(id) { requests.append(.init(id: id, path: path, patienceMs: 0)) }
        }
        for (id, path) in paths where found[id] == nil && !gone.contains(id) {
            gone.insert(id)
            record(Ledger.Cgroup(bootID: bootID, id: id, path: path, change: .removed, via: .walk), at: now, into: ingest)
        }
        watch.submit(requests)
        logger.info("containers: \(found.count) cgroups under \(hierarchy.mountPoint)\(named.isEmpty ? "" : ", \(named.count) containers known this boot")")
    }

    /// Takes the cgroup facts out of the sensor's events and returns the
    /// rest; notes any cgroup id an event carries that is not known.
    mutating func take(_ events: [AuditEvent], into ingest: Ingest) -> [AuditEvent] {
        var rest: [AuditEvent] = []
        rest.reserveCapacity(events.count)
        var unseen: Set<UInt64> = []
        for e in events {
            if let type = e.recordTypes.first, SensorKinds.isCgroup(recordType: type) {
                fact(e, into: ingest)
                continue
            }
            if let id = e.field("cgroup").flatMap(UInt64.init) {
                if paths[id] == nil { unseen.insert(id) } else if !named.contains(id) && !retried.contains(id) {
                    // The first event of a cgroup no one has named yet: a
                    // runc/crun state may be written by now.
                    retried.insert(id)
                    watch.submit([.init(id: id, path: paths[id]!, patienceMs: 500)])
                }
            }
            rest.append(e)
        }
        if !unseen.isEmpty { lookUp(unseen, into: ingest) }
        return rest
    }

    /// The containers the watch has named since the last call.
    mutating func collect(into ingest: Ingest) {
        for seen in watch.take() {
            named.insert(seen.cgroupID)
            ingest.record(CoverageRow(seen, source: Self.source, firstTimeMs: Clock.wallMs()))
            logger.info("container: \(seen.container.runtime.rawValue) \(seen.container.id)\(seen.container.name.map { " (\($0))" } ?? "") in \(seen.cgroupPath)")
        }
    }

    mutating func stop(into ingest: Ingest) {
        watch.stop()
        collect(into: ingest)
    }

    private mutating func fact(_ e: AuditEvent, into ingest: Ingest) {
        guard let id = e.field("id").flatMap(UInt64.init), let path = e.field("path") else { return }
        let made = e.recordTypes.first == SensorKinds.typeBase + 68
        if made {
            paths[id] = path
            gone.remove(id)
            // The watch has it already: SensorKeeper hands mkdirs over on the
            // ring buffer's thread (ContainerWatch.request(for:)).
            record(Ledger.Cgroup(bootID: bootID, id: id, path: path, change: .created, via: .mkdir), at: e.timeMs, into: ingest)
        } else {
            if paths[id] == nil { paths[id] = path }
            gone.insert(id)
            record(Ledger.Cgroup(bootID: bootID, id: id, path: path, change: .removed, via: .rmdir), at: e.timeMs, into: ingest)
        }
    }

    /// Ids no walk or mkdir has named: walk again (not more than once a
    /// second); what is still missing is written once as unknown.
    private mutating func lookUp(_ ids: Set<UInt64>, into ingest: Ingest) {
        let wanted = ids.subtracting(missing)
        guard !wanted.isEmpty, let hierarchy else { return }
        guard Clock.monotonicMs() - lastWalkMs >= 1000 else { return }
        lastWalkMs = Clock.monotonicMs()
        let found = hierarchy.walk()
        let now = Clock.wallMs()
        var requests: [ContainerWatch.Request] = []
        for id in wanted.sorted() {
            if let path = found[id] {
                paths[id] = path
                record(Ledger.Cgroup(bootID: bootID, id: id, path: path, change: .present, via: .event), at: now, into: ingest)
                requests.append(.init(id: id, path: path, patienceMs: 500))
            } else {
                missing.insert(id)
                record(Ledger.Cgroup(bootID: bootID, id: id, path: "", change: .unknown, via: .event), at: now, into: ingest)
            }
        }
        watch.submit(requests)
    }

    private func record(_ fact: Ledger.Cgroup, at timeMs: Int64, into ingest: Ingest) {
        ingest.record(CoverageRow(fact, source: Self.source, firstTimeMs: timeMs))
    }
}
