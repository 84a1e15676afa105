import AuditRecords
import CBPFEvents

/// Turns one ring-buffer record (bpf_lsm/events.h) into a stored event: one
/// record of type 3100 + kind (SensorKinds), the process fields audit events
/// have, the object in the columns searches use (exe, PATH item, socket
/// address), the rest in `fields`, and a raw line in audit's shape so
/// `--raw` and text output show it like any record. A pure type.
///
/// It runs once per event on the ring-buffer thread, so it builds the raw
/// line as bytes (`RawLine`) straight from the fields, with no Foundation
/// and no formatted strings: per event it costs far less than storing it.
public struct SensorEventDecoder {
    /// CLOCK_REALTIME − CLOCK_BOOTTIME when the sensor started, in ns.
    public let wallOffsetNs: Int64
    /// `bprm_check_security` sees the file; `bprm_committed_creds` (just
    /// after) sees argv: the two are stored as one exec event.
    private var pendingExec: [UInt32: AuditEvent] = [:]

    /// This boot's id (/proc/sys/kernel/random/boot_id), kept with every
    /// event: boot-time stamps order events exactly within one boot.
    public let bootID: String

    public init(wallOffsetNs: Int64, bootID: String) {
        self.wallOffsetNs = wallOffsetNs
        self.bootID = bootID
    }

    /// Decodes one record; returns the events complete so far (an exec waits
    /// for its argv record, which follows at once).
    public mutating func decode(_ record: UnsafeRawBufferPointer) -> [AuditEvent] {
        var out: [AuditEvent] = []
        decode(record, into: &out)
        return out
    }

