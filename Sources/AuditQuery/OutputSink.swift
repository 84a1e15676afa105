#if canImport(Glibc)
import Glibc
#endif

/// Output was cut short because its reader went away (a closed pipe).
public struct OutputClosed: Error {
    public init() {}
}

/// Buffered writes to a file descriptor (stdout by default): output is built
/// as bytes in one buffer and written in large pieces. A closed pipe
/// (`auditq search … | head`) ends output quietly instead of failing.
public final class OutputSink {
    private let fd: Int32
    private var buffer: [UInt8] = []
    public private(set) var closed = false
    private static let flushAt = 1 << 18

    public init(fd: Int32 = 1) {
        self.fd = fd
        buffer.reserveCapacity(Self.flushAt + (1 << 16))
        signal(SIGPIPE, SIG_IGN)
    }

    deinit { flush() }

    public func write(_ s: String) {
        var s = s
        s.withUTF8 { buffer.append(contentsOf: $0) }
        flushIfFull()
    }

    public func write(_ bytes: some Collection<UInt8>) {
        buffer.append(contentsOf: bytes)
        flushIfFull()
    }

    public func write(_ bytes: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: bytes)
        flushIfFull()
    }

    /// Call after a piece of output (one event) is complete: writes once the buffer is large.
    @inline(__always) public func flushIfFull() {
        if buffer.count >= Self.flushAt { flush() }
    }

    // MARK: building output in place (no intermediate strings)

    @inline(__always) func byte(_ b: UInt8) { buffer.append(b) }

    /// ASCII text known at compile time (field names, punctuation).
    @inline(__always) func ascii(_ s: StaticString) {
        buffer.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    func utf8(_ s: String) {
        var s = s
        s.withUTF8 { buffer.append(contentsOf: $0) }
    }

    /// A decimal integer.
    func int(_ v: Int64) {
        if v >= 0 && v < 10 { buffer.append(0x30 + UInt8(v)); return }
        var digits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)  // 32 bytes of scratch
        let negative = v < 0
        var m = v.magnitude
        withUnsafeMutableBytes(of: &digits) { scratch in
            var i = scratch.count
            repeat {
                i -= 1
                scratch[i] = 0x30 + UInt8(m % 10)
                m /= 10
            } while m > 0
            if negative { i -= 1; scratch[i] = 0x2D }
            buffer.append(contentsOf: scratch[i...])
        }
    }

    /// `n` as exactly `width` digits, zero-padded (n >= 0).
    func padded(_ n: Int, width: Int) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        var n = n
        while divisor > 0 {
            buffer.append(0x30 + UInt8(truncatingIfNeeded: (n / divisor) % 10))
            n %= divisor
            divisor /= 10
        }
    }

    /// A JSON string (RFC 8259 escapes; as JSONText.quoted).
    func jsonQuoted(_ s: String) {
        var s = s
        s.withUTF8 { jsonQuoted(UnsafeRawBufferPointer($0)) }
    }

    /// A JSON string from UTF-8 bytes; escapes as JSONText.quoted (", \, \n,
    /// \r, \t, \u00XX for other controls and DEL), other bytes as they are.
    func jsonQuoted(_ bytes: UnsafeRawBufferPointer) {
        Self.appendQuoted(bytes, to: &buffer)  // one access to the buffer, not one per byte
    }

    private static func appendQuoted(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        out.append(0x22)
        var start = 0
        let n = bytes.count
        var i = 0
        while i < n {
            // Eight bytes at a time while none of them needs an escape.
            if i + 8 <= n && !needsEscape(bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)) {
                i += 8
                continue
            }
            let b = bytes[i]
            if b >= 0x20 && b != 0x22 && b != 0x5C && b != 0x7F { i += 1; continue }
            if start < i { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<i])) }
            switch b {
            case 0x22: out.append(0x5C); out.append(0x22)
            case 0x5C: out.append(0x5C); out.append(0x5C)
            case 0x0A: out.append(0x5C); out.append(0x6E)
            case 0x0D: out.append(0x5C); out.append(0x72)
            case 0x09: out.append(0x5C); out.append(0x74)
            default:
                out.append(0x5C); out.append(0x75); out.append(0x30); out.append(0x30)
                out.append(hexDigit(b >> 4)); out.append(hexDigit(b & 0xF))
            }
            i += 1
            start = i
        }
        if start < n { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<n])) }
        out.append(0x22)
    }

    /// Whether any of the eight bytes is below 0x20, '"', '\' or DEL (exact,
    /// by the classic "has a byte less than / equal to" word tricks).
    @inline(__always) private static func needsEscape(_ x: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        func hasZero(_ v: UInt64) -> Bool { (v &- ones) & ~v & highs != 0 }
        let below20 = (x &- ones &* 0x20) & ~x & highs != 0
        return below20 || hasZero(x ^ (ones &* 0x22)) || hasZero(x ^ (ones &* 0x5C)) || hasZero(x ^ (ones &* 0x7F))
    }

    @inline(__always) private static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 + v : 0x57 + v }

    public func flush() {
        guard !closed else { buffer.removeAll(keepingCapacity: true); return }
        var offset = 0
        while offset < buffer.count {
            let n = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                closed = true
                break
            }
            offset += n
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
