import AuditRecords
import AuditStore
import Foundation
import GRDB

/// Runs detectors over the store: each step of each signature selects its
/// candidate events with one indexed query (record types, keys, exe, paths,
/// the window), tests its conditions on each, and ties sequences together
/// by process, session or container. The same code serves `auditq detect`
/// (a time window) and auditqd (the events stored since its last run).
public final class DetectionEngine {
    public struct Window: Sendable {
        public var startMs: Int64?
        public var endMs: Int64?
        /// Only events stored after this id end a finding (earlier steps of a
        /// sequence may be older).
        public var afterID: Int64?
        public init(startMs: Int64? = nil, endMs: Int64? = nil, afterID: Int64? = nil) {
            self.startMs = startMs; self.endMs = endMs; self.afterID = afterID
        }
    }

    /// One event of a finding's evidence.
    public struct Hit: Sendable {
        public var id: Int64
        public var timeMs: Int64
        public var node: String
        public var pid: Int64?
        public var ppid: Int64?
        public var uid: Int64?
        public var auid: Int64?
        public var ses: Int64?
        public var exe: String?
        public var comm: String?
        public var container: Int?
        public var says: String
    }

    /// A detector's signature matched.
    public struct Finding: Sendable {
        public var detector: Detector
        /// audit, sensor, or audit+sensor
        public var source: String
        public var hits: [Hit]
        public var last: Hit { hits[hits.count - 1] }
        public var evidence: [Int64] { hits.map(\.id).sorted() }
    }

    public let store: EventStore
    public let detectors: [Detector]
    private let reader: EventReader
    private let texts: TextMatches
    private var containers: ContainerIndex?
    /// An index given by the caller is kept across runs.
    private let keepsContainers: Bool

    /// `containers`: an index already loaded (auditqd keeps one); else one
    /// is loaded on first need.
    public init(store: EventStore, detectors: [Detector], containers: ContainerIndex? = nil) {
        self.store = store
        self.detectors = detectors
        self.reader = EventReader(store: store)
        self.texts = TextMatches(store: store)
        self.containers = containers
        self.keepsContainers = containers != nil
    }

    /// Every finding in the window, oldest last event first. Where the audit
    /// and the sensor signature of one detector saw the same action (same
    /// process, within the correlation window), one finding holds both.
    public func run(_ window: Window) throws -> [Finding] {
        // Containers start and processes come and go between runs: the index
        // is read again by the first step of this run that needs it.
        if !keepsContainers { containers = nil }
        var findings: [Finding] = []
        for detector in detectors {
            var perSource: [(String, [[Hit]])] = []
            for (source, signature) in [("audit", detector.audit), ("sensor", detector.sensor)] {
                guard let signature else { continue }
                perSource.append((source, try matches(signature, window)))
            }
            findings += Self.merge(detector, perSource)
        }
        return findings.sorted { ($0.last.timeMs, $0.last.id) < ($1.last.timeMs, $1.last.id) }
    }

    /// The container index, loaded once (nil when the store knows no container).
    public func containerIndex() throws -> ContainerIndex? {
        if let containers { return containers.entries.isEmpty ? nil : containers }
        let index = try store.pool.read { try ContainerIndex.load($0) }
        containers = index
        return index.entries.isEmpty ? nil : index
    }

    // MARK: matching

    private func matches(_ signature: Detector.Signature, _ window: Window) throws -> [[Hit]] {
        let steps = signature.steps
        let finals = try candidates(steps[steps.count - 1], window)
        guard steps.count > 1, !finals.isEmpty, let within = signature.withinS, let same = signature.same else {
            return finals.map { [$0] }
        }
        let withinMs = Int64(within) * 1000
        let earliest = finals.map(\.timeMs).min()! - withinMs
        let latest = finals.map(\.timeMs).max()!
        var earlier: [[Hit]] = []
        for step in steps.dropLast() {
            earlier.append(try candidates(step, Window(startMs: earliest, endMs: latest)))
        }
        var chains: [[Hit]] = []
        for final in finals {
            guard correlation(final, same) != nil else { continue }
            var chain = [final]
            var next = final
            for k in stride(from: earlier.count - 1, through: 0, by: -1) {
                let after = next
                let before = earlier[k].last { h in
                    h.id != after.id && (h.timeMs, h.id) <= (after.timeMs, after.id)
                        && h.timeMs >= final.timeMs - withinMs && related(h, after, same)
                }
                guard let before else { chain = []; break }
                chain.insert(before, at: 0)
                next = before
            }
            if !chain.isEmpty { chains.append(chain) }
        }
        return chains
    }

    /// Whether `later` is by the same process as `earlier` (or a child of
    /// it: a shell's commands), the same session, or the same container.
    private func related(_ earlier: Hit, _ later: Hit, _ same: Detector.Correlation) -> Bool {
        guard let key = correlation(earlier, same) else { return false }
        if correlation(later, same) == key { return true }
        if same == .process, let ppid = later.ppid, earlier.node == later.node, earlier.pid == ppid { return true }
        return false
    }

