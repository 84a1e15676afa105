import CAudit
#if canImport(Glibc)
import Glibc
#endif

/// ausearch -i: re-reads an event's raw text with auparse (AUSOURCE_BUFFER)
/// and writes each record with interpreted values (names for uids, syscalls,
/// architectures, modes, decoded strings), in ausearch's layout.
public enum AuparseInterpreter {
    /// One line per record, in record order, without newline.
    public static func interpret(_ raw: some Collection<UInt8>) -> [String] {
        var text = Array(raw)
        text.append(0)
        return text.withUnsafeBufferPointer { buf -> [String] in
            guard let au = auparse_init(AUSOURCE_BUFFER, buf.baseAddress) else { return [] }
            defer { auparse_destroy(au) }
            var lines: [String] = []
            while auparse_next_event(au) > 0 {
                guard auparse_first_record(au) > 0 else { continue }
                repeat { lines.append(line(au)) } while auparse_next_record(au) > 0
            }
            return lines
        }
    }

    private static func line(_ au: OpaquePointer) -> String {
        var out = ""
        if let node = auparse_get_node(au) {
            out += "node=" + String(cString: node) + " "
            free(UnsafeMutableRawPointer(mutating: node))
        }
        let type = auparse_get_type_name(au).map { String(cString: $0) } ?? "UNKNOWN[\(auparse_get_type(au))]"
        out += "type=\(type) msg=audit(\(stamp(au))) :"
        if auparse_first_field(au) > 0 {
            repeat {
                guard let name = auparse_get_field_name(au) else { continue }
                let n = String(cString: name)
                if n == "type" || n == "node" { continue }
                let value = auparse_interpret_field(au).map { String(cString: $0) } ?? ""
                out += " \(n)=\(value)"
            } while auparse_next_field(au) > 0
            out += " "
        }
        return out
    }

    private static func stamp(_ au: OpaquePointer) -> String {
        var t = auparse_get_time(au)
        var tmv = tm()
        localtime_r(&t, &tmv)
        var buf = [CChar](repeating: 0, count: 64)
        let n = strftime(&buf, buf.count, "%x %T", &tmv)
        let date = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let ms = auparse_get_milli(au)
        return "\(date).\(ms < 10 ? "00" : ms < 100 ? "0" : "")\(ms):\(auparse_get_serial(au))"
    }
}
