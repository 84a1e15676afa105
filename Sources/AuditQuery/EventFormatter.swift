import AuditContainers
import AuditRecords
import AuditStore
import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#endif

/// The output formats of `auditq search`:
/// - text: ausearch's default layout (`----`, `time->…`, records newest first)
/// - interpreted: ausearch -i
/// - raw: the stored records, byte for byte what `ausearch --raw` prints
/// - json: one object per event (fields documented in the README)
/// - csv: one row per event with a header
public enum OutputFormat: String, CaseIterable, Sendable {
    case text, raw, json, csv
}

/// Writes events in one format straight into the sink's buffer: no string
/// per line or field, names and per-second times made once.
public final class EventFormatter {
    public let format: OutputFormat
    public let interpret: Bool
    let sink: OutputSink
    let reader: EventReader
    /// seen_by in JSON: the sources that saw each event's action.
    let correlator = Correlator()
    private var names = NameCache()
    private var isoSecond = SecondText()
    private var ctimeSecond = SecondText()
    private var lines: [Range<Int>] = []
    /// Names each event's container (text, JSON, CSV); empty: none known.
    public var containers = ContainerIndex()

    public static let csvColumns = ["id", "node", "time", "serial", "types", "syscall", "success", "exit", "pid",
                                    "ppid", "uid", "euid", "gid", "auid", "ses", "tty", "comm", "exe", "key",
                                    "path", "cwd", "argv", "container_id", "container_runtime", "container_name",
                                    "container_image", "pod", "pod_namespace"]

    public init(format: OutputFormat, interpret: Bool, sink: OutputSink, reader: EventReader) {
        self.format = format
        self.interpret = interpret
        self.sink = sink
        self.reader = reader
    }

    /// Whether events are written with their PATH items (read ahead by the reader).
    public var needsPaths: Bool { format == .json }

    public func begin() {
        if format == .csv { sink.write(Self.csvColumns.joined(separator: ",") + "\n") }
    }

    public func write(_ e: StoredEvent, _ db: Database) throws {
        switch format {
        case .raw:
            try reader.withRaw(e, db) { sink.write($0) }
        case .text:
            if interpret {
                let raw = try reader.raw(e, db)
                sink.ascii("----\n")
                for line in AuparseInterpreter.interpret(raw).reversed() { sink.utf8(line); sink.byte(0x0A) }
            } else {
                try text(e, db)
            }
        case .json:
            try json(e, db)
        case .csv:
            csv(e)
        }
        sink.flushIfFull()
        if sink.closed { throw OutputClosed() }
    }

    // MARK: text

    /// ausearch's layout: `----`, `time->` in ctime(3)'s form, the records newest first,
    /// an ENRICHED record without its interpretations (cut at \x1d).
    private func text(_ e: StoredEvent, _ db: Database) throws {
        sink.ascii("----\ntime->")
        sink.write(ctimeSecond.text(e.timeMs / 1000) { Array(Self.ctime($0 * 1000).utf8) })
        sink.byte(0x0A)
        if let c = container(e) {
            // Not an ausearch line: only events tied to a container have it.
            sink.ascii("container-> ")
            sink.utf8("\(c.runtime.rawValue) \(c.id)")
            let details = [c.name, c.image, c.pod.flatMap { p in p.name.map { "pod \((p.namespace.map { "\($0)/" } ?? ""))\($0)" } }].compactMap { $0 }
            if !details.isEmpty { sink.utf8(" (" + details.joined(separator: ", ") + ")") }
            sink.byte(0x0A)
        }
        try reader.withRaw(e, db) { raw in
            Self.lineRanges(raw, into: &lines)
            for range in lines.reversed() {
                var end = range.lowerBound
                while end < range.upperBound && raw[end] != 0x1D { end += 1 }
                sink.write(UnsafeRawBufferPointer(rebasing: raw[range.lowerBound..<end]))
                sink.byte(0x0A)
            }
        }
    }