    private func correlation(_ h: Hit, _ same: Detector.Correlation) -> String? {
        switch same {
        case .process: return h.pid.map { "\(h.node):\($0)" }
        case .session: return h.ses.flatMap { $0 == 4_294_967_295 || $0 == -1 ? nil : "\(h.node):\($0)" }
        case .container: return h.container.map(String.init)
        }
    }

    /// The events one step matches in the window, oldest first.
    private func candidates(_ step: Detector.Step, _ window: Window) throws -> [Hit] {
        var filter = EventFilter()
        filter.startMs = window.startMs
        filter.endMs = window.endMs
        filter.afterID = window.afterID
        filter.typeIDs = try texts.ids(types: step.types)
        if let keys = step.keys { filter.keyIDs = try texts.ids(keys: keys) }
        if let exe = step.exe { filter.exeIDs = try texts.ids(globs: exe) }
        if let paths = step.paths { filter.pathIDs = try texts.ids(globs: paths) }
        // `field eq number` on a process column goes into the query too.
        for c in step.when ?? [] where c.op == .eq && c.otherField == nil {
            guard case .int(let n) = c.value else { continue }
            switch c.field {
            case "ppid": filter.ppid = n
            case "pid": filter.pid = n
            case "uid": filter.uid = n
            case "euid": filter.euid = n
            case "auid": filter.loginuid = n
            case "ses": filter.session = n
            default: break
            }
        }
        // Conditions on the container are tested after the read, on the
        // events the others let through: the container index (a read of the
        // sensor's process facts) is loaded only when there are some.
        func split(_ list: [Detector.Condition]?) -> ([Detector.Condition], [Detector.Condition]) {
            let all = list ?? []
            return (all.filter { $0.field != "container" }, all.filter { $0.field == "container" })
        }
        let (when, whenContainer) = split(step.when)
        let (unless, unlessContainer) = split(step.unless)
        let any = step.any ?? []
        let anyLater = any.contains { $0.field == "container" }
        var found: [Hit] = []
        var pending: [(event: StoredEvent, paths: [String])] = []
        try reader.forEach(filter, paths: true) { event, db in
            let names = try reader.paths(event, db).compactMap(\.name)
            var fields = EventFields(event: event, paths: names, container: nil) { [reader] in
                (try? reader.raw(event, db)).map { String(decoding: $0, as: UTF8.self) } ?? ""
            }
            // A rule change carries its rule's key: not an event the rule recorded.
            if event.types.contains("CONFIG_CHANGE") { return }
            guard when.allSatisfy({ $0.holds(&fields) }), anyLater || any.isEmpty || any.contains(where: { $0.holds(&fields) }),
                  !unless.contains(where: { $0.holds(&fields) }) else { return }
            pending.append((event, names))
        }
        guard !pending.isEmpty else { return [] }
        let index = try containerIndex()
        for (event, names) in pending {
            var fields = EventFields(event: event, paths: names, container: index?.container(of: event)) { "" }
            guard whenContainer.allSatisfy({ $0.holds(&fields) }), !anyLater || any.contains(where: { $0.holds(&fields) }),
                  !unlessContainer.contains(where: { $0.holds(&fields) }) else { continue }
            found.append(Hit(id: event.id, timeMs: event.timeMs, node: event.node, pid: event.pid, ppid: event.ppid, uid: event.uid,
                             auid: event.auid, ses: event.ses, exe: event.exe, comm: event.comm,
                             container: fields.container, says: step.says))
        }
        return found
    }

    /// One finding per match; an audit match and the sensor matches of the
    /// same process within the correlation window become one finding (an
    /// exec of a script is two sensor events, the script's and its
    /// interpreter's, and one audit event).
    static func merge(_ detector: Detector, _ perSource: [(String, [[Hit]])]) -> [Finding] {
        let audit = perSource.first { $0.0 == "audit" }?.1 ?? []
        let sensor = perSource.first { $0.0 == "sensor" }?.1 ?? []
        // Each sensor match goes to the nearest audit match in time of the
        // same process within the window, if there is one.
        var partners: [[Int]] = Array(repeating: [], count: audit.count)
        var alone: [[Hit]] = []
        for (j, chain) in sensor.enumerated() {
            let b = chain[chain.count - 1]
            let nearest = audit.indices.filter { i in
                let a = audit[i][audit[i].count - 1]
                return a.pid == b.pid && a.node == b.node && abs(b.timeMs - a.timeMs) <= Correlator.windowMs
            }.min { i, k in
                abs(audit[i][audit[i].count - 1].timeMs - b.timeMs) < abs(audit[k][audit[k].count - 1].timeMs - b.timeMs)
            }
            if let nearest { partners[nearest].append(j) } else { alone.append(chain) }
        }
        var out: [Finding] = []
        for (i, chain) in audit.enumerated() {
            if partners[i].isEmpty {
                out.append(Finding(detector: detector, source: "audit", hits: chain))
            } else {
                let both = (chain + partners[i].flatMap { sensor[$0] }).sorted { ($0.timeMs, $0.id) < ($1.timeMs, $1.id) }
                out.append(Finding(detector: detector, source: "audit+sensor", hits: both))
            }
        }
        out += alone.map { Finding(detector: detector, source: "sensor", hits: $0) }
        return out
    }
}
