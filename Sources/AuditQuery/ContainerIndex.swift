import AuditContainers
import AuditRecords
import AuditStore
import Foundation
import GRDB

/// The containers a store knows, and which events are theirs. Built when a
/// query needs it, from the ledger's container and cgroup rows and the
/// sensor's events:
/// - a sensor event belongs to the container whose cgroup id it carries
///   (with its boot: ids are unique within one boot);
/// - an audit event, which carries no cgroup, belongs to the container its
///   process was in: the spans, per pid, over which the sensor saw that
///   process in a container's cgroup (from its fork, or its first event, to
///   its exit, or to the next time the pid shows up elsewhere).
/// Nothing is read from /proc: a process that lived 5 ms, or a container
/// gone for a year, is attributed the same way.
public struct ContainerIndex: Sendable {
    /// One container: its latest facts, and every cgroup it had.
    public struct Entry: Sendable {
        public var container: Container
        public var cgroups: [Cgroup]
        /// When a cgroup of it was first recorded (walk or mkdir), and when
        /// the last was removed (nil: not seen removed).
        public var firstSeenMs: Int64
        public var removedMs: Int64?
    }

    public struct Cgroup: Sendable, Hashable {
        public var bootID: String
        public var id: UInt64
        public var path: String
        /// "boot:id", as the scope's SQL matches it.
        var key: String { "\(bootID):\(id)" }
    }

    /// A time span of one process in one container (ms, both ends included).
    struct Span: Sendable {
        var startMs: Int64
        var endMs: Int64
        var container: Int
    }

    public private(set) var entries: [Entry] = []
    private var byCgroup: [String: Int] = [:]
    private var spans: [Int64: [Span]] = [:]

    /// The slack around a process's span for audit events: audit stamps
    /// records with the kernel's coarse clock (up to a tick behind), and an
    /// execve's record is stamped at the call's entry, a little before the
    /// sensor sees the exec.
    static let slackMs: Int64 = 10

    public init() {}

    /// The index a query needs: the containers and their processes' spans.
    public static func load(_ db: Database) throws -> ContainerIndex {
        try load(db, lifetimes: false)
    }

    /// Reads the containers and the spans of their processes; with
    /// `lifetimes`, also when each container's cgroups were first seen and
    /// removed (`auditq containers`: the cgroup rows, one or two per cgroup
    /// the host ever had, are read only then).
    public static func load(_ db: Database, lifetimes: Bool) throws -> ContainerIndex {
        var index = ContainerIndex()
        let rows = try Ledger.rows(db, kinds: lifetimes ? [.cgroup, .container] : [.container])
        var created: [String: Int64] = [:], removed: [String: Int64] = [:]
        for row in rows {
            if let c = row.payload(Ledger.Cgroup.self) {
                let key = "\(c.bootID):\(c.id)"
                switch c.change {
                case .present, .created: created[key] = min(created[key] ?? row.timeMs, row.timeMs)
                case .removed: removed[key] = row.timeMs
                case .unknown: break
                }
            } else if let seen = row.payload(Ledger.ContainerSeen.self) {
                index.add(seen, at: row.timeMs)
            }
        }
        for i in index.entries.indices {
            let keys = index.entries[i].cgroups.map(\.key)
            if let first = keys.compactMap({ created[$0] }).min() { index.entries[i].firstSeenMs = min(index.entries[i].firstSeenMs, first) }
            let ends = keys.map { removed[$0] }
            index.entries[i].removedMs = ends.contains(nil) ? nil : ends.compactMap { $0 }.max()
        }
        guard !index.entries.isEmpty else { return index }
        try index.loadSpans(db)
        return index
    }

    /// The same container (runtime and id) seen again — another boot, or a
    /// fuller reading — updates its facts and adds its cgroup.
    private mutating func add(_ seen: Ledger.ContainerSeen, at timeMs: Int64) {
        let cgroup = Cgroup(bootID: seen.bootID, id: seen.cgroupID, path: seen.cgroupPath)
        // A later row that names another container for the same cgroup
        // replaces the earlier one.
        if let earlier = byCgroup[cgroup.key], entries[earlier].container.id != seen.container.id
            || entries[earlier].container.runtime != seen.container.runtime {
            entries[earlier].cgroups.removeAll { $0 == cgroup }
        }
        if let i = entries.firstIndex(where: { $0.container.id == seen.container.id && $0.container.runtime == seen.container.runtime }) {
            entries[i].container = Self.fuller(entries[i].container, seen.container)
            if !entries[i].cgroups.contains(cgroup) { entries[i].cgroups.append(cgroup) }
            byCgroup[cgroup.key] = i
        } else {
            entries.append(Entry(container: seen.container, cgroups: [cgroup], firstSeenMs: timeMs, removedMs: nil))
            byCgroup[cgroup.key] = entries.count - 1
        }
    }

