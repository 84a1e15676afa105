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
        let n = line.count
        guard let base = line.baseAddress, n > 0 else { return .skip }
        if n > maxLineLength { return .bad("line is longer than 64 KiB (\(n) bytes)") }
        if base[0] == UInt8(ascii: "#") { return .skip }
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return .skip }
        if memchr(base, 0, n) != nil { return .bad("binary data (NUL byte) in a record") }
        guard let msgEnd = headerEnd(line) else {
            if hasTypePrefix(line) { return .unstamped }
            return .bad("not an audit record (expected 'type=… msg=audit(seconds.millis:serial): …')")
        }
        if !terminated {
            // Real logs carry stray quotes, so quote balance is only a sign of
            // truncation on a last line that has no newline.
            if quoteCount(base, n) % 2 != 0 { return .bad("truncated record (unbalanced quote)") }
            // auditd ends every record with a newline; a last line without one
            // that is also cut inside a field is a truncated write.
            let body = UnsafeBufferPointer(rebasing: line[msgEnd...])
            if body.last == UInt8(ascii: "=") { return .bad("truncated record (field without value)") }
            if let open = find(body, "msg='"), !body[(open + 5)...].contains(UInt8(ascii: "'")) {
                return .bad("truncated record (unterminated msg='…')")
            }
        }
        return .record
    }

    /// Index just past `msg=audit(S.M:N):` after an optional `node=X ` and
    /// `type=NAME `, or nil when the line does not have that shape.
    static func headerEnd(_ b: UnsafeBufferPointer<UInt8>) -> Int? {
        var i = 0
        if hasPrefix(b, "node=", at: 0) {
            guard let space = b.firstIndex(of: 0x20) else { return nil }
            i = space + 1
        }
        guard hasPrefix(b, "type=", at: i) else { return nil }
        i += 5
        let typeStart = i
        while i < b.count, isTypeChar(b[i]) { i += 1 }
        guard i > typeStart, hasPrefix(b, " msg=audit(", at: i) else { return nil }
        i += 11
        guard let afterSec = digits(b, from: i), afterSec < b.count, b[afterSec] == UInt8(ascii: ".") else { return nil }
        guard let afterMs = digits(b, from: afterSec + 1), afterMs < b.count, b[afterMs] == UInt8(ascii: ":") else { return nil }
        // Old auditd wrote some DAEMON_* records as "msg=audit(…) text" without the colon.
        guard let afterSerial = digits(b, from: afterMs + 1), hasPrefix(b, ")", at: afterSerial) else { return nil }
        let end = afterSerial + 1
        if end == b.count { return end }
        guard b[end] == UInt8(ascii: ":") || b[end] == UInt8(ascii: " ") else { return nil }
        return end + 1
    }

    static func hasTypePrefix(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        if hasPrefix(b, "node=", at: 0) {
            guard let space = b.firstIndex(of: 0x20) else { return false }
            i = space + 1
        }
        guard hasPrefix(b, "type=", at: i) else { return false }
        i += 5
        let start = i
        while i < b.count, isTypeChar(b[i]) { i += 1 }
        return i > start && hasPrefix(b, " msg=", at: i)
    }

    /// Node, time, serial and type name of a line that passed `check`.
    static func header(_ b: UnsafeBufferPointer<UInt8>) -> (stamp: RecordLines.Stamp, type: String)? {
        var i = 0
        var node = ""
        if hasPrefix(b, "node=", at: 0) {
            guard let space = b.firstIndex(of: 0x20) else { return nil }
            node = String(decoding: UnsafeBufferPointer(rebasing: b[5..<space]), as: UTF8.self)
            i = space + 1
        }
        i += 5
        let typeStart = i
        while i < b.count, isTypeChar(b[i]) { i += 1 }
        let type = String(decoding: UnsafeBufferPointer(rebasing: b[typeStart..<i]), as: UTF8.self)
        i += 11
        func number(_ j: inout Int) -> Int64 {
            var v: Int64 = 0
            while j < b.count, b[j] >= 0x30, b[j] <= 0x39 { v = v &* 10 &+ Int64(b[j] - 0x30); j += 1 }
            return v
        }
        let sec = number(&i); i += 1
        let msStart = i
        var ms = number(&i)
        // auparse reads the fraction as milliseconds whatever its width.
        _ = msStart
        i += 1
        let serial = number(&i)
        if ms > 999 { ms = ms % 1000 }
        return (RecordLines.Stamp(node: node, timeMs: sec &* 1000 &+ ms, serial: serial), type)
    }

    @inline(__always)
    static func isTypeChar(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39)
            || c == 0x5F || c == 0x5B || c == 0x5D
    }

    static func digits(_ b: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        var i = from
        while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
        return i > from ? i : nil
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
