import AuditContainers
import AuditRecords
import AuditStore
import Foundation

/// Names the containers behind new cgroups, off the collector's thread.
/// A cgroup path names most runtimes' containers by itself (CgroupLayout);
/// runc and crun with a plain cgroupsPath are named by their state files,
/// which appear a little after the cgroup. So each cgroup is tried at once
/// and then every few milliseconds for `patience`: a container that lives
/// 5 ms is still caught while its runtime's files exist. Metadata is read
/// from what the runtime left on disk; a later, fuller reading is handed on
/// again (readers keep the last row of a cgroup).
final class ContainerWatch: @unchecked Sendable {
    struct Request: Sendable {
        var id: UInt64
        var path: String
        /// How long to keep trying (ms): a cgroup made now is worth waiting
        /// for; one that was already there when the walk found it is not.
        var patienceMs: Int64
    }

    private struct Pending {
        var request: Request
        var deadline: Int64
        var sent: Container?
    }

    private let bootID: String
    private let reader: ContainerMetadataReader
    private let states: RuntimeStateWatch
    private let wake: @Sendable () -> Void
    private let condition = NSCondition()
    private var pending: [UInt64: Pending] = [:]
    private var results: [Ledger.ContainerSeen] = []
    /// Cgroups given up on without a name, or named after an ancestor
    /// container only: a runc/crun state written later still names them.
    private var unnamed: [UInt64: String] = [:]
    private var unnamedOrder: [UInt64] = []
    private var stopped = false
    private var thread: Thread?
    static let retryMs: UInt32 = 5
    static let unnamedLimit = 4096

    /// `wake` is called (on the watch's thread) when results wait.
    init(bootID: String, states: RuntimeStateWatch, reader: ContainerMetadataReader = ContainerMetadataReader(),
         wake: @escaping @Sendable () -> Void) {
        self.bootID = bootID
        self.states = states
        self.reader = reader
        self.wake = wake
        let thread = Thread { [unowned self] in self.run() }
        thread.name = "auditqd containers"
        states.whenRead { [weak self] entry in self?.stateAppeared(entry) }
        self.thread = thread
        thread.start()
    }

    func submit(_ requests: [Request]) {
        guard !requests.isEmpty else { return }
        condition.lock()
        let now = Self.nowMs()
        for r in requests where pending[r.id] == nil { pending[r.id] = Pending(request: r, deadline: now + r.patienceMs) }
        condition.signal()
        condition.unlock()
    }

    /// A runc/crun state was written: the cgroups it owns that no one could
    /// name are tried again.
    private func stateAppeared(_ entry: RuntimeState.Entry) {
        condition.lock()
        let now = Self.nowMs()
        for (id, path) in unnamed where pending[id] == nil
            && entry.cgroupPaths.contains(where: { path == $0 || path.hasPrefix($0 + "/") }) {
            pending[id] = Pending(request: Request(id: id, path: path, patienceMs: 0), deadline: now)
            unnamed.removeValue(forKey: id)
        }
        condition.signal()
        condition.unlock()
    }

    /// The containers named since the last call.
    func take() -> [Ledger.ContainerSeen] {
        condition.lock(); defer { condition.unlock() }
        defer { results.removeAll() }
        return results
    }

