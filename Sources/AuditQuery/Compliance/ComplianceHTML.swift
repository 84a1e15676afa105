import Foundation

extension ComplianceReport {
    /// One self-contained page: inline CSS and SVG, no script, no network.
    public func html() -> String {
        var h = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <title>\(esc(title))</title>
        <style>
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1100px;color:#1d2430;padding:0 16px}
        h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d5dae1;padding-bottom:4px}
        .meta{color:#5b6675} table{border-collapse:collapse;width:100%;margin:6px 0}
        th,td{text-align:left;padding:3px 8px;border-bottom:1px solid #e6e9ee;vertical-align:top;font-size:13px}
        th{background:#f3f5f8;font-weight:600} code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
        .badge{display:inline-block;min-width:92px;text-align:center;border-radius:4px;padding:2px 8px;font-weight:700;font-size:12px;color:#fff}
        .pass{background:#1f883d} .fail{background:#cf222e} .no_evidence{background:#9a6700}
        .control{border:1px solid #d5dae1;border-radius:6px;padding:10px 14px;margin:14px 0}
        .control h3{margin:0 0 6px;font-size:15px} .why{margin:4px 0} .raw{white-space:pre-wrap;word-break:break-all;color:#3d4654}
        .summary span{margin-right:14px} .ok{color:#1f883d;font-weight:600} .bad{color:#cf222e;font-weight:600}
        svg text{font:11px system-ui,sans-serif;fill:#3d4654}
        </style></head><body>
        <h1>\(esc(title))</h1>
        <div class="meta">policy <b>\(esc(policy))</b> · store <code>\(esc(store))</code> · generated \(esc(generated))</div>
        <div class="meta">period \(esc(period.from ?? "—")) to \(esc(period.to ?? "—"))</div>
        <p class="summary"><span class="badge pass">PASS \(summary.pass)</span> <span class="badge fail">FAIL \(summary.fail)</span> <span class="badge no_evidence">NO EVIDENCE \(summary.noEvidence)</span></p>
        <h2>Coverage</h2>

        """
        h += "<p>\(coverage.events) events in the period; store from \(esc(coverage.firstEvent ?? "—")) to \(esc(coverage.lastEvent ?? "—")). "
        h += coverage.complete ? "<span class=\"ok\">No gap recorded in the period.</span>" : "<span class=\"bad\">\(coverage.gaps.count) gap(s) recorded.</span>"
        h += "</p>\n" + timeline()
        h += "<table><tr><th>collector run</th><th>ended</th><th>mode</th><th>boot</th><th>rule set (sha256)</th><th>sensor</th></tr>\n"
        if coverage.runs.isEmpty { h += "<tr><td colspan=\"6\">none: imported logs only</td></tr>\n" }
        for r in coverage.runs {
            h += "<tr><td>\(esc(r.started))</td><td>\(esc(r.ended ?? "—")) (\(esc(r.end)))</td><td>\(esc(r.source)) \(esc(r.mode ?? ""))</td>"
            h += "<td class=\"mono\">\(esc(r.bootID ?? "—"))</td>"
            h += "<td class=\"mono\">\(r.rulesSHA256.map { "\(r.rules ?? 0) rules, \(esc(String($0.prefix(16))))…" } ?? "none")</td>"
            h += "<td>\(esc(r.sensor))\(r.sensorReason.map { " <span class=\"meta\">(\(esc($0)))</span>" } ?? "")</td></tr>\n"
        }
        h += "</table>\n"
        if !coverage.gaps.isEmpty {
            h += "<table><tr><th>gap</th><th>from</th><th>to</th><th>count</th><th>detail</th></tr>\n"
            for g in coverage.gaps {
                h += "<tr><td>\(esc(g.kind))</td><td>\(esc(g.from ?? "?"))</td><td>\(esc(g.to ?? "?"))</td><td>\(g.count.map(String.init) ?? "")</td><td>\(esc(g.detail ?? ""))</td></tr>\n"
            }
            h += "</table>\n"
        }
        let c = coverage.chain
        h += "<p>Hash chain: " + (c.ok ? "<span class=\"ok\">verified</span>, \(c.batches) batches, \(c.events) events, head <code>\(esc(c.head ?? "—"))</code>"
                                         : "<span class=\"bad\">BROKEN</span>: \(esc(c.problem ?? "?"))")
        h += "<br>Latest checkpoint: \(coverage.checkpoint.map { "\(esc($0.recorded)) <code>\(esc($0.detail ?? ""))</code>" } ?? "none")</p>\n"
        h += "<h2>Controls</h2>\n"
        for control in controls { h += section(control) }
        h += "</body></html>\n"
        return h
    }

    private func section(_ c: ControlResult) -> String {
        var h = "<div class=\"control\" id=\"c-\(esc(c.id))\"><h3><span class=\"badge \(c.status.rawValue)\">\(c.status.label)</span> \(esc(c.id)) \(esc(c.title))</h3>\n"
        h += "<div class=\"why\"><b>Why:</b> \(esc(c.reason))</div>\n"
        if !c.ruleKeys.isEmpty {
            h += "<div>Rule keys: <code>\(esc(c.ruleKeys.joined(separator: ", ")))</code>"
            if !c.missingRuleKeys.isEmpty { h += " — <span class=\"bad\">not loaded: <code>\(esc(c.missingRuleKeys.joined(separator: ", ")))</code></span>" }
            h += "</div>\n"
        }
        if let note = c.note { h += "<div class=\"meta\">\(esc(note))</div>\n" }
        if !c.searches.isEmpty {
            h += "<div>Evidence: <b>\(c.evidenceCount)</b> event(s)</div>\n"
            for s in c.searches { h += "<div><code>\(esc(s.command))</code> <span class=\"meta\">(\(s.count)\(s.ruleChanges > 0 ? ", \(s.ruleChanges) rule change(s) not counted" : ""))</span></div>\n" }
            h += c.evidenceCount > 0 ? bars(c) : ""
        }
        if !c.examples.isEmpty {
            h += "<table><tr><th>#</th><th>time</th><th>pid</th><th>auid</th><th>exe</th><th>key</th><th>ok</th><th>first record</th></tr>\n"
            for e in c.examples {
                h += "<tr><td>\(e.id)</td><td class=\"mono\">\(esc(e.time))</td><td>\(e.pid.map(String.init) ?? "")</td><td>\(e.auid.map(String.init) ?? "")</td>"
                h += "<td class=\"mono\">\(esc(e.exe ?? ""))</td><td class=\"mono\">\(esc(e.key.joined(separator: " ")))</td>"
                h += "<td>\(e.success.map { $0 ? "yes" : "no" } ?? "")</td><td class=\"mono raw\">\(esc(e.raw))</td></tr>\n"
            }
            h += "</table>\n"
        }
        return h + "</div>\n"
    }

    /// Events per day (UTC) over the period, one bar each.
    private func bars(_ c: ControlResult) -> String {
        let width = 1000.0, height = 90.0, left = 40.0, bottom = 18.0
        guard let fromMs = period.fromMs, let toMs = period.toMs, toMs >= fromMs else { return "" }
        let firstDay = fromMs / 86_400_000, lastDay = max(firstDay, toMs / 86_400_000)
        let n = Int(lastDay - firstDay + 1)
        var counts = [Int](repeating: 0, count: n)
        for d in c.perDay {
            if let i = dayIndex(d.day, firstDay: firstDay), i >= 0, i < n { counts[i] += d.count }
        }
        let top = max(1, counts.max() ?? 1)
        let slot = (width - left) / Double(n), barWidth = max(1, min(40, slot * 0.8))
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"events per day\">"
        s += "<line x1=\"\(left)\" y1=\"\(height - bottom)\" x2=\"\(width)\" y2=\"\(height - bottom)\" stroke=\"#8c959f\"/>"
        s += "<text x=\"2\" y=\"12\">\(top)</text><text x=\"2\" y=\"\(Int(height - bottom))\">0</text>"
        let color = c.status == .pass ? "#2da44e" : c.status == .fail ? "#cf222e" : "#bf8700"
        for (i, count) in counts.enumerated() where count > 0 {
            let h = (height - bottom - 6) * Double(count) / Double(top)
            let x = left + Double(i) * slot + (slot - barWidth) / 2
            s += "<rect x=\"\(f(x))\" y=\"\(f(height - bottom - h))\" width=\"\(f(barWidth))\" height=\"\(f(max(1, h)))\" fill=\"\(color)\"><title>\(day(firstDay + Int64(i))): \(count)</title></rect>"
        }
        s += "<text x=\"\(left)\" y=\"\(height - 4)\">\(day(firstDay))</text>"
        if n > 1 { s += "<text x=\"\(width)\" y=\"\(height - 4)\" text-anchor=\"end\">\(day(lastDay))</text>" }
        if counts.allSatisfy({ $0 == 0 }) { s += "<text x=\"\(width / 2)\" y=\"\(height / 2)\" text-anchor=\"middle\">no events in the period</text>" }
        return s + "</svg>\n"
    }

    /// Collection spans (runs, green) and gaps (red) over the period.
    private func timeline() -> String {
        let width = 1000.0, left = 10.0, right = 990.0
        let runs = coverage.runs
        var lo = period.fromMs ?? Int64.max, hi = period.toMs ?? Int64.min
        for r in runs { lo = min(lo, r.startedMs); hi = max(hi, r.endedMs ?? r.startedMs) }
        for g in coverage.gaps { if let a = g.fromMs ?? g.toMs { lo = min(lo, a) }; if let b = g.toMs ?? g.fromMs { hi = max(hi, b) } }
        guard lo <= hi else { return "" }
        if hi == lo { hi = lo + 1000 }
        let span = Double(hi - lo)
        func x(_ ms: Int64) -> Double { left + (right - left) * Double(ms - lo) / span }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"74\" viewBox=\"0 0 \(Int(width)) 74\" role=\"img\" aria-label=\"coverage timeline\">"
        s += "<rect x=\"\(left)\" y=\"14\" width=\"\(right - left)\" height=\"24\" fill=\"#eef1f4\"/>"
        if let a = period.fromMs, let b = period.toMs {
            s += "<rect x=\"\(f(x(a)))\" y=\"10\" width=\"\(f(max(1, x(b) - x(a))))\" height=\"32\" fill=\"none\" stroke=\"#57606a\" stroke-dasharray=\"3 2\"><title>report period</title></rect>"
        }
        let nowMs = period.toMs ?? hi
        for r in runs {
            let end = r.endedMs ?? max(r.startedMs, nowMs)
            s += "<rect x=\"\(f(x(r.startedMs)))\" y=\"16\" width=\"\(f(max(2, x(end) - x(r.startedMs))))\" height=\"20\" fill=\"#2da44e\"><title>\(esc(r.source)) \(esc(r.started)) – \(esc(r.ended ?? r.end))</title></rect>"
        }
        for g in coverage.gaps {
            let a = g.fromMs ?? g.toMs ?? lo, b = g.toMs ?? a
            s += "<rect x=\"\(f(x(a)))\" y=\"12\" width=\"\(f(max(3, x(b) - x(a))))\" height=\"28\" fill=\"#cf222e\" opacity=\"0.85\"><title>\(esc(g.kind)) \(esc(g.from ?? "?")) – \(esc(g.to ?? "?"))</title></rect>"
        }
        s += "<text x=\"\(left)\" y=\"56\">\(esc(ComplianceReport.iso(lo)))</text>"
        s += "<text x=\"\(right)\" y=\"56\" text-anchor=\"end\">\(esc(ComplianceReport.iso(hi)))</text>"
        s += "<rect x=\"\(left)\" y=\"62\" width=\"10\" height=\"10\" fill=\"#2da44e\"/><text x=\"\(left + 14)\" y=\"71\">collecting</text>"
        s += "<rect x=\"\(left + 90)\" y=\"62\" width=\"10\" height=\"10\" fill=\"#cf222e\"/><text x=\"\(left + 104)\" y=\"71\">gap / loss</text>"
        s += "<rect x=\"\(left + 180)\" y=\"62\" width=\"10\" height=\"10\" fill=\"#eef1f4\"/><text x=\"\(left + 194)\" y=\"71\">no collector run recorded</text>"
        return s + "</svg>\n"
    }

    private func dayIndex(_ day: String, firstDay: Int64) -> Int? {
        let parts = day.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { return nil }
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        guard let date = cal.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2])) else { return nil }
        return Int(Int64(date.timeIntervalSince1970) / 86_400 - firstDay)
    }

    private func day(_ d: Int64) -> String { String(ComplianceReport.iso(d * 86_400_000).prefix(10)) }
    private func f(_ v: Double) -> String { String(format: "%.1f", v) }
    private func esc(_ s: String) -> String {
        var out = ""
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Control characters (raw audit text may hold them) as visible escapes.
                if ch.value < 0x20 && ch != "\t" { out += String(format: "\\x%02x", ch.value) } else { out.unicodeScalars.append(ch) }
            }
        }
        return out
    }
}
