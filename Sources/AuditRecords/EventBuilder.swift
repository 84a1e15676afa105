import CAudit
#if canImport(Glibc)
import Glibc
#endif

/// Turns the event auparse is positioned on into an `AuditEvent`: walks every
/// record's fields once, comparing field names as packed integers, and keeps
/// each record's text in record order.
public enum EventBuilder {
    // Record types with their own decoding (linux/audit.h).
    static let syscallType: Int32 = 1300
    static let pathType: Int32 = 1302
    static let sockaddrType: Int32 = 1306
    static let cwdType: Int32 = 1307
    static let execveType: Int32 = 1309
    static let eoeType: Int32 = 1320
    static let proctitleType: Int32 = 1327
    static let loginType: Int32 = 1006

    // Field names packed into integers as FieldValue.tag packs them, written
    // as literals: a `static let` would be initialised lazily and checked on
    // every comparison of the field loop (FieldTagTests pins these).
    static var tType: UInt64 { 0x65707974 }  // "type"
    static var tArch: UInt64 { 0x68637261 }  // "arch"
    static var tSyscall: UInt64 { 0x6c6c6163737973 }  // "syscall"
    static var tSuccess: UInt64 { 0x73736563637573 }  // "success"
    static var tExit: UInt64 { 0x74697865 }  // "exit"
    static var tPid: UInt64 { 0x646970 }  // "pid"
    static var tPpid: UInt64 { 0x64697070 }  // "ppid"
    static var tUid: UInt64 { 0x646975 }  // "uid"
    static var tEuid: UInt64 { 0x64697565 }  // "euid"
    static var tGid: UInt64 { 0x646967 }  // "gid"
    static var tAuid: UInt64 { 0x64697561 }  // "auid"
    static var tSes: UInt64 { 0x736573 }  // "ses"
    static var tTty: UInt64 { 0x797474 }  // "tty"
    static var tComm: UInt64 { 0x6d6d6f63 }  // "comm"
    static var tExe: UInt64 { 0x657865 }  // "exe"
    static var tKey: UInt64 { 0x79656b }  // "key"
    static var tItem: UInt64 { 0x6d657469 }  // "item"
    static var tName: UInt64 { 0x656d616e }  // "name"
    static var tInode: UInt64 { 0x65646f6e69 }  // "inode"
    static var tMode: UInt64 { 0x65646f6d }  // "mode"
    static var tNametype: UInt64 { 0x65707974656d616e }  // "nametype"
    static var tOuid: UInt64 { 0x6469756f }  // "ouid"
    static var tCwd: UInt64 { 0x647763 }  // "cwd"
    static var tSaddr: UInt64 { 0x7264646173 }  // "saddr"
    static var tArgc: UInt64 { 0x63677261 }  // "argc"
    static var tRes: UInt64 { 0x736572 }  // "res"
    static var tMsg: UInt64 { 0x67736d }  // "msg"
    static var tNode: UInt64 { 0x65646f6e }  // "node"

    public static func build(_ cursor: AuparseCursor) -> AuditEvent {
        let au = cursor.state
        var event = AuditEvent()
        if let ts = auparse_get_timestamp(au)?.pointee {
            event.timeMs = Int64(ts.sec) * 1000 + Int64(ts.milli)
            event.serial = Int64(ts.serial)
            if let host = ts.host { event.node = String(cString: host) }
        }
        guard auparse_first_record(au) > 0 else { return event }
        event.recordTypes.reserveCapacity(Int(auparse_get_num_records(au)))
        var argvPieces: [[UInt8]]? = nil
        repeat {
            let type = Int32(auparse_get_type(au))
            event.recordTypes.append(type)
            switch type {
            case syscallType: readSyscall(au, into: &event)
            case pathType: readPath(au, into: &event)
            case cwdType: readCwd(au, into: &event)
            case execveType: readExecve(au, into: &argvPieces)
            case sockaddrType: readSockaddr(au, into: &event)
            case eoeType, proctitleType: break
            case loginType:
                readOther(au, into: &event)
                // A LOGIN record (auid change) without res= reports a change that happened.
                if event.success == nil { event.success = true }
            default: readOther(au, into: &event)
            }
        } while auparse_next_record(au) > 0
        if let pieces = argvPieces {
            event.argv = pieces.map { String(decoding: $0, as: UTF8.self) }
        }
        return event
    }