    /// Tries what is pending once more, then stops the thread.
    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
        while thread?.isFinished == false { usleep(1000) }
        states.stop()
    }

    private func run() {
        while true {
            condition.lock()
            while pending.isEmpty && !stopped { condition.wait() }
            let batch = pending
            let last = stopped
            condition.unlock()
            let outcome = attempt(batch, final: last)
            condition.lock()
            for (id, p) in outcome.keep { if pending[id] != nil { pending[id] = p } }
            for id in outcome.done { pending.removeValue(forKey: id) }
            for (id, path) in outcome.unnamed where unnamed[id] == nil {
                unnamed[id] = path
                unnamedOrder.append(id)
                if unnamedOrder.count > Self.unnamedLimit { unnamed.removeValue(forKey: unnamedOrder.removeFirst()) }
            }
            results += outcome.found
            let more = !pending.isEmpty
            condition.unlock()
            if !outcome.found.isEmpty { wake() }
            if last { return }
            if more { usleep(Self.retryMs * 1000) }
        }
    }

    private func attempt(_ batch: [UInt64: Pending], final: Bool)
        -> (found: [Ledger.ContainerSeen], keep: [UInt64: Pending], done: [UInt64], unnamed: [UInt64: String]) {
        var found: [Ledger.ContainerSeen] = [], keep: [UInt64: Pending] = [:], done: [UInt64] = []
        var unnamed: [UInt64: String] = [:]
        let now = Self.nowMs()
        // The state files there now, then those read as they were written
        // (newest first): a short-lived container's are gone already.
        let live = RuntimeState.scan()
        let states = live + self.states.known().reversed().filter { e in !live.contains { $0.stateFile == e.stateFile } }
        for (id, var p) in batch {
            let expired = final || now >= p.deadline
            guard let named = Self.identify(p.request.path, states: states) else {
                // A monitor (conmon), a host cgroup, or a runc/crun state not written yet.
                if CgroupLayout.identify(p.request.path)?.role == .monitor {
                    done.append(id)
                } else if expired {
                    done.append(id)
                    if p.request.path != "/" { unnamed[id] = p.request.path }
                }
                continue
            }
            // A cgroup below a container's own may hold a container of its
            // own (runc inside docker) whose state is not written yet: it is
            // named after its ancestor only when none appears in time.
            if named.own.count < p.request.path.count, !expired {
                keep[id] = p
                continue
            }
            let (identity, state) = (named.identity, named.state)
            if named.own.count < p.request.path.count { unnamed[id] = p.request.path }  // after an ancestor only
            let container = reader.read(identity, state: state)
            if container != p.sent {
                found.append(Ledger.ContainerSeen(bootID: bootID, cgroupID: id, cgroupPath: p.request.path, container: container))
                p.sent = container
            }
            if container.notes.isEmpty || expired { done.append(id) } else { keep[id] = p }
        }
        return (found, keep, done, unnamed)
    }

    /// The container a cgroup path holds: the deepest of what the path
    /// names (CgroupLayout) and the runc/crun state whose cgroup is this one
    /// or its nearest ancestor (a container may make cgroups of its own
    /// below its own; a runc container may run inside a docker one's).
    /// `own` is the container's own cgroup: `path` or an ancestor.
    static func identify(_ path: String, states: [RuntimeState.Entry])
        -> (identity: CgroupIdentity, state: RuntimeState.Entry?, own: String)? {
        var best: (entry: RuntimeState.Entry, owned: String)?
        for entry in states {
            for owned in entry.cgroupPaths where owned != "/" && (path == owned || path.hasPrefix(owned + "/")) {
                if owned.count > (best?.owned.count ?? -1) { best = (entry, owned) }
            }
        }
        if let identity = CgroupLayout.identify(path) {
            let own = namedCgroup(path, identity)
            if let best, best.owned.count > own.count {
                return (CgroupIdentity(runtime: best.entry.runtime, id: best.entry.id), best.entry, best.owned)
            }
            guard identity.role == .container else { return nil }
            return (identity, states.first { $0.id == identity.id || $0.cgroupPaths.contains(own) }, own)
        }
        guard let best else { return nil }
        return (CgroupIdentity(runtime: best.entry.runtime, id: best.entry.id), best.entry, best.owned)
    }

    /// The shortest ancestor of `path` (or itself) that names the same
    /// container: the runtime's own cgroup for it.
    static func namedCgroup(_ path: String, _ identity: CgroupIdentity) -> String {
        var prefix = ""
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if let named = CgroupLayout.identify(prefix), named.id == identity.id, named.runtime == identity.runtime {
                return prefix
            }
        }
        return path
    }

    private static func nowMs() -> Int64 { Clock.monotonicMs() }

    /// A request for a cgroup the sensor saw made (a TP_CGROUP_MKDIR event),
    /// worth trying for 2 s: its runtime's files appear around it.
    static func request(for event: AuditEvent) -> Request? {
        guard event.recordTypes.first == SensorKinds.typeBase + 68,
              let id = event.field("id").flatMap(UInt64.init), let path = event.field("path") else { return nil }
        return Request(id: id, path: path, patienceMs: 2000)
    }
}
