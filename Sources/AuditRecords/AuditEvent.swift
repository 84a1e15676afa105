/// One audit event as auditq stores it: identity, the fields ausearch users
/// filter on, the decoded objects (paths, argv, socket address, message
/// fields) and the raw text of every record in the order auparse gave them.
public struct AuditEvent: Sendable, Equatable {
    public var node: String = ""
    public var timeMs: Int64 = 0
    public var serial: Int64 = 0
    /// Events with the same node, time, serial and record types in one input, numbered from 0.
    public var part: Int64 = 0
    /// Record types in record order, e.g. [1300, 1309, 1307, 1302, 1327].
    public var recordTypes: [Int32] = []
    /// Every record's text followed by "\n", in record order.
    public var raw: [UInt8] = []

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
    public var cwd: String?
    public var paths: [PathItem] = []
    public var argv: [String]?
    public var sockaddr: SocketAddress?
    /// Fields of non-syscall records (USER_*, AVC, CONFIG_CHANGE, …), first value wins.
    public var fields: [(name: String, value: String)] = []

    public init() {}

    /// The first value of a field in `fields`.
    public func field(_ name: String) -> String? {
        fields.first { $0.name == name }?.value
    }

    /// The object the event is about: the first PATH item that is not a
    /// parent directory, else the first PATH item, else the path of a local
    /// (unix) socket, else an AVC/user-message path.
    public var primaryPath: String? {
        if let item = paths.first(where: { $0.nametype != "PARENT" && $0.name != nil }) { return item.name }
        if let item = paths.first(where: { $0.name != nil }) { return item.name }
        if let socket = sockaddr, socket.family == 1, let address = socket.address, !address.isEmpty { return address }
        for (name, value) in fields where name == "path" || name == "name" { return value }
        return nil
    }

    public static func == (lhs: AuditEvent, rhs: AuditEvent) -> Bool {
        lhs.node == rhs.node && lhs.timeMs == rhs.timeMs && lhs.serial == rhs.serial && lhs.part == rhs.part
            && lhs.recordTypes == rhs.recordTypes && lhs.raw == rhs.raw
    }
}

public struct PathItem: Sendable, Equatable {
    public var item: Int64
    public var name: String?
    public var inode: Int64?
    public var mode: Int64?
    public var nametype: String?
    public var ouid: Int64?

    public init(item: Int64, name: String? = nil, inode: Int64? = nil, mode: Int64? = nil,
                nametype: String? = nil, ouid: Int64? = nil) {
        self.item = item; self.name = name; self.inode = inode
        self.mode = mode; self.nametype = nametype; self.ouid = ouid
    }
}

public struct SocketAddress: Sendable, Equatable {
    /// Address family number as the kernel gives it (AF_INET = 2, AF_INET6 = 10, AF_UNIX = 1, …).
    public var family: Int64
    public var address: String?
    public var port: Int64?

    public init(family: Int64, address: String? = nil, port: Int64? = nil) {
        self.family = family; self.address = address; self.port = port
    }

    public var familyName: String {
        switch family {
        case 1: return "local"
        case 2: return "inet"
        case 10: return "inet6"
        case 16: return "netlink"
        case 17: return "packet"
        default: return "family\(family)"
        }
    }
}
