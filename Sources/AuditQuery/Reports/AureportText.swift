import AuditStore
import Foundation

/// aureport's layout (aureport-output.c): a blank line, the title, a rule
/// as wide as the header, the header, the rule, then numbered rows
/// "N. date time columns…" or, with --summary, "hits  object" lines.
public enum AureportText {
    static let nothing = "<no events of interest were found>\n\n"

    public static func list(_ kind: AureportKind, outcome: ReportOutcome, rows: [AureportRow]) -> String {
        let (title, header) = kind.listTitle
        let rule = String(repeating: "=", count: header.count)
        var out = "\n\(title)\n\(rule)\n\(header)\n\(rule)\n"
        if rows.isEmpty { return out + nothing }
        for (i, row) in rows.enumerated() {
            out += "\(i + 1). \(localTime(row.timeMs)) " + row.values.joined(separator: " ") + "\n"
        }
        return out
    }

    public static func summary(_ kind: AureportKind, outcome: ReportOutcome, totals: [AureportTotal]) -> String {
        let (title, object, width) = kind.summaryTitle
        let rule = String(repeating: "=", count: width)
        let prefix = outcome == .failed ? "Failed " : outcome == .success ? "Success " : ""
        var out = "\n\(prefix)\(title)\n\(rule)\ntotal  \(object)\n\(rule)\n"
        if totals.isEmpty { return out + nothing }
        for t in totals { out += "\(t.hits)  \(t.value)\n" }
        return out
    }

    /// `--format json`: one document; list rows carry the report's columns
    /// by name (README, "auditq report").
    public static func listJSON(_ kind: AureportKind, outcome: ReportOutcome, rows: [AureportRow]) -> String {
        var out = "{\"report\":" + JSONText.quoted(kind.rawValue) + ",\"outcome\":" + JSONText.quoted(outcome.rawValue)
        out += ",\"rows\":["
        for (i, row) in rows.enumerated() {
            if i > 0 { out += "," }
            out += "{\"n\":\(i + 1),\"time_ms\":\(row.timeMs)"
            for (name, value) in zip(kind.columns, row.values) where name != "event" {
                out += "," + JSONText.quoted(name) + ":" + JSONText.quoted(value)
            }
            out += ",\"event\":\(row.serial)}"
        }
        return out + "]}\n"
    }

    public static func summaryJSON(_ kind: AureportKind, outcome: ReportOutcome, totals: [AureportTotal]) -> String {
        var out = "{\"report\":" + JSONText.quoted(kind.rawValue) + ",\"outcome\":" + JSONText.quoted(outcome.rawValue)
        out += ",\"object\":" + JSONText.quoted(kind.summaryTitle.object) + ",\"totals\":["
        out += totals.map { "{\"total\":\($0.hits),\"value\":" + JSONText.quoted($0.value) + "}" }.joined(separator: ",")
        return out + "]}\n"
    }

    /// strftime "%x %T" in local time, as aureport prints event times.
    static func localTime(_ ms: Int64) -> String {
        var t = time_t(ms / 1000)
        var tmv = tm()
        localtime_r(&t, &tmv)
        var buf = [CChar](repeating: 0, count: 64)
        let n = strftime(&buf, buf.count, "%x %T", &tmv)
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