    /// Decodes one record, appending the events complete so far to `out`.
    public mutating func decode(_ record: UnsafeRawBufferPointer, into out: inout [AuditEvent]) {
        let headerSize = MemoryLayout<auditq_event_header>.size
        guard record.count >= headerSize else { return }
        let h = record.loadUnaligned(as: auditq_event_header.self)
        guard let kind = SensorKinds.kind(h.kind) else { return }
        var e = base(h, kind)
        func payload<T>(_ type: T.Type) -> T? {
            record.count >= MemoryLayout<T>.size ? record.loadUnaligned(as: T.self) : nil
        }
        func add(_ name: String, _ value: String) { e.fields.append((name, value)) }
        switch Int(h.kind) {
        case Int(AUDITQ_EV_EXEC.rawValue):
            guard let p = payload(auditq_exec_event.self) else { return }
            let path = Self.string(p.path)
            e.exe = path
            e.paths = [PathItem(item: 0, name: path)]
            add("path", path)
            add("argc", String(p.argc))
            if h.flags & UInt8(AUDITQ_FLAG_INTERP.rawValue) != 0 { add("interp", "1") }
            // Held until its argv record; an older one held for this tgid is complete.
            if let older = pendingExec.removeValue(forKey: h.tgid) { out.append(Self.finish(older)) }
            pendingExec[h.tgid] = e
            return
        case Int(AUDITQ_EV_PROC_EXEC.rawValue):
            guard let p = payload(auditq_proc_exec_event.self) else { return }
            let path = Self.string(p.path)
            e.exe = path
            e.paths = [PathItem(item: 0, name: path)]
            add("path", path)
            add("argc", String(p.argc))
            let argv0 = Self.string(p.argv0)
            if !argv0.isEmpty { e.argv = [argv0]; add("argv0", argv0) }
            addFork(&e, ns: p.fork_ns, ppid: p.fork_ppid)
        case Int(AUDITQ_EV_EXEC_ARGV.rawValue):
            guard let p = payload(auditq_exec_event.self) else { return }
            let argv0 = Self.string(p.argv0)
            if var exec = pendingExec.removeValue(forKey: h.tgid) {
                exec.argv = [argv0]
                exec.fields.append(("argv0", argv0))
                if exec.comm != e.comm { exec.comm = e.comm }  // the new image's name
                out.append(Self.finish(exec))
                return
            }
            add("argv0", argv0)
            e.argv = [argv0]
        case Int(AUDITQ_EV_FILE_OPEN.rawValue):
            guard let p = payload(auditq_file_open_event.self) else { return }
            let path = Self.string(p.path)
            e.paths = [PathItem(item: 0, name: path)]
            add("path", path)
            add("flags", Self.hex(UInt64(p.flags)))
            add("fmode", Self.hex(UInt64(p.mode)))
            add("watch", String(p.watch_id))
        case Int(AUDITQ_EV_SOCKET_CONNECT.rawValue):
            guard let p = payload(auditq_connect_event.self) else { return }
            let address = Self.address(family: p.family, bytes: p.addr)
            e.sockaddr = SocketAddress(family: Int64(p.family), address: address, port: Int64(p.port))
            add("family", String(p.family))
            add("addr", address ?? "")
            add("port", String(p.port))
        case Int(AUDITQ_EV_KERNEL_READ_FILE.rawValue), Int(AUDITQ_EV_KERNEL_LOAD_DATA.rawValue):
            guard let p = payload(auditq_kernel_load_event.self) else { return }
            let path = Self.string(p.path)
            if !path.isEmpty { e.paths = [PathItem(item: 0, name: path)]; add("path", path) }
            add("id", String(p.id))
            add("contents", String(p.contents))
        case Int(AUDITQ_EV_BPF.rawValue):
            guard let p = payload(auditq_bpf_event.self) else { return }
            add("cmd", String(p.cmd))
            add("type", String(p.type))
        case Int(AUDITQ_EV_PTRACE.rawValue):
            guard let p = payload(auditq_ptrace_event.self) else { return }
            add("mode", Self.hex(UInt64(p.mode)))
            add("target_pid", String(p.target_pid))
            add("target_comm", Self.string(p.target_comm))
        case Int(AUDITQ_EV_SETUID.rawValue):
            guard let p = payload(auditq_setuid_event.self) else { return }
            add("old_uid", String(p.old_uid))
            add("old_euid", String(p.old_euid))
            add("new_uid", String(p.new_uid))
            add("new_euid", String(p.new_euid))
            add("op", String(p.op_flags))
        case Int(AUDITQ_EV_MOUNT.rawValue):
            guard let p = payload(auditq_mount_event.self) else { return }
            let path = Self.string(p.path)
            e.paths = [PathItem(item: 0, name: path)]
            add("path", path)
            add("dev", Self.string(p.dev_name))
            add("fstype", Self.string(p.fs_type))
            add("mount_flags", Self.hex(p.mount_flags))
        case Int(AUDITQ_EV_RENAME.rawValue):
            guard let p = payload(auditq_rename_event.self) else { return }
            let old = Self.string(p.old_path), new = Self.string(p.new_path)
            e.paths = [PathItem(item: 0, name: old, nametype: "DELETE"), PathItem(item: 1, name: new, nametype: "CREATE")]
            add("path", old)
            add("new_path", new)
            add("rename_flags", String(p.rename_flags))
        case Int(AUDITQ_EV_UNLINK.rawValue), Int(AUDITQ_EV_CHMOD.rawValue), Int(AUDITQ_EV_TRUNCATE.rawValue):
            guard let p = payload(auditq_path_event.self) else { return }
            let path = Self.string(p.path)
            e.paths = [PathItem(item: 0, name: path)]
            add("path", path)
            if Int(h.kind) == Int(AUDITQ_EV_CHMOD.rawValue) { add("mode", "0" + String(p.mode, radix: 8)) }
        case Int(AUDITQ_EV_KILL.rawValue):
            guard let p = payload(auditq_kill_event.self) else { return }
            add("sig", String(p.sig))
            add("target_pid", String(p.target_pid))
            add("target_comm", Self.string(p.target_comm))
        case Int(AUDITQ_EV_PROC_EXIT.rawValue):
            guard let p = payload(auditq_proc_event.self) else { return }
            add("exit_code", String(p.exit_code))
            addFork(&e, ns: p.fork_ns, ppid: p.fork_ppid)
        case Int(AUDITQ_EV_PROC_FORK.rawValue):
            guard let p = payload(auditq_proc_event.self) else { return }
            add("child_pid", String(p.child_tgid))
            add("child_tid", String(p.child_pid))
            e.exit = Int64(p.child_tgid)
        case Int(AUDITQ_EV_CGROUP_MKDIR.rawValue), Int(AUDITQ_EV_CGROUP_RMDIR.rawValue):
            // Not stored as events: the collector turns them into the
            // ledger's cgroup rows (CgroupKeeper).
            guard let p = payload(auditq_cgroup_event.self) else { return }
            add("id", String(p.id))
            add("level", String(p.level))
            add("path", Self.string(p.path))
        case Int(AUDITQ_EV_SYSCALL.rawValue):
            guard let p = payload(auditq_syscall_event.self) else { return }
            // The syscall stays in `fields`, not the syscall column: the
            // process facts (exec, fork, exit) come from completed syscalls,
            // and this is the syscall's entry, before it succeeds or fails.
            let name = AuditNames.syscallName(p.nr, arch: 0xC000_003E) ?? String(p.nr)
            add("syscall", name)
            add("a0", String(p.args.0, radix: 16))
            add("a1", String(p.args.1, radix: 16))
            add("a2", String(p.args.2, radix: 16))
            add("a3", String(p.args.3, radix: 16))
            add("a4", String(p.args.4, radix: 16))
            add("a5", String(p.args.5, radix: 16))
            if name == "connect" {
                if let socket = Self.sockaddr(p.str) {
                    e.sockaddr = socket
                    add("addr", socket.address ?? "")
                    add("port", socket.port.map { String($0) } ?? "")
                }
            } else {
                let text = Self.string(p.str)
                if !text.isEmpty {
                    e.paths = [PathItem(item: 0, name: text)]
                    add("path", text)
                    if name == "execve" || name == "execveat" { e.exe = text }
                }
                let text2 = Self.string(p.str2)
                if !text2.isEmpty { add(name.hasPrefix("exec") ? "argv0" : "str2", text2) }
            }
        default:
            break
        }
        out.append(Self.finish(e))
    }