    /// The non-empty lines of `raw` (as split(separator: 0x0A) finds them).
    static func lineRanges(_ raw: UnsafeRawBufferPointer, into ranges: inout [Range<Int>]) {
        ranges.removeAll(keepingCapacity: true)
        guard let base = raw.baseAddress else { return }
        var start = 0
        while start < raw.count {
            guard let nl = memchr(base + start, 0x0A, raw.count - start) else {
                ranges.append(start..<raw.count)
                return
            }
            let i = base.distance(to: UnsafeRawPointer(nl))
            if i > start { ranges.append(start..<i) }
            start = i + 1
        }
    }

    // MARK: JSON

    private func json(_ e: StoredEvent, _ db: Database) throws {
        let o = sink
        func str(_ name: StaticString, _ v: String?) {
            guard let v else { return }
            o.ascii(name)
            o.jsonQuoted(v)
        }
        func int(_ name: StaticString, _ v: Int64?) {
            guard let v else { return }
            o.ascii(name)
            o.int(v)
        }
        o.ascii("{\"id\":"); o.int(e.id)
        if !e.node.isEmpty { str(",\"node\":", e.node) }
        o.ascii(",\"time\":\"")
        isoTime(e.timeMs)
        o.ascii("\",\"time_ms\":"); o.int(e.timeMs)
        o.ascii(",\"serial\":"); o.int(e.serial)
        o.ascii(",\"types\":"); stringArray(e.types)
        o.ascii(",\"seen_by\":[")
        for (i, source) in try correlator.seenBy(e, db).enumerated() {
            if i > 0 { o.byte(0x2C) }
            o.byte(0x22); o.utf8(source.rawValue); o.byte(0x22)
        }
        o.byte(0x5D)
        if let arch = e.arch { str(",\"arch\":", names.arch(arch)) }
        if let syscall = e.syscall {
            str(",\"syscall\":", names.syscall(syscall, arch: e.arch))
            int(",\"syscall_nr\":", syscall)
        }
        if let s = e.success { o.ascii(s ? ",\"success\":true" : ",\"success\":false") }
        int(",\"exit\":", e.exit)
        int(",\"pid\":", e.pid); int(",\"ppid\":", e.ppid); int(",\"uid\":", e.uid); int(",\"euid\":", e.euid)
        int(",\"gid\":", e.gid); int(",\"auid\":", e.auid); int(",\"ses\":", e.ses)
        str(",\"tty\":", e.tty); str(",\"comm\":", e.comm); str(",\"exe\":", e.exe)
        if let key = e.key {
            if key.utf8.contains(0x01) {
                let keys = e.keys
                if !keys.isEmpty {
                    o.ascii(",\"key\":")
                    if keys.count == 1 { o.jsonQuoted(keys[0]) } else { stringArray(keys) }
                }
            } else if !key.isEmpty {
                str(",\"key\":", key)
            }
        }
        str(",\"path\":", e.path); str(",\"cwd\":", e.cwd)
        if let argv = e.argvJSON { o.ascii(",\"argv\":"); o.utf8(argv) }
        let paths = try reader.paths(e, db)
        if !paths.isEmpty {
            o.ascii(",\"paths\":[")
            for (i, p) in paths.enumerated() {
                if i > 0 { o.byte(0x2C) }
                o.ascii("{\"item\":"); o.int(p.item)
                str(",\"name\":", p.name)
                int(",\"inode\":", p.inode)
                if let v = p.mode { o.ascii(",\"mode\":\"0"); o.utf8(String(v, radix: 8)); o.byte(0x22) }
                str(",\"nametype\":", p.nametype)
                int(",\"ouid\":", p.ouid)
                o.byte(0x7D)
            }
            o.byte(0x5D)
        }
        if let family = e.sockFamily {
            o.ascii(",\"sockaddr\":{\"family\":"); o.jsonQuoted(names.family(family))
            str(",\"address\":", e.sockAddr)
            int(",\"port\":", e.sockPort)
            o.byte(0x7D)
        }
        if let f = e.fieldsJSON { o.ascii(",\"fields\":"); o.utf8(f) }
        if let c = container(e) {
            o.ascii(",\"container\":{\"id\":"); o.jsonQuoted(c.id)
            str(",\"runtime\":", c.runtime.rawValue)
            str(",\"name\":", c.name)
            str(",\"image\":", c.image)
            str(",\"pod\":", c.pod?.name)
            str(",\"pod_namespace\":", c.pod?.namespace)
            str(",\"pod_uid\":", c.pod?.uid)
            o.byte(0x7D)
        }
        o.ascii(",\"records\":[")
        try reader.withRaw(e, db) { raw in
            Self.lineRanges(raw, into: &lines)
            for (i, range) in lines.enumerated() {
                if i > 0 { o.byte(0x2C) }
                let line = UnsafeRawBufferPointer(rebasing: raw[range])
                if line.contains(where: { $0 >= 0x80 }) {
                    // Not plain ASCII: as a String, so that bytes which are not UTF-8 become U+FFFD.
                    o.jsonQuoted(String(decoding: line, as: UTF8.self))
                } else {
                    o.jsonQuoted(line)
                }
            }
        }
        o.ascii("]}\n")
    }

