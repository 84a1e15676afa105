import AuditStore
import Foundation
import GRDB

/// Which detectors can fire on this store: the audit signature when the
/// rules its keys name were loaded (by the latest rule set the ledger
/// records, or, for imported logs, when events carry those keys); the
/// sensor signature when the latest sensor row's mode is one it runs in.
public struct DetectCoverage: Sendable {
    public struct Entry: Codable, Sendable {
        public var detector: String
        public var title: String
        public var severity: String
        /// "audit+sensor", "audit", "sensor" or "not covered".
        public var coveredBy: String
        public var audit: String
        public var sensor: String
    }

    public var entries: [Entry]
    /// What the coverage was judged from.
    public var rules: String
    public var sensorMode: String

    public static func evaluate(_ detectors: [Detector], _ db: Database) throws -> DetectCoverage {
        let history = try Ledger.history(db)
        let lastSet = history.ruleLoads.last.map(ComplianceEvaluator.ruleSet)
        let loaded = lastSet?.keys ?? []
        let mode = history.sensor?.mode
        var seenCache: [String: Bool] = [:]
        func seen(_ key: String) throws -> Bool {
            if let v = seenCache[key] { return v }
            var f = EventFilter(); f.key = key; f.exact = true
            let (c, a) = f.sql()
            let v = try Int.fetchOne(db, sql: "SELECT 1 FROM event e \(c) LIMIT 1", arguments: a) != nil
            seenCache[key] = v
            return v
        }
        var entries: [Entry] = []
        for d in detectors {
            var audit = "no audit signature"
            var auditOn = false
            if d.audit != nil {
                var missing: [String] = []
                var via: [String] = []
                for group in d.ruleKeys {
                    if let k = group.first(where: loaded.contains) { via.append(k); continue }
                    if let k = try group.first(where: seen) { via.append("\(k) (seen in events)"); continue }
                    missing.append(group.joined(separator: " or "))
                }
                auditOn = missing.isEmpty
                audit = auditOn ? "rules loaded: " + via.joined(separator: ", ")
                    : "missing rule keys: " + missing.joined(separator: "; ")
                if let limits = d.audit?.limits { audit += " (\(limits))" }
            }
            var sensor = "no sensor signature"
            var sensorOn = false
            if let s = d.sensor {
                let modes = s.modes ?? ["lsm", "tracepoint"]
                if let mode, modes.contains(mode) {
                    sensorOn = true
                    sensor = "sensor runs in \(mode) mode"
                } else if let mode {
                    sensor = "sensor runs in \(mode) mode; this signature needs " + modes.joined(separator: " or ")
                } else {
                    sensor = "no sensor on record (auditqd runs it; needs " + modes.joined(separator: " or ") + ")"
                }
                if let limits = s.limits { sensor += " (\(limits))" }
            }
            let by = auditOn && sensorOn ? "audit+sensor" : auditOn ? "audit" : sensorOn ? "sensor" : "not covered"
            entries.append(Entry(detector: d.detector, title: d.title, severity: d.severity.rawValue,
                                 coveredBy: by, audit: audit, sensor: sensor))
        }
        let rules = lastSet.map { "rule set loaded \(EventFormatter.iso($0.ms)) (\($0.keys.count) keys)" }
            ?? "no rule set on record (keys judged from the events)"
        return DetectCoverage(entries: entries, rules: rules, sensorMode: mode ?? "none on record")
    }
}
