import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension Detector.Condition {
    /// Whether the condition holds for the event. A field with several
    /// values (argv, paths, key) holds when any value does; `not_in` and
    /// `not_glob` hold when no value is excluded (and for an absent field);
    /// `ne` needs the field present.
    func holds(_ e: inout EventFields) -> Bool {
        let got = e.values(field)
        let wanted: [String]
        if let otherField { wanted = e.values(otherField) } else { wanted = value?.strings ?? [] }
        let hexField = Self.isHex(field)
        func equal(_ a: String, _ b: String) -> Bool {
            if a == b { return true }
            guard let x = Self.number(a, hex: hexField), let y = Self.number(b, hex: otherField.map(Self.isHex) ?? false) else { return false }
            return x == y
        }
        switch op {
        case .present: return !got.isEmpty
        case .absent: return got.isEmpty
        case .eq, .in: return got.contains { g in wanted.contains { equal(g, $0) } }
        case .ne, .notIn:
            if op == .ne || otherField != nil, got.isEmpty || wanted.isEmpty { return false }
            return !got.contains { g in wanted.contains { equal(g, $0) } }
        case .glob: return got.contains { g in wanted.contains { Self.glob($0, g) } }
        case .notGlob: return !got.contains { g in wanted.contains { Self.glob($0, g) } }
        case .endsWith: return got.contains { g in wanted.contains { g.hasSuffix($0) } }
        case .contains: return got.contains { g in wanted.contains { g.contains($0) } }
        case .lt, .gt:
            guard let w = wanted.first.flatMap({ Self.number($0, hex: false) }) else { return false }
            return got.contains { g in
                guard let n = Self.number(g, hex: hexField) else { return false }
                return op == .lt ? n < w : n > w
            }
        case .maskAll, .maskAny:
            guard let m = wanted.first.flatMap({ Self.number($0, hex: false) }) else { return false }
            return got.contains { g in
                guard let n = Self.number(g, hex: hexField) else { return false }
                return op == .maskAll ? n & m == m : n & m != 0
            }
        }
    }

    /// Syscall arguments are logged in hex without 0x (audit's a0=…, the sensor's too).
    static func isHex(_ field: String) -> Bool {
        guard let last = field.split(separator: ".").last, last.count == 2, last.first == "a" else { return false }
        return last.last!.isNumber
    }

    static func number(_ s: String, hex: Bool) -> Int64? {
        if s.hasPrefix("0x") { return UInt64(s.dropFirst(2), radix: 16).map { Int64(bitPattern: $0) } }
        if hex { return UInt64(s, radix: 16).map { Int64(bitPattern: $0) } }
        return Int64(s)
    }

    /// Shell-style match: `*` also crosses `/`.
    static func glob(_ pattern: String, _ s: String) -> Bool { fnmatch(pattern, s, 0) == 0 }
}
