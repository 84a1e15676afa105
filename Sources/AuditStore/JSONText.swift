/// Minimal JSON writing for the argv and fields columns and JSON output:
/// strings escaped per RFC 8259, nothing else.
public enum JSONText {
    public static func quoted(_ s: String, into out: inout String) {
        out.append("\"")
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                out.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out.append("\"")
    }

    public static func quoted(_ s: String) -> String {
        var out = ""
        quoted(s, into: &out)
        return out
    }

    public static func array(_ items: [String]) -> String {
        var out = "["
        for (i, item) in items.enumerated() {
            if i > 0 { out.append(",") }
            quoted(item, into: &out)
        }
        out.append("]")
        return out
    }

    public static func object(_ pairs: [(name: String, value: String)]) -> String {
        var out = "{"
        for (i, pair) in pairs.enumerated() {
            if i > 0 { out.append(",") }
            quoted(pair.name, into: &out)
            out.append(":")
            quoted(pair.value, into: &out)
        }
        out.append("}")
        return out
    }
}