    /// The event's records as auparse holds them, each followed by "\n": the
    /// fallback when the lines as read cannot be matched to its records.
    public static func auparseRaw(_ cursor: AuparseCursor) -> [UInt8] {
        let au = cursor.state
        var raw: [UInt8] = []
        guard auparse_first_record(au) > 0 else { return raw }
        repeat {
            if let text = auparse_get_record_text(au) {
                let n = strlen(text)
                text.withMemoryRebound(to: UInt8.self, capacity: n) {
                    raw.append(contentsOf: UnsafeBufferPointer(start: $0, count: n))
                }
            }
            raw.append(0x0A)
        } while auparse_next_record(au) > 0
        return raw
    }

    @inline(__always)
    private static func forEachField(_ au: OpaquePointer, _ body: (UInt64, UnsafePointer<CChar>, UnsafePointer<CChar>) -> Void) {
        guard auparse_first_field(au) > 0 else { return }
        repeat {
            guard let name = auparse_get_field_name(au), let value = auparse_get_field_str(au) else { continue }
            body(FieldValue.tag(name), name, value)
        } while auparse_next_field(au) > 0
    }

    private static func readSyscall(_ au: OpaquePointer, into e: inout AuditEvent) {
        forEachField(au) { tag, _, v in
            switch tag {
            case tArch: e.arch = FieldValue.hex(v)
            case tSyscall: e.syscall = FieldValue.decimal(v)
            case tSuccess: e.success = v[0] == 0x79 /* y */
            case tExit: e.exit = FieldValue.decimal(v)
            case tPid: e.pid = FieldValue.decimal(v)
            case tPpid: e.ppid = FieldValue.decimal(v)
            case tUid: e.uid = FieldValue.decimal(v)
            case tEuid: e.euid = FieldValue.decimal(v)
            case tGid: e.gid = FieldValue.decimal(v)
            case tAuid: e.auid = FieldValue.decimal(v)
            case tSes: e.ses = FieldValue.decimal(v)
            case tTty: e.tty = FieldValue.plain(v)
            case tComm: e.comm = FieldValue.text(v)
            case tExe: e.exe = FieldValue.text(v)
            case tKey: addKey(FieldValue.text(v), to: &e)
            default: break
            }
        }
    }

    private static func readPath(_ au: OpaquePointer, into e: inout AuditEvent) {
        var item = PathItem(item: Int64(e.paths.count))
        forEachField(au) { tag, _, v in
            switch tag {
            case tItem: item.item = FieldValue.decimal(v) ?? item.item
            case tName: item.name = FieldValue.text(v)
            case tInode: item.inode = FieldValue.decimal(v)
            case tMode: item.mode = FieldValue.octal(v)
            case tNametype: item.nametype = FieldValue.plain(v)
            case tOuid: item.ouid = FieldValue.decimal(v)
            default: break
            }
        }
        e.paths.append(item)
    }

    private static func readCwd(_ au: OpaquePointer, into e: inout AuditEvent) {
        forEachField(au) { tag, _, v in
            if tag == tCwd { e.cwd = FieldValue.text(v) }
        }
    }