    private func stringArray(_ items: [String]) {
        sink.byte(0x5B)
        for (i, item) in items.enumerated() {
            if i > 0 { sink.byte(0x2C) }
            sink.jsonQuoted(item)
        }
        sink.byte(0x5D)
    }

    /// ISO 8601 with milliseconds, UTC, as `iso(_:)` writes it.
    private func isoTime(_ ms: Int64) {
        guard ms >= 0 else { sink.utf8(Self.iso(ms)); return }
        sink.write(isoSecond.text(ms / 1000) { second in Array(Self.iso(second * 1000).utf8.prefix(19)) })
        sink.byte(0x2E)
        sink.padded(Int(ms % 1000), width: 3)
        sink.byte(0x5A)
    }

    // MARK: CSV

    private func csv(_ e: StoredEvent) {
        let o = sink
        func q(_ s: String?) {
            guard let s else { return }
            switch Self.csvQuoting(s) {
            case .none: o.utf8(s)
            case .doubleQuotes:
                o.byte(0x22)
                for b in s.utf8 { if b == 0x22 { o.byte(0x22) }; o.byte(b) }
                o.byte(0x22)
            case .slowly: o.utf8(Self.csvQuotedSlowly(s))
            }
        }
        func n(_ v: Int64?) { if let v { o.int(v) } }
        func comma() { o.byte(0x2C) }
        o.int(e.id); comma()
        q(e.node); comma()
        isoTime(e.timeMs); comma()
        o.int(e.serial); comma()
        q(e.types.count == 1 ? e.types[0] : e.types.joined(separator: " ")); comma()
        q(e.syscall.map { names.syscall($0, arch: e.arch) }); comma()
        if let s = e.success { o.ascii(s ? "yes" : "no") }
        comma()
        n(e.exit); comma(); n(e.pid); comma(); n(e.ppid); comma(); n(e.uid); comma(); n(e.euid); comma()
        n(e.gid); comma(); n(e.auid); comma(); n(e.ses); comma()
        q(e.tty); comma(); q(e.comm); comma(); q(e.exe); comma()
        if let key = e.key { q(key.utf8.contains(0x01) ? e.keys.joined(separator: ",") : key) }
        comma()
        q(e.path); comma(); q(e.cwd); comma()
        if let argv = e.argvJSON {
            q((Self.plainStringArray(argv) ?? (try? JSONSerialization.jsonObject(with: Data(argv.utf8)) as? [String]))?
                .joined(separator: " "))
        }
        let c = container(e)
        comma(); q(c?.id); comma(); q(c?.runtime.rawValue); comma(); q(c?.name); comma(); q(c?.image); comma()
        q(c?.pod?.name); comma(); q(c?.pod?.namespace)
        o.byte(0x0A)
    }

    private func container(_ e: StoredEvent) -> Container? {
        containers.container(of: e).map { containers.entries[$0].container }
    }

    enum CSVQuoting { case none, doubleQuotes, slowly }

    /// How a CSV field is written, by its bytes where they decide it as
    /// `csvQuotedSlowly` (Characters, Foundation) would: a field is quoted when
    /// it holds a ",", "\"", "\n" or "\r" character; bytes of other scripts
    /// cannot hide an ASCII one, but a "\r\n" pair, or a combining mark after
    /// one of them (a prepended mark before), makes a different Character:
    /// those go the slow way.
    static func csvQuoting(_ s: String) -> CSVQuoting {
        var special = false, unsure = false, afterSpecial = false, afterHigh = false
        for b in s.utf8 {
            let isSpecial = b == 0x2C || b == 0x22 || b == 0x0A
            if (afterSpecial && b >= 0x80) || (afterHigh && isSpecial) || b == 0x0D { unsure = true }
            if isSpecial { special = true }
            afterSpecial = isSpecial
            afterHigh = b >= 0x80
        }
        if unsure { return .slowly }
        return special ? .doubleQuotes : .none
    }

