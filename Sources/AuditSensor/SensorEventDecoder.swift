import AuditRecords
import CBPFEvents
import Foundation

/// Turns one ring-buffer record (bpf_lsm/events.h) into a stored event: one
/// record of type 3100 + kind (SensorKinds), the process fields audit events
/// have, the object in the columns searches use (exe, PATH item, socket
/// address), the rest in `fields`, and a raw line in audit's shape so
/// `--raw` and text output show it like any record. A pure type.
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
        let headerSize = MemoryLayout<auditq_event_header>.size
        guard record.count >= headerSize else { return [] }
        let h = record.loadUnaligned(as: auditq_event_header.self)
        guard let kind = SensorKinds.kind(h.kind) else { return [] }
        var e = base(h, kind)
        var out: [AuditEvent] = []
        var fields: [(String, String)] = []
        func payload<T>(_ type: T.Type) -> T? {
            record.count >= MemoryLayout<T>.size ? record.loadUnaligned(as: T.self) : nil
        }
        switch Int(h.kind) {
        case Int(AUDITQ_EV_EXEC.rawValue), Int(AUDITQ_EV_PROC_EXEC.rawValue):
            guard let p = payload(auditq_exec_event.self) else { return [] }
            let path = Self.string(p.path)
            e.exe = path
            e.paths = [PathItem(item: 0, name: path)]
            fields.append(("path", path))
            if h.flags & UInt8(AUDITQ_FLAG_INTERP.rawValue) != 0 { fields.append(("interp", "1")) }
            let argv0 = Self.string(p.argv0)
            if !argv0.isEmpty { e.argv = [argv0]; fields.append(("argv0", argv0)) }
            if Int(h.kind) == Int(AUDITQ_EV_EXEC.rawValue) {
                // Held until its argv record; an older one held for this tgid is complete.
                if let older = pendingExec.removeValue(forKey: h.tgid) { out.append(Self.finish(older)) }
                e.fields = fields.map { ($0.0, $0.1) }
                pendingExec[h.tgid] = e
                return out
            }
        case Int(AUDITQ_EV_EXEC_ARGV.rawValue):
            guard let p = payload(auditq_exec_event.self) else { return [] }
            let argv0 = Self.string(p.argv0)
            if var exec = pendingExec.removeValue(forKey: h.tgid) {
                exec.argv = [argv0]
                exec.fields.append(("argv0", argv0))
                if exec.comm != e.comm { exec.comm = e.comm }  // the new image's name
                return [Self.finish(exec)]
            }
            fields.append(("argv0", argv0))
            e.argv = [argv0]
        case Int(AUDITQ_EV_FILE_OPEN.rawValue):
            guard let p = payload(auditq_file_open_event.self) else { return [] }
            let path = Self.string(p.path)
            e.paths = [PathItem(item: 0, name: path)]
            fields += [("path", path), ("flags", "0x" + String(p.flags, radix: 16)),
                       ("fmode", "0x" + String(p.mode, radix: 16)), ("watch", String(p.watch_id))]
        case Int(AUDITQ_EV_SOCKET_CONNECT.rawValue):
            guard let p = payload(auditq_connect_event.self) else { return [] }
            let address = Self.address(family: p.family, bytes: p.addr)
            e.sockaddr = SocketAddress(family: Int64(p.family), address: address, port: Int64(p.port))
            fields += [("family", String(p.family)), ("addr", address ?? ""), ("port", String(p.port))]
        case Int(AUDITQ_EV_KERNEL_READ_FILE.rawValue), Int(AUDITQ_EV_KERNEL_LOAD_DATA.rawValue):
            guard let p = payload(auditq_kernel_load_event.self) else { return [] }
            let path = Self.string(p.path)
            if !path.isEmpty { e.paths = [PathItem(item: 0, name: path)]; fields.append(("path", path)) }
            fields += [("id", String(p.id)), ("contents", String(p.contents))]
        case Int(AUDITQ_EV_BPF.rawValue):
            guard let p = payload(auditq_bpf_event.self) else { return [] }
            fields += [("cmd", String(p.cmd)), ("type", String(p.type))]
        case Int(AUDITQ_EV_PTRACE.rawValue):
            guard let p = payload(auditq_ptrace_event.self) else { return [] }
            fields += [("mode", "0x" + String(p.mode, radix: 16)), ("target_pid", String(p.target_pid)),
                       ("target_comm", Self.string(p.target_comm))]
        case Int(AUDITQ_EV_SETUID.rawValue):
            guard let p = payload(auditq_setuid_event.self) else { return [] }
            fields += [("old_uid", String(p.old_uid)), ("old_euid", String(p.old_euid)),
                       ("new_uid", String(p.new_uid)), ("new_euid", String(p.new_euid)), ("op", String(p.op_flags))]
        case Int(AUDITQ_EV_MOUNT.rawValue):
            guard let p = payload(auditq_mount_event.self) else { return [] }
            let path = Self.string(p.path)
            e.paths = [PathItem(item: 0, name: path)]
            fields += [("path", path), ("dev", Self.string(p.dev_name)), ("fstype", Self.string(p.fs_type)),
                       ("mount_flags", "0x" + String(p.mount_flags, radix: 16))]
        case Int(AUDITQ_EV_RENAME.rawValue):
            guard let p = payload(auditq_rename_event.self) else { return [] }
            let old = Self.string(p.old_path), new = Self.string(p.new_path)
            e.paths = [PathItem(item: 0, name: old, nametype: "DELETE"), PathItem(item: 1, name: new, nametype: "CREATE")]
            fields += [("path", old), ("new_path", new), ("rename_flags", String(p.rename_flags))]
        case Int(AUDITQ_EV_UNLINK.rawValue), Int(AUDITQ_EV_CHMOD.rawValue), Int(AUDITQ_EV_TRUNCATE.rawValue):
            guard let p = payload(auditq_path_event.self) else { return [] }
            let path = Self.string(p.path)
            e.paths = [PathItem(item: 0, name: path)]
            fields.append(("path", path))
            if Int(h.kind) == Int(AUDITQ_EV_CHMOD.rawValue) { fields.append(("mode", "0" + String(p.mode, radix: 8))) }
        case Int(AUDITQ_EV_KILL.rawValue):
            guard let p = payload(auditq_kill_event.self) else { return [] }
            fields += [("sig", String(p.sig)), ("target_pid", String(p.target_pid)),
                       ("target_comm", Self.string(p.target_comm))]
        case Int(AUDITQ_EV_PROC_EXIT.rawValue), Int(AUDITQ_EV_PROC_FORK.rawValue):
            guard let p = payload(auditq_proc_event.self) else { return [] }
            if Int(h.kind) == Int(AUDITQ_EV_PROC_FORK.rawValue) {
                fields += [("child_pid", String(p.child_tgid)), ("child_tid", String(p.child_pid))]
                e.exit = Int64(p.child_tgid)
            } else {
                fields.append(("exit_code", String(p.exit_code)))
            }
        case Int(AUDITQ_EV_SYSCALL.rawValue):
            guard let p = payload(auditq_syscall_event.self) else { return [] }
            // The syscall stays in `fields`, not the syscall column: the
            // process facts (exec, fork, exit) come from completed syscalls,
            // and this is the syscall's entry, before it succeeds or fails.
            let name = AuditNames.syscallName(p.nr, arch: 0xC000_003E) ?? String(p.nr)
            fields += [("syscall", name)]
            let args = [p.args.0, p.args.1, p.args.2, p.args.3, p.args.4, p.args.5]
            for (i, a) in args.enumerated() { fields.append(("a\(i)", String(a, radix: 16))) }
            if name == "connect" {
                if let socket = Self.sockaddr(p.str) {
                    e.sockaddr = socket
                    fields += [("addr", socket.address ?? ""), ("port", socket.port.map(String.init) ?? "")]
                }
            } else {
                let text = Self.string(p.str)
                if !text.isEmpty {
                    e.paths = [PathItem(item: 0, name: text)]
                    fields.append(("path", text))
                    if name == "execve" || name == "execveat" { e.exe = text }
                }
                let text2 = Self.string(p.str2)
                if !text2.isEmpty { fields.append((name.hasPrefix("exec") ? "argv0" : "str2", text2)) }
            }
        default:
            break
        }
        e.fields += fields.map { ($0.0, $0.1) }
        out.append(Self.finish(e))
        return out
    }

    /// Execs still waiting for their argv record (at stop, or after a quiet spell).
    public mutating func flush() -> [AuditEvent] {
        defer { pendingExec.removeAll() }
        return pendingExec.values.sorted { $0.serial < $1.serial }.map(Self.finish)
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
        e.fields = [("hook", kind.hook), ("source", kind.source), ("ret", String(h.ret)), ("tid", String(h.pid)),
                    ("cgroup", String(h.cgroup_id)), ("boot", bootID)]
        if h.flags & UInt8(AUDITQ_FLAG_TRUNCATED.rawValue) != 0 { e.fields.append(("truncated", "1")) }
        if h.flags & UInt8(AUDITQ_FLAG_PROTECTED.rawValue) != 0 { e.fields.append(("protected", "1")) }
        return e
    }

    /// The raw line: `type=NAME msg=audit(SEC.MS:BOOTNS): field=value …`.
    static func finish(_ event: AuditEvent) -> AuditEvent {
        var e = event
        let name = AuditNames.recordType(e.recordTypes.first ?? 0)
        var line = "type=\(name) msg=audit(\(e.timeMs / 1000).\(String(format: "%03d", e.timeMs % 1000)):\(e.serial)):"
        func add(_ k: String, _ v: String, quoted: Bool) { line += " \(k)=" + (quoted ? Self.quote(v) : v) }
        for (k, v) in e.fields where ["hook", "source"].contains(k) { add(k, v, quoted: false) }
        add("pid", e.pid.map(String.init) ?? "?", quoted: false)
        add("ppid", e.ppid.map(String.init) ?? "?", quoted: false)
        add("uid", e.uid.map(String.init) ?? "?", quoted: false)
        add("euid", e.euid.map(String.init) ?? "?", quoted: false)
        add("auid", e.auid.map(String.init) ?? "?", quoted: false)
        add("ses", e.ses.map(String.init) ?? "?", quoted: false)
        add("comm", e.comm ?? "", quoted: true)
        let textual: Set<String> = ["path", "new_path", "argv0", "target_comm", "dev", "fstype", "str2", "addr"]
        for (k, v) in e.fields where !["hook", "source"].contains(k) { add(k, v, quoted: textual.contains(k)) }
        e.raw = Array(line.utf8) + [0x0A]
        return e
    }

    static func quote(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n") + "\""
    }

    /// A NUL-terminated C char array (a Swift tuple) as a String.
    static func string<T>(_ tuple: T) -> String {
        withUnsafeBytes(of: tuple) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    static func address<T>(family: UInt16, bytes: T) -> String? {
        withUnsafeBytes(of: bytes) { raw in
            switch family {
            case 2: return raw.prefix(4).map(String.init).joined(separator: ".")
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
                return SocketAddress(family: 2, address: raw[4..<8].map(String.init).joined(separator: "."), port: port)
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
