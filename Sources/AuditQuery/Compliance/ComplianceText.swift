import Foundation

extension ComplianceReport {
    /// The report for a terminal: coverage first, then each control.
    public func text() -> String {
        var out = "\(title)\n"
        out += "policy \(policy), store \(store), generated \(generated)\n"
        out += "period: \(period.from ?? "(empty store)") to \(period.to ?? "(empty store)")\n\n"
        out += "COVERAGE\n"
        out += "  events in period: \(coverage.events) (store: \(coverage.firstEvent ?? "-") to \(coverage.lastEvent ?? "-"))\n"
        if coverage.runs.isEmpty {
            out += "  collector runs: none (imported logs only)\n"
        }
        for run in coverage.runs {
            out += "  run \(run.started) – \(run.ended ?? run.end): \(run.source) \(run.mode ?? "?") mode, boot \(run.bootID ?? "?"), \(run.end)\n"
            out += "      rules: \(run.rulesSHA256.map { "\(run.rules ?? 0) rules, sha256 \($0)" } ?? "none loaded by this run")"
            out += "; sensor: \(run.sensor)\(run.sensorReason.map { " (\($0))" } ?? "")\n"
        }
        if coverage.gaps.isEmpty {
            out += "  gaps: none\n"
        } else {
            out += "  gaps (\(coverage.gaps.count)):\n"
            for g in coverage.gaps {
                out += "    \(g.kind) \(g.from ?? "?") – \(g.to ?? "?")\(g.count.map { ", \($0)" } ?? "")\(g.detail.map { ": \($0)" } ?? "")\n"
            }
        }
        out += "  chain: " + (coverage.chain.ok
            ? "verified, \(coverage.chain.batches) batches, \(coverage.chain.events) events, head \(coverage.chain.head ?? "-")\n"
            : "BROKEN: \(coverage.chain.problem ?? "?")\n")
        out += "  latest checkpoint: \(coverage.checkpoint.map { "\($0.recorded)\($0.detail.map { " \($0)" } ?? "")" } ?? "none")\n\n"
        out += "SUMMARY  pass \(summary.pass)  fail \(summary.fail)  no evidence \(summary.noEvidence)\n\n"
        for c in controls {
            out += "[\(c.status.label)] \(c.id) \(c.title)\n"
            out += "  why: \(c.reason)\n"
            if !c.ruleKeys.isEmpty { out += "  rule keys: \(c.ruleKeys.joined(separator: ", "))" }
            if !c.missingRuleKeys.isEmpty { out += " (not loaded: \(c.missingRuleKeys.joined(separator: ", ")))" }
            if !c.ruleKeys.isEmpty { out += "\n" }
            if let note = c.note { out += "  note: \(note)\n" }
            if !c.searches.isEmpty {
                out += "  evidence: \(c.evidenceCount) event(s)\n"
                for s in c.searches {
                    out += "    \(s.command)    # \(s.count)\(s.ruleChanges > 0 ? ", \(s.ruleChanges) rule change(s) not counted" : "")\n"
                }
            }
            for e in c.examples {
                out += "    #\(e.id) \(e.time) pid=\(e.pid.map(String.init) ?? "-") auid=\(e.auid.map(String.init) ?? "-")"
                out += " exe=\(e.exe ?? "-") key=\(e.key.isEmpty ? "-" : e.key.joined(separator: ","))"
                out += " success=\(e.success.map { $0 ? "yes" : "no" } ?? "-")\n      \(e.raw)\n"
            }
            out += "\n"
        }
        return out
    }
}