    /// A later reading replaces an earlier one unless it knows less (its
    /// runtime's files were gone by then).
    private static func fuller(_ old: Container, _ new: Container) -> Container {
        new.sources.count >= old.sources.count ? new : old
    }

    // MARK: spans

    private mutating func loadSpans(_ db: Database) throws {
        let keys = Array(byCgroup.keys)
        // The sensor's events in the containers' cgroups: which pids ran there.
        var pids = Set<Int64>()
        let inContainers = try Row.fetchCursor(db, sql: """
            SELECT DISTINCT pid FROM event
            WHERE syscall IS NULL AND ppid IS NOT NULL
              AND json_extract(fields, '$.cgroup') IN (SELECT value ->> '$[1]' FROM json_each(?1))
              AND (json_extract(fields, '$.boot') || ':' || json_extract(fields, '$.cgroup')) IN (SELECT value ->> '$[0]' FROM json_each(?1))
            """, arguments: [Self.pairs(keys)])
        while let row = try inContainers.next() { if let pid = row[0] as Int64? { pids.insert(pid) } }
        guard !pids.isEmpty else { return }
        // Every sensor event of those pids, in any cgroup: where one
        // process's span ends and a later process with the same pid begins.
        let pidJSON = String(decoding: try JSONEncoder().encode(pids.sorted()), as: UTF8.self)
        struct Fact { var pid: Int64; var timeMs: Int64; var serial: Int64; var key: String; var exit: Bool; var forkMs: Int64? }
        var facts: [Fact] = []
        let exitTypes = ["TP_EXIT"]
        let cursor = try Row.fetchCursor(db, sql: """
            SELECT e.pid, e.time_ms, e.serial, json_extract(e.fields, '$.boot'), json_extract(e.fields, '$.cgroup'),
                   t.value, CAST(json_extract(e.fields, '$.fork_ns') AS INTEGER)
            FROM event e JOIN text t ON t.id = e.types
            WHERE e.pid IN (SELECT value FROM json_each(?)) AND e.syscall IS NULL AND e.ppid IS NOT NULL
              AND json_extract(e.fields, '$.cgroup') IS NOT NULL
            """, arguments: [pidJSON])
        while let row = try cursor.next() {
            guard let pid = row[0] as Int64?, let boot = row[3] as String?, let cgroup = row[4] as String? else { continue }
            let time: Int64 = row[1], serial: Int64 = row[2]
            let forkNs = row[6] as Int64?
            let forkMs = forkNs.flatMap { $0 > 0 ? time - (serial - $0) / 1_000_000 : nil }
            facts.append(Fact(pid: pid, timeMs: time, serial: serial, key: "\(boot):\(cgroup)",
                              exit: exitTypes.contains(row[5] as String), forkMs: forkMs))
        }
        let byPid = Dictionary(grouping: facts, by: \.pid)
        for (pid, list) in byPid {
            let sorted = list.sorted { ($0.timeMs, $0.serial) < ($1.timeMs, $1.serial) }
            // Runs of consecutive facts in one cgroup; an exit ends a run.
            var runs: [(start: Int64, end: Int64?, key: String)] = []
            for f in sorted {
                if var last = runs.last, last.key == f.key, last.end == nil {
                    if f.exit { last.end = f.timeMs; runs[runs.count - 1] = last }
                    continue
                }
                runs.append((start: min(f.forkMs ?? f.timeMs, f.timeMs), end: f.exit ? f.timeMs : nil, key: f.key))
            }
            var out: [Span] = []
            for (i, run) in runs.enumerated() {
                guard let container = byCgroup[run.key] else { continue }
                let next = i + 1 < runs.count ? runs[i + 1].start - 1 : Int64.max
                out.append(Span(startMs: run.start, endMs: run.end ?? next, container: container))
            }
            if !out.isEmpty { spans[pid] = out }
        }
    }

    /// [["boot:id", "id"], …] for matching the cgroup field first (indexed), then the boot.
    private static func pairs(_ keys: [String]) -> String {
        let list = keys.map { key -> [String] in [key, String(key.split(separator: ":").last ?? "")] }
        return String(decoding: (try? JSONEncoder().encode(list)) ?? Data("[]".utf8), as: UTF8.self)
    }

    // MARK: lookups

    /// The container of an event, or nil (a host event, or one nothing ties
    /// to a container).
    public func container(of event: StoredEvent) -> Int? {
        guard !entries.isEmpty else { return nil }
        if event.types.count == 1, SensorKinds.kind(named: event.types[0]) != nil {
            guard let json = event.fieldsJSON, let boot = Self.field("boot", in: json),
                  let cgroup = Self.field("cgroup", in: json) else { return nil }
            return byCgroup["\(boot):\(cgroup)"]
        }
        guard let pid = event.pid else { return nil }
        return container(pid: pid, atMs: event.timeMs)
    }

