import AuditRecords
import Foundation
import GRDB
import GRDBSQLite

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

    /// The `event` columns `init(statement:texts:_:)` reads, in its order.
    static let columns = "e.id, e.node, e.time_ms, e.serial, e.part, e.types, e.arch, e.syscall, e.success, e.exit, "
        + "e.pid, e.ppid, e.uid, e.euid, e.gid, e.auid, e.ses, e.tty, e.comm, e.exe, e.key, e.path, e.cwd, e.argv, "
        + "e.sock_family, e.sock_addr, e.sock_port, e.fields, e.raw_block, e.raw_offset, e.raw_length"

    /// From a row of `columns`, text ids resolved through `texts`; nil when
    /// the node or types text is missing (event_view's inner joins skip such a row).
    init?(statement s: OpaquePointer, texts: TextCache, _ db: Database) throws {
        func int(_ c: Int32) -> Int64? { sqlite3_column_type(s, c) == SQLITE_NULL ? nil : sqlite3_column_int64(s, c) }
        func string(_ c: Int32) -> String? {
            sqlite3_column_type(s, c) == SQLITE_NULL ? nil : String(cString: sqlite3_column_text(s, c))
        }
        guard let node = try texts.value(sqlite3_column_int64(s, 1), db),
              let types = try texts.list(sqlite3_column_int64(s, 5), db) else { return nil }
        id = sqlite3_column_int64(s, 0)
        self.node = node
        timeMs = sqlite3_column_int64(s, 2)
        serial = sqlite3_column_int64(s, 3)
        part = sqlite3_column_int64(s, 4)
        self.types = types
        arch = int(6)
        syscall = int(7)
        success = int(8).map { $0 == 1 }
        exit = int(9)
        pid = int(10)
        ppid = int(11)
        uid = int(12)
        euid = int(13)
        gid = int(14)
        auid = int(15)
        ses = int(16)
        tty = try texts.optional(s, 17, db)
        comm = try texts.optional(s, 18, db)
        exe = try texts.optional(s, 19, db)
        key = try texts.optional(s, 20, db)
        path = try texts.optional(s, 21, db)
        cwd = try texts.optional(s, 22, db)
        argvJSON = string(23)
        sockFamily = int(24)
        sockAddr = string(25)
        sockPort = int(26)
        fieldsJSON = string(27)
        rawBlock = sqlite3_column_int64(s, 28)
        rawOffset = Int(sqlite3_column_int64(s, 29))
        rawLength = Int(sqlite3_column_int64(s, 30))
    }

    public var syscallName: String? { syscall.flatMap { AuditNames.syscallName($0, arch: arch) } }
    public var archName: String? { arch.flatMap(AuditNames.archName) }
    /// Keys as ausearch lists them (a multi-key rule joins them with \x01).
    public var keys: [String] { key.map { $0.split(separator: "\u{01}").map(String.init) } ?? [] }
}
