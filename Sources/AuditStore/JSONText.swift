/// Minimal JSON writing for the argv and fields columns and JSON output:
/// strings escaped per RFC 8259, nothing else. Works on UTF-8 bytes: every
/// byte of a multi-byte sequence is ≥ 0x80, so only ASCII bytes can need an
/// escape and the rest is copied as it is.
public enum JSONText {
    public static func quoted(_ s: String, into out: inout [UInt8]) {
        out.append(0x22)
        var s = s
        s.withUTF8 { bytes in
            var clean = 0  // start of the run not yet copied
            for (i, b) in bytes.enumerated() where b < 0x20 || b == 0x22 || b == 0x5C || b == 0x7F {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[clean..<i]))
                clean = i + 1
                switch b {
                case 0x22: out.append(contentsOf: [0x5C, 0x22])        // \"
                case 0x5C: out.append(contentsOf: [0x5C, 0x5C])        // \\
                case 0x0A: out.append(contentsOf: [0x5C, 0x6E])        // \n
                case 0x0D: out.append(contentsOf: [0x5C, 0x72])        // \r
                case 0x09: out.append(contentsOf: [0x5C, 0x74])        // \t
                default:                                                // \u00XX
                    let hex: [UInt8] = Array("0123456789abcdef".utf8)
                    out.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 0xF)]])
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[clean...]))
        }
        out.append(0x22)
    }

    public static func quoted(_ s: String, into out: inout String) {
        out += quoted(s)
    }

    public static func quoted(_ s: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count + 2)
        quoted(s, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public static func array(_ items: [String]) -> String {
        var out: [UInt8] = [0x5B]
        out.reserveCapacity(items.reduce(2) { $0 + $1.utf8.count + 3 })
        for (i, item) in items.enumerated() {
            if i > 0 { out.append(0x2C) }
            quoted(item, into: &out)
        }
        out.append(0x5D)
        return String(decoding: out, as: UTF8.self)
    }

    public static func object(_ pairs: [(name: String, value: String)]) -> String {
        var out: [UInt8] = [0x7B]
        out.reserveCapacity(pairs.reduce(2) { $0 + $1.name.utf8.count + $1.value.utf8.count + 6 })
        for (i, pair) in pairs.enumerated() {
            if i > 0 { out.append(0x2C) }
            quoted(pair.name, into: &out)
            out.append(0x3A)
            quoted(pair.value, into: &out)
        }
        out.append(0x7D)
        return String(decoding: out, as: UTF8.self)
    }
}
