/// Decides, byte by byte and without allocating, whether one line of an
/// audit.log is a record to feed to auparse, a line to pass over (blank or
/// `#` comment), or bad input; bad input is reported, never guessed around.
public enum LogLineChecker {
    public static let maxLineLength = 64 * 1024

    public enum Verdict: Equatable {
        case record
        case skip
        /// `type=NAME msg=…` without an audit(time:serial) stamp (real logs
        /// have e.g. `type=UNKNOWN[1329] msg=?`): no event can hold it.
        case unstamped
        case bad(String)
    }

    /// `line` excludes the newline; `terminated` is false for a last line
    /// with no newline, which is where a truncated write shows.
    public static func check(_ line: UnsafeBufferPointer<UInt8>, terminated: Bool) -> Verdict {
        classify(line, terminated: terminated).verdict
    }

    /// `check`, with the record's header when the line is a record.
    static func classify(_ line: UnsafeBufferPointer<UInt8>, terminated: Bool) -> (verdict: Verdict, header: Header?) {
        let n = line.count
        guard let base = line.baseAddress, n > 0 else { return (.skip, nil) }
        if n > maxLineLength { return (.bad("line is longer than 64 KiB (\(n) bytes)"), nil) }
        if base[0] == UInt8(ascii: "#") { return (.skip, nil) }
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return (.skip, nil) }
        if memchr(base, 0, n) != nil { return (.bad("binary data (NUL byte) in a record"), nil) }
        guard let header = header(line) else {
            if typePrefix(line) != nil { return (.unstamped, nil) }
            return (.bad("not an audit record (expected 'type=… msg=audit(seconds.millis:serial): …')"), nil)
        }
        let msgEnd = header.end
        if !terminated {
            // Real logs carry stray quotes, so quote balance is only a sign of
            // truncation on a last line that has no newline.
            if quoteCount(base, n) % 2 != 0 { return (.bad("truncated record (unbalanced quote)"), nil) }
            // auditd ends every record with a newline; a last line without one
            // that is also cut inside a field is a truncated write.
            let body = UnsafeBufferPointer(rebasing: line[msgEnd...])
            if body.last == UInt8(ascii: "=") { return (.bad("truncated record (field without value)"), nil) }
            if let open = find(body, "msg='"), !body[(open + 5)...].contains(UInt8(ascii: "'")) {
                return (.bad("truncated record (unterminated msg='…')"), nil)
            }
        }
        return (.record, header)
    }

    /// The parts of `[node=N ]type=NAME msg=audit(S.M:N):` at a line's start.
    struct Header {
        var node: Range<Int>?
        var type: Range<Int>
        var seconds: Int64
        var millis: Int64
        var serial: Int64
        /// Just past the stamp and its colon.
        var end: Int
    }

    /// `[node=N ]type=NAME msg=` with or without a stamp after it.
    static func typePrefix(_ b: UnsafeBufferPointer<UInt8>) -> (node: Range<Int>?, type: Range<Int>)? {
        var i = 0
        var node: Range<Int>?
        if hasPrefix(b, "node=", at: 0) {
            guard let space = b.firstIndex(of: 0x20) else { return nil }
            node = 5..<space
            i = space + 1
        }
        guard hasPrefix(b, "type=", at: i) else { return nil }
        i += 5
        let start = i
        while i < b.count, isTypeChar(b[i]) { i += 1 }
        guard i > start, hasPrefix(b, " msg=", at: i) else { return nil }
        return (node, start..<i)
    }

    static func header(_ b: UnsafeBufferPointer<UInt8>) -> Header? {
        guard let (node, type) = typePrefix(b), hasPrefix(b, " msg=audit(", at: type.upperBound) else { return nil }
        guard let (seconds, afterSec) = number(b, from: type.upperBound + 11), afterSec < b.count,
              b[afterSec] == UInt8(ascii: "."),
              let (millis, afterMs) = number(b, from: afterSec + 1), afterMs < b.count,
              b[afterMs] == UInt8(ascii: ":"),
              let (serial, afterSerial) = number(b, from: afterMs + 1), hasPrefix(b, ")", at: afterSerial) else { return nil }
        // Old auditd wrote some DAEMON_* records as "msg=audit(…) text" without the colon.
        var end = afterSerial + 1
        if end < b.count {
            guard b[end] == UInt8(ascii: ":") || b[end] == UInt8(ascii: " ") else { return nil }
            end += 1
        }
        return Header(node: node, type: type, seconds: seconds, millis: millis, serial: serial, end: end)
    }

    /// A decimal number and the index after it; nil without digits.
    static func number(_ b: UnsafeBufferPointer<UInt8>, from: Int) -> (Int64, Int)? {
        var i = from
        var v: Int64 = 0
        while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { v = v &* 10 &+ Int64(b[i] - 0x30); i += 1 }
        return i > from ? (v, i) : nil
    }

    @inline(__always)
    static func isTypeChar(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39)
            || c == 0x5F || c == 0x5B || c == 0x5D
    }

    static func hasPrefix(_ b: UnsafeBufferPointer<UInt8>, _ s: StaticString, at i: Int) -> Bool {
        let n = s.utf8CodeUnitCount
        guard i + n <= b.count, let base = b.baseAddress else { return false }
        return memcmp(base + i, s.utf8Start, n) == 0
    }

    static func find(_ b: UnsafeBufferPointer<UInt8>, _ s: StaticString) -> Int? {
        let n = s.utf8CodeUnitCount
        guard let base = b.baseAddress, b.count >= n else { return nil }
        var i = 0
        while i + n <= b.count {
            guard let hit = memchr(base + i, Int32(s.utf8Start[0]), b.count - n + 1 - i) else { return nil }
            let at = UnsafePointer(hit.assumingMemoryBound(to: UInt8.self)) - base
            if memcmp(base + at, s.utf8Start, n) == 0 { return at }
            i = at + 1
        }
        return nil
    }

    static func quoteCount(_ base: UnsafePointer<UInt8>, _ n: Int) -> Int {
        var count = 0
        var p = UnsafeRawPointer(base)
        var left = n
        while left > 0, let hit = memchr(p, 0x22, left) {
            count += 1
            let next = UnsafeRawPointer(hit) + 1
            left -= next - p
            p = next
        }
        return count
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