    /// argv from `aN=…`, or `aN_len=…` followed by `aN[i]=…` pieces that may
    /// span several EXECVE records; every piece is quoted or hex-encoded.
    private static func readExecve(_ au: OpaquePointer, into argv: inout [[UInt8]]?) {
        if argv == nil { argv = [] }
        forEachField(au) { tag, name, v in
            if tag == tArgc {
                let argc = Int(FieldValue.decimal(v) ?? 0)
                if argc > argv!.count && argc < 1 << 20 { argv!.append(contentsOf: repeatElement([], count: argc - argv!.count)) }
                return
            }
            guard name[0] == 0x61 /* a */ else { return }
            var i = 1
            var index = 0
            while name[i] >= 0x30 && name[i] <= 0x39 { index = index * 10 + Int(name[i] - 0x30); i += 1 }
            guard i > 1, index < 1 << 20 else { return }
            let rest = name[i]
            if rest == 0x5F /* _len */ { return }
            guard rest == 0 || rest == 0x5B /* [ */ else { return }
            if index >= argv!.count { argv!.append(contentsOf: repeatElement([], count: index + 1 - argv!.count)) }
            if rest == 0 { argv![index] = FieldValue.bytes(v) } else { argv![index].append(contentsOf: FieldValue.bytes(v)) }
        }
    }

    private static func readSockaddr(_ au: OpaquePointer, into e: inout AuditEvent) {
        forEachField(au) { tag, _, v in
            if tag == tSaddr { e.sockaddr = SockaddrDecoder.decode(FieldValue.bytes(v)) }
        }
    }

    /// USER_*, AVC, CONFIG_CHANGE and the rest: the common process fields fill
    /// what the SYSCALL record (if any) left empty; the others are kept by name.
    private static func readOther(_ au: OpaquePointer, into e: inout AuditEvent) {
        forEachField(au) { tag, name, v in
            switch tag {
            case tType, tMsg, tNode: break
            case tPid: if e.pid == nil { e.pid = FieldValue.decimal(v) }
            case tPpid: if e.ppid == nil { e.ppid = FieldValue.decimal(v) }
            case tUid: if e.uid == nil { e.uid = FieldValue.decimal(v) }
            case tEuid: if e.euid == nil { e.euid = FieldValue.decimal(v) }
            case tGid: if e.gid == nil { e.gid = FieldValue.decimal(v) }
            case tAuid: if e.auid == nil { e.auid = FieldValue.decimal(v) }
            case tSes: if e.ses == nil { e.ses = FieldValue.decimal(v) }
            case tComm: if e.comm == nil { e.comm = FieldValue.text(v) }
            case tExe: if e.exe == nil { e.exe = FieldValue.text(v) }
            case tKey: addKey(FieldValue.text(v), to: &e)
            case tTty: if e.tty == nil { e.tty = FieldValue.plain(v) }
            case tCwd:
                // USER_CMD and friends carry cwd= in their message: ausearch -f looks there too.
                let cwd = FieldValue.text(v)
                if e.cwd == nil { e.cwd = cwd }
                appendField(&e, name, cwd ?? "(null)")
            case tRes:
                let res = FieldValue.plain(v) ?? ""
                if e.success == nil { e.success = res == "success" || res == "1" || res == "yes" }
                appendField(&e, name, res)
            default:
                // Only fields the kernel or libaudit hex-encodes are decoded:
                // "4294967295" is an id, not hex.
                let escaped = auparse_get_field_type(au) == Int32(AUPARSE_TYPE_ESCAPED.rawValue)
                appendField(&e, name, (escaped ? FieldValue.text(v) : FieldValue.plain(v)) ?? "(null)")
            }
        }
    }

    /// Every key of the event, \u{01}-separated as the kernel joins a rule's
    /// keys: from each record that has one (key=(null) adds nothing, so it
    /// cannot hide a CONFIG_CHANGE key), once each.
    private static func addKey(_ key: String?, to e: inout AuditEvent) {
        guard let key, !key.isEmpty else { return }
        guard let existing = e.key else { e.key = key; return }
        let have = existing.split(separator: "\u{01}")
        for part in key.split(separator: "\u{01}") where !have.contains(part) { e.key! += "\u{01}" + part }
    }

    private static func appendField(_ e: inout AuditEvent, _ name: UnsafePointer<CChar>, _ value: String) {
        let key = String(cString: name)
        if !e.fields.contains(where: { $0.name == key }) { e.fields.append((key, value)) }
    }
}
