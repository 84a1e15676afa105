/// Decodes the `saddr` bytes of a SOCKADDR record: family, address and port
/// for inet/inet6, the path for local (unix) sockets, the pid for netlink.
public enum SockaddrDecoder {
    public static func decode(_ b: [UInt8]) -> SocketAddress? {
        guard b.count >= 2 else { return nil }
        var family = Int64(b[0]) | Int64(b[1]) << 8
        // A big-endian host writes the family the other way round.
        let swapped = Int64(b[0]) << 8 | Int64(b[1])
        if ![1, 2, 10, 16, 17].contains(family) && [1, 2, 10, 16, 17].contains(swapped) { family = swapped }
        switch family {
        case 2 where b.count >= 8:
            let port = Int64(b[2]) << 8 | Int64(b[3])
            return SocketAddress(family: 2, address: "\(b[4]).\(b[5]).\(b[6]).\(b[7])", port: port)
        case 10 where b.count >= 24:
            let port = Int64(b[2]) << 8 | Int64(b[3])
            return SocketAddress(family: 10, address: ipv6(Array(b[8..<24])), port: port)
        case 1:
            let body = b.dropFirst(2)
            if body.first == 0 {
                let name = body.dropFirst().prefix { $0 != 0 }
                return SocketAddress(family: 1, address: "@" + String(decoding: name, as: UTF8.self))
            }
            return SocketAddress(family: 1, address: String(decoding: body.prefix { $0 != 0 }, as: UTF8.self))
        case 16 where b.count >= 8:
            let pid = Int64(b[4]) | Int64(b[5]) << 8 | Int64(b[6]) << 16 | Int64(b[7]) << 24
            return SocketAddress(family: 16, address: "pid:\(pid)")
        default:
            return SocketAddress(family: family)
        }
    }

    /// RFC 5952 text form: lower-case hex, longest zero run as "::".
    static func ipv6(_ a: [UInt8]) -> String {
        let words = (0..<8).map { Int(a[2 * $0]) << 8 | Int(a[2 * $0 + 1]) }
        if words[0..<5].allSatisfy({ $0 == 0 }) && words[5] == 0xffff {
            return "::ffff:\(a[12]).\(a[13]).\(a[14]).\(a[15])"
        }
        var bestStart = -1, bestLen = 0, i = 0
        while i < 8 {
            if words[i] == 0 {
                var j = i
                while j < 8 && words[j] == 0 { j += 1 }
                if j - i > bestLen && j - i > 1 { bestStart = i; bestLen = j - i }
                i = j
            } else { i += 1 }
        }
        func hex(_ r: Range<Int>) -> String { r.map { String(words[$0], radix: 16) }.joined(separator: ":") }
        if bestStart < 0 { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLen)..<8)
    }
}
