import AuditRecords
import Foundation

/// One stored event's values by the names detectors use: its columns, its
/// argv, its PATH names, the sensor's fields, and any field of any of its
/// records as logged (`TYPE.name`). The raw text and the fields JSON are
/// read only when a condition asks for them.
struct EventFields {
    let event: StoredEvent
    let paths: [String]
    /// The event's records as logged (nil: not read yet).
    private var rawText: String?
    private let readRaw: () -> String
    private var decodedFields: [String: String]?
    var container: Int?

    init(event: StoredEvent, paths: [String], container: Int?, readRaw: @escaping () -> String) {
        self.event = event; self.paths = paths; self.container = container; self.readRaw = readRaw
    }

    static let columns: Set<String> = [
        "uid", "euid", "gid", "auid", "pid", "ppid", "ses", "success", "exit", "syscall", "exe", "comm",
        "cwd", "path", "key", "tty", "argc", "argv", "argv0", "paths", "container", "types", "write",
    ]

    static func isKnown(_ name: String) -> Bool {
        if columns.contains(name) { return true }
        if name.hasPrefix("fields.") { return name.count > 7 }
        // TYPE.name: an upper-case record type and a field name.
        guard let dot = name.firstIndex(of: "."), dot != name.startIndex else { return false }
        return name[..<dot].allSatisfy { $0.isUppercase || $0 == "_" || $0.isNumber } && name.index(after: dot) < name.endIndex
    }

    var argv: [String] {
        guard let json = event.argvJSON, let list = try? JSONDecoder().decode([String].self, from: Data(json.utf8)) else { return [] }
        return list
    }

    /// The values of `name` (several for argv and paths; none when absent).
    mutating func values(_ name: String) -> [String] {
        func one(_ v: Int64?) -> [String] { v.map { [String($0)] } ?? [] }
        func one(_ v: String?) -> [String] { v.map { [$0] } ?? [] }
        switch name {
        case "uid": return one(event.uid)
        case "euid": return one(event.euid)
        case "gid": return one(event.gid)
        case "auid": return one(event.auid)
        case "pid": return one(event.pid)
        case "ppid": return one(event.ppid)
        case "ses": return one(event.ses)
        case "exit": return one(event.exit)
        case "success": return event.success.map { [$0 ? "true" : "false"] } ?? []
        case "syscall": return one(event.syscallName ?? fields["syscall"])
        case "exe": return one(event.exe)
        case "comm": return one(event.comm)
        case "cwd": return one(event.cwd)
        case "path": return one(event.path ?? fields["path"])
        case "key": return event.keys
        case "tty": return one(event.tty)
        case "types": return event.types
        case "argv": return argv
        case "argv0": return one(argv.first ?? fields["argv0"])
        case "argc": return one(argc)
        case "paths":
            var all = paths
            if let p = event.path, !all.contains(p) { all.append(p) }
            return all
        case "container": return [container != nil ? "true" : "false"]
        case "write": return [mayWrite ? "true" : "false"]
        default:
            if name.hasPrefix("fields.") { return one(fields[String(name.dropFirst(7))]) }
            guard let dot = name.firstIndex(of: ".") else { return [] }
            return one(recordField(type: String(name[..<dot]), name: String(name[name.index(after: dot)...])))
        }
    }

    /// O_WRONLY, O_RDWR, O_CREAT, O_TRUNC: an open that may write.
    static let writeFlags: Int64 = 0o1 | 0o2 | 0o100 | 0o1000

    /// An open that may write (the sensor's flags or fmode; audit's openat
    /// flags), or a rename, truncate or unlink. Audit watch events with
    /// `-p w` are writes by the rule itself.
    private var mayWrite: Bool {
        mutating get {
            let type = event.types.first ?? ""
            switch type {
            case "LSM_FILE_OPEN":
                return (fields["fmode"].flatMap { Detector.Condition.number($0, hex: false) } ?? 0) & 0x2 != 0
            case "LSM_RENAME", "LSM_TRUNCATE", "LSM_UNLINK": return true
            case "TP_SYSCALL":
                let f = fields
                switch f["syscall"] ?? "" {
                case "openat": return (f["a2"].flatMap { Detector.Condition.number($0, hex: true) } ?? 0) & Self.writeFlags != 0
                case "open": return (f["a1"].flatMap { Detector.Condition.number($0, hex: true) } ?? 0) & Self.writeFlags != 0
                case "unlink", "unlinkat", "creat", "truncate", "rename", "renameat", "renameat2": return true
                default: return false
                }
            default:
                switch event.syscallName ?? "" {
                case "openat", "open", "openat2":
                    let arg = event.syscallName == "open" ? "a1" : "a2"
                    guard event.syscallName != "openat2" else { return true }
                    return (recordField(type: "SYSCALL", name: arg).flatMap { Detector.Condition.number($0, hex: true) } ?? 0) & Self.writeFlags != 0
                case "": return false
                default: return true  // a watch's write or attribute change: rename, truncate, chmod, …
                }
            }
        }
    }

    /// argc as the kernel logged it (EXECVE argc=), or the sensor's.
    private var argc: Int64? {
        mutating get {
            if let f = fields["argc"], let n = Int64(f) { return n }
            guard event.types.contains("EXECVE") else { return nil }
            return recordField(type: "EXECVE", name: "argc").flatMap { Int64($0) }
        }
    }

    var fields: [String: String] {
        mutating get {
            if let decodedFields { return decodedFields }
            var out: [String: String] = [:]
            if let json = event.fieldsJSON, let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] {
                for (k, v) in object {
                    if let s = v as? String { out[k] = s } else if let n = v as? NSNumber { out[k] = n.stringValue }
                }
            }
            decodedFields = out
            return out
        }
    }

    /// A field of the event's first record of `type`, as logged: quotes
    /// taken off, hex-encoded text left as is.
    mutating func recordField(type: String, name: String) -> String? {
        if rawText == nil { rawText = readRaw() }
        guard let text = rawText else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("type=\(type) ") {
            return Self.field(name, in: line)
        }
        return nil
    }

    static func field(_ name: String, in line: Substring) -> String? {
        guard let r = line.range(of: " \(name)=") else { return nil }
        let rest = line[r.upperBound...]
        if rest.first == "\"" { return String(rest.dropFirst().prefix { $0 != "\"" }) }
        return String(rest.prefix { $0 != " " && $0 != "\u{1d}" })
    }
}