    /// Execs still waiting for their argv record (at stop, or after a quiet spell).
    public mutating func flush() -> [AuditEvent] {
        defer { pendingExec.removeAll() }
        return pendingExec.values.sorted { $0.serial < $1.serial }.map(Self.finish)
    }

    /// The fork folded into a process's first exec or its exit (events.h,
    /// "Process facts, folded"): who forked it, and when (boot-time ns, as
    /// the event's own serial is).
    private func addFork(_ e: inout AuditEvent, ns: UInt64, ppid: UInt32) {
        guard ns != 0 else { return }
        e.fields.append(("fork_ppid", String(ppid)))
        e.fields.append(("fork_ns", String(ns)))
    }

    private func base(_ h: auditq_event_header, _ kind: SensorKinds.Kind) -> AuditEvent {
        var e = AuditEvent()
        e.serial = Int64(bitPattern: h.boot_ns)
        e.timeMs = (Int64(bitPattern: h.boot_ns) + wallOffsetNs) / 1_000_000
        e.recordTypes = [kind.recordType]
        e.pid = Int64(h.tgid)
        e.ppid = Int64(h.ppid)
        e.uid = Int64(h.uid)
        e.euid = Int64(h.euid)
        e.auid = Int64(h.loginuid)
        e.ses = Int64(h.sessionid)
        e.comm = Self.string(h.comm)
        e.success = h.ret == 0
        e.fields.reserveCapacity(16)
        e.fields.append(("hook", kind.hook))
        e.fields.append(("source", kind.source))
        e.fields.append(("ret", String(h.ret)))
        e.fields.append(("tid", String(h.pid)))
        e.fields.append(("cgroup", String(h.cgroup_id)))
        e.fields.append(("boot", bootID))
        if h.flags & UInt8(AUDITQ_FLAG_TRUNCATED.rawValue) != 0 { e.fields.append(("truncated", "1")) }
        if h.flags & UInt8(AUDITQ_FLAG_PROTECTED.rawValue) != 0 { e.fields.append(("protected", "1")) }
        return e
    }

    /// The raw line: `type=NAME msg=audit(SEC.MS:BOOTNS): hook=… source=…
    /// pid=… ppid=… uid=… euid=… auid=… ses=… comm="…"` and then every other
    /// field in order, the textual ones quoted.
    static func finish(_ event: AuditEvent) -> AuditEvent {
        var e = event
        var line = RawLine()
        line.append("type=")
        line.append(SensorKinds.kind(recordType: e.recordTypes.first ?? 0)?.name ?? AuditNames.recordType(e.recordTypes.first ?? 0))
        line.append(" msg=audit(")
        line.append(e.timeMs / 1000)
        line.byte(UInt8(ascii: "."))
        line.threeDigits(e.timeMs % 1000)
        line.byte(UInt8(ascii: ":"))
        line.append(e.serial)
        line.append("):")
        // hook and source first, as the line has always had them.
        for (k, v) in e.fields where Self.leads(k) { line.field(k, v, quoted: false) }
        line.field("pid", e.pid)
        line.field("ppid", e.ppid)
        line.field("uid", e.uid)
        line.field("euid", e.euid)
        line.field("auid", e.auid)
        line.field("ses", e.ses)
        line.field("comm", e.comm ?? "", quoted: true)
        for (k, v) in e.fields where !Self.leads(k) { line.field(k, v, quoted: Self.textual(k)) }
        line.byte(0x0A)
        e.raw = line.bytes
        return e
    }

    private static func leads(_ name: String) -> Bool { name == "hook" || name == "source" }

    /// Fields whose values are free text (quoted in the raw line).
    private static func textual(_ name: String) -> Bool {
        switch name {
        case "path", "new_path", "argv0", "target_comm", "dev", "fstype", "str2", "addr": return true
        default: return false
        }
    }

