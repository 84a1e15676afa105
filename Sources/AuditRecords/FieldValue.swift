/// Decoding of audit field values as the kernel writes them: quoted strings,
/// hex-encoded untrusted strings, `(null)`, decimal, hex and octal numbers.
/// Works on auparse's C strings without building intermediate Strings.
enum FieldValue {
    /// A field name packed into a UInt64 (names of up to 8 bytes), so the hot
    /// loop compares integers instead of strings. Longer names give 0.
    @inline(__always)
    static func tag(_ p: UnsafePointer<CChar>) -> UInt64 {
        var v: UInt64 = 0
        var i = 0
        while i < 8 {
            let c = UInt8(bitPattern: p[i])
            if c == 0 { return v }
            v |= UInt64(c) << (8 * UInt64(i))
            i += 1
        }
        return p[8] == 0 ? v : 0
    }

    static func tag(_ s: StaticString) -> UInt64 {
        precondition(s.utf8CodeUnitCount <= 8)
        var v: UInt64 = 0
        s.withUTF8Buffer { buf in
            for (i, c) in buf.enumerated() { v |= UInt64(c) << (8 * UInt64(i)) }
        }
        return v
    }

    /// A text value: quotes removed, hex decoded, `(null)` as nil.
    static func text(_ p: UnsafePointer<CChar>) -> String? {
        let n = strlen(p)
        if n == 0 { return "" }
        return p.withMemoryRebound(to: UInt8.self, capacity: n) { bytes in
            let buf = UnsafeBufferPointer(start: bytes, count: n)
            if buf[0] == UInt8(ascii: "\"") {
                let end = n > 1 && buf[n - 1] == UInt8(ascii: "\"") ? n - 1 : n
                return String(decoding: UnsafeBufferPointer(rebasing: buf[1..<end]), as: UTF8.self)
            }
            if n == 6 && memcmp(bytes, "(null)", 6) == 0 { return nil }
            if let decoded = hexDecoded(buf) { return String(decoding: decoded, as: UTF8.self) }
            // Some kernels wrote a hex key followed by a stray quote.
            if buf[n - 1] == UInt8(ascii: "\""), let decoded = hexDecoded(UnsafeBufferPointer(rebasing: buf[..<(n - 1)])) {
                return String(decoding: decoded, as: UTF8.self)
            }
            return String(decoding: buf, as: UTF8.self)
        }
    }

    /// A value that is never hex-encoded (tty, nametype, res): only quotes removed.
    static func plain(_ p: UnsafePointer<CChar>) -> String? {
        let n = strlen(p)
        return p.withMemoryRebound(to: UInt8.self, capacity: n) { bytes in
            let buf = UnsafeBufferPointer(start: bytes, count: n)
            if n >= 2 && buf[0] == UInt8(ascii: "\"") && buf[n - 1] == UInt8(ascii: "\"") {
                return String(decoding: UnsafeBufferPointer(rebasing: buf[1..<(n - 1)]), as: UTF8.self)
            }
            if n == 6 && memcmp(bytes, "(null)", 6) == 0 { return nil }
            return String(decoding: buf, as: UTF8.self)
        }
    }

    /// Bytes of a quoted or hex-encoded value (argv pieces, saddr).
    static func bytes(_ p: UnsafePointer<CChar>) -> [UInt8] {
        let n = strlen(p)
        return p.withMemoryRebound(to: UInt8.self, capacity: n) { bytes in
            let buf = UnsafeBufferPointer(start: bytes, count: n)
            if n >= 1 && buf[0] == UInt8(ascii: "\"") {
                let end = n > 1 && buf[n - 1] == UInt8(ascii: "\"") ? n - 1 : n
                return Array(buf[1..<end])
            }
            return hexDecoded(buf) ?? Array(buf)
        }
    }

    static func hexDecoded(_ buf: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        let n = buf.count
        guard n >= 2, n % 2 == 0 else { return nil }
        var out = [UInt8](repeating: 0, count: n / 2)
        var i = 0
        while i < n {
            guard let hi = nibble(buf[i]), let lo = nibble(buf[i + 1]) else { return nil }
            out[i / 2] = hi << 4 | lo
            i += 2
        }
        return out
    }

    @inline(__always)
    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        default: return nil
        }
    }

    /// Signed decimal (`exit=-13`, `pid=4242`, `auid=4294967295`).
    @inline(__always)
    static func decimal(_ p: UnsafePointer<CChar>) -> Int64? {
        var i = 0
        var negative = false
        if p[0] == 0x2D { negative = true; i = 1 }
        var v: Int64 = 0
        var digits = 0
        while true {
            let c = UInt8(bitPattern: p[i])
            if c < 0x30 || c > 0x39 { break }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(c - 0x30))
            if o1 || o2 { return nil }
            v = a
            digits += 1
            i += 1
        }
        guard digits > 0, p[i] == 0 else { return nil }
        return negative ? -v : v
    }

    /// Hexadecimal without prefix (`arch=c000003e`).
    static func hex(_ p: UnsafePointer<CChar>) -> Int64? {
        var i = 0
        var v: UInt64 = 0
        while p[i] != 0 {
            guard i < 16, let d = nibble(UInt8(bitPattern: p[i])) else { return nil }
            v = v << 4 | UInt64(d)
            i += 1
        }
        return i > 0 ? Int64(bitPattern: v) : nil
    }

    /// Octal (`mode=0100644`).
    static func octal(_ p: UnsafePointer<CChar>) -> Int64? {
        var i = 0
        var v: Int64 = 0
        while p[i] != 0 {
            let c = UInt8(bitPattern: p[i])
            guard c >= 0x30 && c <= 0x37, i < 22 else { return nil }
            v = v << 3 | Int64(c - 0x30)
            i += 1
        }
        return i > 0 ? v : nil
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