    static func csvQuotedSlowly(_ s: String) -> String {
        if s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return s
    }

    /// A JSON array of strings as JSONText writes argv (`["a","b"]`, the
    /// escapes JSON allows except surrogate pairs); nil for anything else
    /// (then JSONSerialization decodes it).
    static func plainStringArray(_ json: String) -> [String]? {
        var out: [String] = []
        var ok = true
        var json = json
        json.withUTF8 { b in
            guard b.count >= 2, b[0] == 0x5B, b[b.count - 1] == 0x5D else { ok = false; return }
            if b.count == 2 { return }
            var i = 1
            var item: [UInt8] = []
            while true {
                guard i < b.count, b[i] == 0x22 else { ok = false; return }
                i += 1
                item.removeAll(keepingCapacity: true)
                while i < b.count, b[i] != 0x22 {
                    let c = b[i]
                    guard c >= 0x20 else { ok = false; return }
                    if c != 0x5C { item.append(c); i += 1; continue }
                    guard i + 1 < b.count else { ok = false; return }
                    switch b[i + 1] {
                    case 0x22: item.append(0x22)
                    case 0x5C: item.append(0x5C)
                    case 0x2F: item.append(0x2F)
                    case 0x62: item.append(0x08)
                    case 0x66: item.append(0x0C)
                    case 0x6E: item.append(0x0A)
                    case 0x72: item.append(0x0D)
                    case 0x74: item.append(0x09)
                    case 0x75:
                        guard i + 5 < b.count, let v = UInt32(String(decoding: b[(i + 2)...(i + 5)], as: UTF8.self), radix: 16),
                              v < 0xD800 || v > 0xDFFF, let scalar = Unicode.Scalar(v) else { ok = false; return }
                        item.append(contentsOf: Array(String(Character(scalar)).utf8))
                        i += 4
                    default: ok = false; return
                    }
                    i += 2
                }
                guard i < b.count, let text = String(validating: item, as: UTF8.self) else { ok = false; return }
                out.append(text)
                i += 1
                guard i < b.count else { ok = false; return }
                if b[i] == 0x5D { ok = i == b.count - 1; return }
                guard b[i] == 0x2C else { ok = false; return }
                i += 1
            }
        }
        return ok ? out : nil
    }

    // MARK: times

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

/// A text that depends only on the second (a date and time to the second):
/// events come in time order, so it is made once per second, not per event.
struct SecondText {
    private var second: Int64 = .min
    private var bytes: [UInt8] = []

    mutating func text(_ second: Int64, _ make: (Int64) -> [UInt8]) -> [UInt8] {
        if second != self.second {
            bytes = make(second)
            self.second = second
        }
        return bytes
    }
}

/// Names of architectures, system calls and socket families, looked up once each.
struct NameCache {
    private var arches: [Int64: String?] = [:]
    private var syscalls: [SyscallKey: String] = [:]
    private var families: [Int64: String] = [:]

    private struct SyscallKey: Hashable { var number: Int64; var arch: Int64? }

    mutating func arch(_ arch: Int64) -> String? {
        if let known = arches[arch] { return known }
        let name = AuditNames.archName(arch)
        arches[arch] = .some(name)
        return name
    }

    /// The system call's name, or its number when it has none (as StoredEvent.syscallName ?? number).
    mutating func syscall(_ number: Int64, arch: Int64?) -> String {
        let key = SyscallKey(number: number, arch: arch)
        if let known = syscalls[key] { return known }
        let name = AuditNames.syscallName(number, arch: arch) ?? String(number)
        syscalls[key] = name
        return name
    }

    mutating func family(_ family: Int64) -> String {
        if let known = families[family] { return known }
        let name = SocketAddress(family: family).familyName
        families[family] = name
        return name
    }
}