    /// The raw line's text, quoted: `"`, `\` and newline escaped.
    static func quote(_ s: String) -> String {
        var line = RawLine()
        line.quoted(s)
        return String(decoding: line.bytes, as: UTF8.self)
    }

    static func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }

    /// A NUL-terminated C char array (a Swift tuple) as a String.
    static func string<T>(_ tuple: T) -> String {
        withUnsafeBytes(of: tuple) { raw in
            let n = raw.firstIndex(of: 0) ?? raw.count
            return String(decoding: UnsafeRawBufferPointer(rebasing: raw[0..<n]), as: UTF8.self)
        }
    }

    static func address<T>(family: UInt16, bytes: T) -> String? {
        withUnsafeBytes(of: bytes) { raw in
            switch family {
            case 2: return raw.prefix(4).map { String($0) }.joined(separator: ".")
            case 10:
                var words: [String] = []
                for i in stride(from: 0, to: 16, by: 2) { words.append(String(UInt16(raw[i]) << 8 | UInt16(raw[i + 1]), radix: 16)) }
                return words.joined(separator: ":")
            default: return nil
            }
        }
    }

    /// The raw sockaddr the fallback copies from connect(2)'s argument.
    static func sockaddr<T>(_ bytes: T) -> SocketAddress? {
        withUnsafeBytes(of: bytes) { raw in
            guard raw.count >= 8 else { return nil }
            let family = UInt16(raw[0]) | UInt16(raw[1]) << 8
            switch family {
            case 2:
                let port = Int64(UInt16(raw[2]) << 8 | UInt16(raw[3]))
                return SocketAddress(family: 2, address: raw[4..<8].map { String($0) }.joined(separator: "."), port: port)
            case 10 where raw.count >= 24:
                let port = Int64(UInt16(raw[2]) << 8 | UInt16(raw[3]))
                var words: [String] = []
                for i in stride(from: 8, to: 24, by: 2) { words.append(String(UInt16(raw[i]) << 8 | UInt16(raw[i + 1]), radix: 16)) }
                return SocketAddress(family: 10, address: words.joined(separator: ":"), port: port)
            case 1:
                let path = raw[2...].prefix { $0 != 0 }
                return SocketAddress(family: 1, address: String(decoding: path, as: UTF8.self))
            default:
                return SocketAddress(family: Int64(family))
            }
        }
    }
}

/// One raw line under construction, as bytes: the UTF-8 of each string is
/// copied once, numbers are written digit by digit.
struct RawLine {
    var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(384) }

    mutating func byte(_ b: UInt8) { bytes.append(b) }

    mutating func append(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ s: String) {
        var s = s
        s.withUTF8 { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ v: Int64) {
        if v < 0 { bytes.append(UInt8(ascii: "-")) }
        var m = v.magnitude
        var digits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)  // 32 bytes: enough for 20 digits
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[n] = UInt8(ascii: "0") + UInt8(m % 10)
                m /= 10
                n += 1
            } while m > 0
            while n > 0 { n -= 1; bytes.append(d[n]) }
        }
    }

    mutating func threeDigits(_ v: Int64) {
        let m = Int(v.magnitude % 1000)
        bytes.append(UInt8(ascii: "0") + UInt8(m / 100))
        bytes.append(UInt8(ascii: "0") + UInt8(m / 10 % 10))
        bytes.append(UInt8(ascii: "0") + UInt8(m % 10))
    }

    /// `"text"` with `\`, `"` and newline escaped.
    mutating func quoted(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { utf8 in
            for b in utf8 {
                switch b {
                case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(b)
                case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\\")); bytes.append(b)
                case 0x0A: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
                default: bytes.append(b)
                }
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// ` name=value`
    mutating func field(_ name: String, _ value: String, quoted: Bool) {
        bytes.append(UInt8(ascii: " "))
        append(name)
        bytes.append(UInt8(ascii: "="))
        if quoted { self.quoted(value) } else { append(value) }
    }

    /// ` name=N`, or `name=?` when unknown.
    mutating func field(_ name: StaticString, _ value: Int64?) {
        bytes.append(UInt8(ascii: " "))
        append(name)
        bytes.append(UInt8(ascii: "="))
        if let value { append(value) } else { bytes.append(UInt8(ascii: "?")) }
    }

    mutating func field(_ name: StaticString, _ value: String, quoted: Bool) {
        bytes.append(UInt8(ascii: " "))
        append(name)
        bytes.append(UInt8(ascii: "="))
        if quoted { self.quoted(value) } else { append(value) }
    }
}
