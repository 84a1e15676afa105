import AuditContainers
import AuditStore
import Foundation
import GRDB

/// `auditq containers`: every container the store knows, with its runtime,
/// image, first and last event, event counts and what its bundle grants,
/// and what the store can and cannot attribute.
public struct ContainerReport: Sendable {
    public struct Row: Sendable {
        public var container: Container
        public var cgroups: [ContainerIndex.Cgroup]
        public var firstSeenMs: Int64
        public var removedMs: Int64?
        public var events: Int64
        public var auditEvents: Int64
        public var firstEventMs: Int64?
        public var lastEventMs: Int64?
    }

    public var rows: [Row] = []
    /// Sensor events in the window: without them nothing can be attributed.
    public var sensorEvents: Int64 = 0
    /// Events read from audit.log files (imports): they carry no cgroup.
    public var importedFiles: Int = 0

    public static func compute(_ store: EventStore, filter: EventFilter) throws -> ContainerReport {
        try store.pool.read { db in
            let index = try ContainerIndex.load(db, lifetimes: true)
            var report = ContainerReport()
            var window = filter
            window.containers = nil
            for (i, entry) in index.entries.enumerated() {
                var scoped = window
                scoped.containers = index.scope([i])
                let (clause, args) = scoped.sql()
                let row = try GRDB.Row.fetchOne(db, sql: """
                    SELECT count(*), min(e.time_ms), max(e.time_ms),
                           sum(NOT (e.syscall IS NULL AND e.ppid IS NOT NULL AND json_extract(e.fields, '$.cgroup') IS NOT NULL))
                    FROM event e \(clause)
                    """, arguments: args)
                let events: Int64 = row?[0] ?? 0
                // A container outside the window (-ts/-te) is left out.
                if (window.startMs != nil || window.endMs != nil) && events == 0 { continue }
                report.rows.append(Row(container: entry.container, cgroups: entry.cgroups, firstSeenMs: entry.firstSeenMs,
                                       removedMs: entry.removedMs, events: events, auditEvents: row?[3] ?? 0,
                                       firstEventMs: row?[1], lastEventMs: row?[2]))
            }
            var sensor = window
            sensor.sources = [.lsm, .tracepoint]
            let (clause, args) = sensor.sql()
            report.sensorEvents = try Int64.fetchOne(db, sql: "SELECT count(*) FROM event e \(clause)", arguments: args) ?? 0
            report.importedFiles = try Int.fetchOne(db, sql: "SELECT count(*) FROM coverage WHERE kind = ?",
                                                    arguments: [Ledger.Kind.import.rawValue]) ?? 0
            return report
        }
    }
}

extension Container.Grants {
    /// What the grants say, shortest first: "default" when nothing beyond a
    /// default container.
    public var summary: [String] {
        var out: [String] = []
        if privileged { out.append("privileged") }
        if !hostNamespaces.isEmpty { out.append("host " + hostNamespaces.joined(separator: ",")) }
        if !addedCapabilities.isEmpty { out.append("+" + addedCapabilities.joined(separator: ",+")) }
        for m in hostMounts { out.append("mount " + m) }
        if seccompOff { out.append("seccomp off") }
        return out.isEmpty ? ["default"] : out
    }
}
