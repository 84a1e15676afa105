import AuditRecords
import Foundation
import GRDB

/// One event read back from the store, text ids resolved.
public struct StoredEvent: Sendable {
    public var id: Int64
    public var node: String
    public var timeMs: Int64
    public var serial: Int64
    public var part: Int64
    public var types: [String]
    public var arch: Int64?
    public var syscall: Int64?
    public var success: Bool?
    public var exit: Int64?
    public var pid: Int64?
    public var ppid: Int64?
    public var uid: Int64?
    public var euid: Int64?
    public var gid: Int64?
    public var auid: Int64?
    public var ses: Int64?
    public var tty: String?
    public var comm: String?
    public var exe: String?
    public var key: String?
    public var path: String?
    public var cwd: String?
    public var argvJSON: String?
    public var sockFamily: Int64?
    public var sockAddr: String?
    public var sockPort: Int64?
    public var fieldsJSON: String?
    public var rawBlock: Int64
    public var rawOffset: Int
    public var rawLength: Int

    init(row: Row) {
        id = row["id"]
        node = row["node"]
        timeMs = row["time_ms"]
        serial = row["serial"]
        part = row["part"]
        types = (row["types"] as String).split(separator: " ").map(String.init)
        arch = row["arch"]
        syscall = row["syscall"]
        success = (row["success"] as Int64?).map { $0 == 1 }
        exit = row["exit"]
        pid = row["pid"]
        ppid = row["ppid"]
        uid = row["uid"]
        euid = row["euid"]
        gid = row["gid"]
        auid = row["auid"]
        ses = row["ses"]
        tty = row["tty"]
        comm = row["comm"]
        exe = row["exe"]
        key = row["key"]
        path = row["path"]
        cwd = row["cwd"]
        argvJSON = row["argv"]
        sockFamily = row["sock_family"]
        sockAddr = row["sock_addr"]
        sockPort = row["sock_port"]
        fieldsJSON = row["fields"]
        rawBlock = row["raw_block"]
        rawOffset = row["raw_offset"]
        rawLength = row["raw_length"]
    }

    public var syscallName: String? { syscall.flatMap { AuditNames.syscallName($0, arch: arch) } }
    public var archName: String? { arch.flatMap(AuditNames.archName) }
    /// Keys as ausearch lists them (a multi-key rule joins them with \x01).
    public var keys: [String] { key.map { $0.split(separator: "\u{01}").map(String.init) } ?? [] }
}
