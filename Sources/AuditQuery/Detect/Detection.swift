import AuditStore
import Foundation

/// One pass of the detectors, as `auditq detect` and auditqd run it: the
/// engine's findings, less what the operator's allow rules expect, made
/// into alerts, and those not stored yet committed as ledger rows.
public final class Detection {
    public struct Alerted: Sendable {
        public var alert: Ledger.Alert
        public var firstMs: Int64
        public var lastMs: Int64
        /// Not stored before this pass.
        public var new: Bool
    }

    public struct Outcome: Sendable {
        public var alerts: [Alerted] = []
        /// Findings an allow rule expects: the rule's note, and how many.
        public var suppressed: [String: Int] = [:]
        /// Alerts `ready` held back.
        public var held: [Alerted] = []
    }

    public let store: EventStore
    public let engine: DetectionEngine
    public let allow: AllowRules
    /// Identities of the alerts stored (read once, then kept up to date).
    private var known: Set<String>?
    /// The evidence of each detector's stored alerts.
    private var evidence: [String: [Set<Int64>]] = [:]
    /// When a once-per-process detector last alerted for a process.
    private var lastByProcess: [String: Int64] = [:]

    public init(store: EventStore, detectors: [Detector], allow: AllowRules = AllowRules(), containers: ContainerIndex? = nil) {
        self.store = store
        self.engine = DetectionEngine(store: store, detectors: detectors, containers: containers)
        self.allow = allow
    }

    /// Runs the detectors over `window`. With `record`, new alerts are
    /// committed (`source` names the writer in the ledger). `containers`
    /// (ids or names) keeps only findings in those containers. `ready`
    /// decides which alerts are made now (a live pass holds back an alert
    /// of one source while the other's event may still come).
    public func run(_ window: DetectionEngine.Window, containers words: [String] = [], record: Bool,
                    source: String, ready: (Alerted) -> Bool = { _ in true }) throws -> Outcome {
        var findings = try engine.run(window)
        let index = findings.isEmpty ? nil : try engine.containerIndex()
        if !words.isEmpty {
            let chosen = Set(words.flatMap { index?.matching($0) ?? [] })
            findings = findings.filter { $0.last.container.map(chosen.contains) ?? false }
        }
        var outcome = Outcome()
        var made: [(Ledger.Alert, firstMs: Int64, lastMs: Int64)] = []
        for f in findings {
            if let rule = allow.allowing(f, containers: index) {
                outcome.suppressed["\(f.detector.detector): \(rule.note)", default: 0] += 1
                continue
            }
            let times = f.hits.map(\.timeMs)
            made.append((AlertLog.alert(f, containers: index), times.min()!, times.max()!))
        }
        var held: [Alerted] = []
        made = made.filter { m in
            let a = Alerted(alert: m.0, firstMs: m.firstMs, lastMs: m.lastMs, new: true)
            if ready(a) { return true }
            held.append(a)
            return false
        }
        // Detectors that match every syscall of a process make one alert per
        // process and period.
        let once = Dictionary(uniqueKeysWithValues: engine.detectors.compactMap { d in d.oncePerProcessS.map { (d.detector, Int64($0) * 1000) } })
        if !once.isEmpty {
            made = made.filter { m in
                guard let period = once[m.0.detector] else { return true }
                let key = "\(m.0.detector)|\(m.0.pid ?? -1)"
                if let last = lastByProcess[key], m.firstMs - last <= period { return false }
                lastByProcess[key] = m.lastMs
                return true
            }
        }
        if known == nil {
            let stored = try store.pool.read { try AlertLog.stored($0) }.map(\.alert)
            known = Set(stored.map(\.identity))
            for a in stored { evidence[a.detector, default: []].append(Set(a.evidence)) }
        }
        // An alert whose evidence a stored alert of its detector already
        // holds (one source's half of an action both saw) is not made again.
        made = made.filter { m in
            let ids = Set(m.0.evidence)
            return !(evidence[m.0.detector] ?? []).contains { ids.isSubset(of: $0) && ids != $0 }
        }
        var fresh = Set<String>()
        if record {
            fresh = Set(try AlertLog.record(made, store: store, source: source, known: &known!).map(\.identity))
        } else {
            for m in made where !known!.contains(m.0.identity) { fresh.insert(m.0.identity) }
        }
        for m in made { evidence[m.0.detector, default: []].append(Set(m.0.evidence)) }
        outcome.alerts = made.map { Alerted(alert: $0.0, firstMs: $0.firstMs, lastMs: $0.lastMs, new: fresh.contains($0.0.identity)) }
        outcome.held = held
        return outcome
    }
}
