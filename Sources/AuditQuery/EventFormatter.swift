import AuditRecords
import AuditStore
import Foundation
import GRDB

/// The output formats of `auditq search`:
/// - text: ausearch's default layout (`----`, `time->…`, records newest first)
/// - interpreted: ausearch -i
/// - raw: the stored records, byte for byte what `ausearch --raw` prints
/// - json: one object per event (fields documented in the README)
/// - csv: one row per event with a header
public enum OutputFormat: String, CaseIterable, Sendable {
    case text, raw, json, csv
}

public struct EventFormatter {
    public let format: OutputFormat
    public let interpret: Bool
    let sink: OutputSink
    let reader: EventReader
    /// seen_by in JSON: the sources that saw each event's action.
    let correlator = Correlator()

    public static let csvColumns = ["id", "node", "time", "serial", "types", "syscall", "success", "exit", "pid",
                                    "ppid", "uid", "euid", "gid", "auid", "ses", "tty", "comm", "exe", "key",
                                    "path", "cwd", "argv"]

    public init(format: OutputFormat, interpret: Bool, sink: OutputSink, reader: EventReader) {
        self.format = format
        self.interpret = interpret
        self.sink = sink
        self.reader = reader
    }

    public func begin() {
        if format == .csv { sink.write(Self.csvColumns.joined(separator: ",") + "\n") }
    }

    public func write(_ e: StoredEvent, _ db: Database) throws {
        switch format {
        case .raw:
            sink.write(try reader.raw(e, db))
        case .text:
            let raw = try reader.raw(e, db)
            sink.write("----\n")
            if interpret {
                for line in AuparseInterpreter.interpret(raw).reversed() { sink.write(line + "\n") }
            } else {
                sink.write("time->\(Self.ctime(e.timeMs))\n")
                for line in raw.split(separator: 0x0A).reversed() {
                    // As ausearch: an ENRICHED record without its interpretations.
                    sink.write(line.prefix { $0 != 0x1D })
                    sink.write(CollectionOfOne(0x0A))
                }
            }
        case .json:
            sink.write(try json(e, db) + "\n")
        case .csv:
            sink.write(csv(e) + "\n")
        }
    }

    func json(_ e: StoredEvent, _ db: Database) throws -> String {
        var o = "{\"id\":\(e.id)"
        func str(_ name: String, _ v: String?) {
            guard let v else { return }
            o += ",\"\(name)\":"
            JSONText.quoted(v, into: &o)
        }
        func int(_ name: String, _ v: Int64?) { if let v { o += ",\"\(name)\":\(v)" } }
        str("node", e.node.isEmpty ? nil : e.node)
        str("time", Self.iso(e.timeMs))
        int("time_ms", e.timeMs)
        int("serial", e.serial)
        o += ",\"types\":" + JSONText.array(e.types)
        o += ",\"seen_by\":" + JSONText.array(try correlator.seenBy(e, db).map(\.rawValue))
        str("arch", e.archName)
        str("syscall", e.syscallName ?? e.syscall.map(String.init))
        int("syscall_nr", e.syscall)
        if let s = e.success { o += ",\"success\":\(s)" }
        int("exit", e.exit)
        int("pid", e.pid); int("ppid", e.ppid); int("uid", e.uid); int("euid", e.euid)
        int("gid", e.gid); int("auid", e.auid); int("ses", e.ses)
        str("tty", e.tty); str("comm", e.comm); str("exe", e.exe)
        if !e.keys.isEmpty { o += ",\"key\":" + (e.keys.count == 1 ? JSONText.quoted(e.keys[0]) : JSONText.array(e.keys)) }
        str("path", e.path); str("cwd", e.cwd)
        if let argv = e.argvJSON { o += ",\"argv\":" + argv }
        let paths = try reader.paths(e, db)
        if !paths.isEmpty {
            o += ",\"paths\":["
            for (i, p) in paths.enumerated() {
                if i > 0 { o += "," }
                o += "{\"item\":\(p.item)"
                if let n = p.name { o += ",\"name\":" + JSONText.quoted(n) }
                if let v = p.inode { o += ",\"inode\":\(v)" }
                if let v = p.mode { o += ",\"mode\":\"0" + String(v, radix: 8) + "\"" }
                if let v = p.nametype { o += ",\"nametype\":" + JSONText.quoted(v) }
                if let v = p.ouid { o += ",\"ouid\":\(v)" }
                o += "}"
            }
            o += "]"
        }
        if let family = e.sockFamily {
            o += ",\"sockaddr\":{\"family\":" + JSONText.quoted(SocketAddress(family: family).familyName)
            if let a = e.sockAddr { o += ",\"address\":" + JSONText.quoted(a) }
            if let p = e.sockPort { o += ",\"port\":\(p)" }
            o += "}"
        }
        if let f = e.fieldsJSON { o += ",\"fields\":" + f }
        let raw = try reader.raw(e, db)
        let records = raw.split(separator: 0x0A).map { String(decoding: $0, as: UTF8.self) }
        o += ",\"records\":" + JSONText.array(records) + "}"
        return o
    }

    func csv(_ e: StoredEvent) -> String {
        func q(_ s: String?) -> String {
            guard let s else { return "" }
            if s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
                return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            }
            return s
        }
        func n(_ v: Int64?) -> String { v.map(String.init) ?? "" }
        let argv = e.argvJSON.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String] }
        return [String(e.id), q(e.node), Self.iso(e.timeMs), String(e.serial), q(e.types.joined(separator: " ")),
                q(e.syscallName ?? e.syscall.map(String.init)), e.success.map { $0 ? "yes" : "no" } ?? "",
                n(e.exit), n(e.pid), n(e.ppid), n(e.uid), n(e.euid), n(e.gid), n(e.auid), n(e.ses),
                q(e.tty), q(e.comm), q(e.exe), q(e.keys.joined(separator: ",")), q(e.path), q(e.cwd),
                q(argv?.joined(separator: " "))].joined(separator: ",")
    }

    /// ISO 8601 with milliseconds, UTC.
    public static func iso(_ ms: Int64) -> String {
        var t = time_t(ms / 1000)
        var tmv = tm()
        gmtime_r(&t, &tmv)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tmv.tm_year + 1900, tmv.tm_mon + 1,
                      tmv.tm_mday, tmv.tm_hour, tmv.tm_min, tmv.tm_sec, Int(ms % 1000))
    }

    /// ausearch's `time->` line: ctime(3) in local time, without its newline.
    static func ctime(_ ms: Int64) -> String {
        var t = time_t(ms / 1000)
        var buf = [CChar](repeating: 0, count: 64)
        guard ctime_r(&t, &buf) != nil else { return "" }
        return String(cString: buf).trimmingCharacters(in: .newlines)
    }
}
