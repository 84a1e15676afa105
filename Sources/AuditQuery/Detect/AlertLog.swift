import AuditStore
import Foundation
import GRDB

/// Alerts as chained ledger rows: made from findings, recorded once each
/// (the detector and its evidence make an alert's identity), read back by
/// `auditq alerts`.
public enum AlertLog {
    /// A stored alert and when its evidence happened.
    public struct Stored: Sendable {
        public var row: Ledger.Row
        public var alert: Ledger.Alert
    }

    /// The alert a finding makes.
    public static func alert(_ f: DetectionEngine.Finding, containers: ContainerIndex?) -> Ledger.Alert {
        let last = f.last
        let container = last.container.flatMap { i in containers.map { $0.entries[i].container } }
        var says: [String] = []
        for h in f.hits where !says.contains(h.says) { says.append(h.says) }
        var who = "pid \(last.pid.map(String.init) ?? "?")"
        if let comm = last.comm { who += " (\(comm))" }
        if let uid = last.uid { who += " uid \(uid)" }
        if let auid = last.auid { who += " auid " + (auid == 4_294_967_295 || auid == -1 ? "unset" : String(auid)) }
        if let exe = last.exe { who += " exe \(exe)" }
        if let container { who += " in container \(container.name ?? String(container.id.prefix(12)))" }
        let ids = f.evidence
        return Ledger.Alert(
            detector: f.detector.detector, title: f.detector.title, severity: f.detector.severity.rawValue,
            cve: f.detector.cve ?? [], attack: f.detector.attack, source: f.source, evidence: ids,
            summary: says.joined(separator: ", then ") + ": " + who,
            search: "auditq search --id " + ids.map(String.init).joined(separator: ",") + " -i",
            pid: last.pid, uid: last.uid, auid: last.auid, exe: last.exe, comm: last.comm,
            container: container?.id, containerName: container?.name)
    }

    public static func stored(_ db: Database, from startMs: Int64? = nil, to endMs: Int64? = nil) throws -> [Stored] {
        let rows: [Ledger.Row]
        if startMs != nil || endMs != nil {
            rows = try Ledger.rows(db, kinds: [.alert], from: startMs ?? Int64.min, to: endMs ?? Int64.max)
        } else {
            rows = try Ledger.rows(db, kinds: [.alert])
        }
        return rows.compactMap { row in row.payload(Ledger.Alert.self).map { Stored(row: row, alert: $0) } }
    }

    /// Commits the alerts not already stored (by identity) as ledger rows of
    /// one batch; returns those committed.
    @discardableResult
    public static func record(_ alerts: [(Ledger.Alert, firstMs: Int64, lastMs: Int64)], store: EventStore,
                              source: String, known: inout Set<String>) throws -> [Ledger.Alert] {
        var rows: [CoverageRow] = []
        var fresh: [Ledger.Alert] = []
        for (alert, first, last) in alerts where known.insert(alert.identity).inserted {
            rows.append(CoverageRow(alert, source: source, firstTimeMs: first, lastTimeMs: last, count: Int64(alert.evidence.count)))
            fresh.append(alert)
        }
        if !rows.isEmpty { _ = try EventWriter(store: store).commit(events: [], coverage: rows, source: source) }
        return fresh
    }

    /// One JSON line, as auditqd sends live alerts and `--format json` prints them.
    public static func jsonLine(_ alert: Ledger.Alert, timeMs: Int64) -> String {
        struct Line: Encodable {
            var time: String
            var alert: Ledger.Alert
        }
        return Ledger.encode(Line(time: EventFormatter.iso(timeMs), alert: alert))
    }

    /// One readable line.
    public static func textLine(_ alert: Ledger.Alert, timeMs: Int64) -> String {
        let ids = (alert.cve + alert.attack).joined(separator: ", ")
        return "\(EventFormatter.iso(timeMs)) \(alert.severity.uppercased()) \(alert.detector) [\(ids)] (\(alert.source)) \(alert.summary)\n    \(alert.search)"
    }
}