    /// The container process `pid` was in at `atMs`, by its spans.
    public func container(pid: Int64, atMs t: Int64) -> Int? {
        guard let list = spans[pid] else { return nil }
        if let exact = list.first(where: { t >= $0.startMs && t <= $0.endMs }) { return exact.container }
        return list.first(where: { t >= $0.startMs - Self.slackMs && t <= Self.saturating($0.endMs, Self.slackMs) })?.container
    }

    private static func saturating(_ a: Int64, _ b: Int64) -> Int64 { a > Int64.max - b ? Int64.max : a + b }

    /// A plain value of the sensor's `fields` JSON (digits, or a boot id:
    /// never escaped), found without decoding the whole object.
    static func field(_ name: String, in json: String) -> String? {
        guard let start = json.range(of: "\"\(name)\":\"") else { return nil }
        guard let end = json[start.upperBound...].firstIndex(of: "\"") else { return nil }
        return String(json[start.upperBound..<end])
    }

    /// The containers a user's word names: a full id, a unique id prefix
    /// (like docker's 12 characters; an ambiguous prefix names all it
    /// matches), or a name.
    public func matching(_ word: String) -> [Int] {
        let exact = entries.indices.filter { entries[$0].container.id == word }
        if !exact.isEmpty { return exact }
        let named = entries.indices.filter { entries[$0].container.name == word }
        if !named.isEmpty { return named }
        return entries.indices.filter { entries[$0].container.id.hasPrefix(word) }
    }

    public func matching(pod: String) -> [Int] {
        entries.indices.filter {
            guard let p = entries[$0].container.pod else { return false }
            return p.name == pod || p.uid == pod || (p.namespace.map { "\($0)/" } ?? "") + (p.name ?? "") == pod
        }
    }

    public func matching(image: String) -> [Int] {
        entries.indices.filter {
            guard let i = entries[$0].container.image else { return false }
            return i == image || i.hasPrefix(image + ":") || i.hasPrefix(image + "@")
        }
    }

    // MARK: SQL

    /// The events of the containers `selected` as a WHERE term over `event
    /// e` (or, with `negated`, every event not in any container), with its
    /// arguments: the same rules as `container(of:)`, with the spans' slack.
    public func scope(_ selected: [Int], negated: Bool = false) -> ContainerScope {
        let chosen = negated ? Array(entries.indices) : selected
        let keys = chosen.flatMap { entries[$0].cgroups.map(\.key) }
        var segments: [String: [[Int64]]] = [:]
        for (pid, list) in spans {
            let mine = list.filter { chosen.contains($0.container) }
            if !mine.isEmpty {
                segments[String(pid)] = mine.map { [$0.startMs - Self.slackMs, Self.saturating($0.endMs, Self.slackMs)] }
            }
        }
        guard !keys.isEmpty else { return ContainerScope(term: negated ? "1" : "0", arguments: []) }
        let pidList = segments.keys.compactMap { Int64($0) }.sorted()
        let segJSON = String(decoding: (try? JSONSerialization.data(withJSONObject: segments)) ?? Data("{}".utf8), as: UTF8.self)
        let pidJSON = String(decoding: (try? JSONEncoder().encode(pidList)) ?? Data("[]".utf8), as: UTF8.self)
        let sensor = """
            (e.syscall IS NULL AND e.ppid IS NOT NULL
             AND json_extract(e.fields, '$.cgroup') IN (SELECT value ->> '$[1]' FROM json_each(?))
             AND (json_extract(e.fields, '$.boot') || ':' || json_extract(e.fields, '$.cgroup')) IN (SELECT value ->> '$[0]' FROM json_each(?)))
            """
        let audit = """
            (e.pid IN (SELECT value FROM json_each(?)) AND NOT (e.syscall IS NULL AND e.ppid IS NOT NULL AND json_extract(e.fields, '$.cgroup') IS NOT NULL)
             AND EXISTS (SELECT 1 FROM json_each(?, '$."' || e.pid || '"') s WHERE e.time_ms BETWEEN s.value ->> '$[0]' AND s.value ->> '$[1]'))
            """
        let pairs = Self.pairs(keys)
        let term = "(\(sensor) OR \(audit))"
        return ContainerScope(term: negated ? "NOT \(term)" : term, arguments: [pairs, pairs, pidJSON, segJSON])
    }
}

/// A WHERE term over `event e` selecting the events of some containers (or
/// of none), and its arguments (JSON texts). `EventFilter.containers`.
public struct ContainerScope: Sendable {
    public var term: String
    public var arguments: [String]
}
