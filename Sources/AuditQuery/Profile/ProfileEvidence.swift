import AuditProfile
import AuditRecords
import AuditStore
import Foundation
import GRDB

/// What the subject's stored events show beside the syscall bitmaps: the
/// executables it ran, the files and directories it created or changed, and
/// the sockets it connected or bound. Only what audit rules or the sensor
/// recorded is there: a write no rule watched is not.
enum ProfileEvidence {
    /// Syscalls that change a file system by name.
    static let writing: Set<String> = [
        "creat", "mkdir", "mkdirat", "rename", "renameat", "renameat2", "unlink", "unlinkat", "rmdir", "link", "linkat",
        "symlink", "symlinkat", "truncate", "mknod", "mknodat", "chmod", "fchmodat", "fchmodat2", "chown", "lchown",
        "fchownat", "setxattr", "lsetxattr", "removexattr", "lremovexattr", "utimensat", "utimes", "utime",
    ]
    static let creatingDirectories: Set<String> = ["mkdir", "mkdirat"]
    static let familyNames: [Int64: String] = [1: "unix", 2: "inet", 10: "inet6", 16: "netlink", 17: "packet"]

    static func add(_ db: Database, subject: ProfileBuilder.Subject, window: (Int64, Int64), to profile: inout UsageProfile) throws {
        var term: String
        var arguments: [DatabaseValueConvertible] = []
        switch subject {
        case .container(_, _, let scope):
            term = scope.term
            arguments = scope.arguments
        case .exe(let path, _, _):
            term = "e.exe = (SELECT id FROM text WHERE value = ?)"
            arguments = [path]
        case .cgroup(_, let set):
            term = """
                (e.syscall IS NULL AND e.ppid IS NOT NULL AND (json_extract(e.fields, '$.boot') || ':' || json_extract(e.fields, '$.cgroup'))
                 IN (SELECT value FROM json_each(?)))
                """
            arguments = [String(decoding: try JSONEncoder().encode(set.sorted()), as: UTF8.self)]
        }
        arguments += [window.0, window.1]
        let rows = try Row.fetchAll(db, sql: """
            SELECT e.id, e.syscall, e.arch, e.success, x.value AS exe, c.value AS comm, ty.value AS types, e.sock_family, e.sock_addr, e.sock_port,
                   json_extract(e.fields, '$.syscall') AS sensor_syscall
            FROM event e LEFT JOIN text x ON x.id = e.exe LEFT JOIN text ty ON ty.id = e.types LEFT JOIN text c ON c.id = e.comm
            WHERE \(term) AND e.time_ms BETWEEN ? AND ?
            """, arguments: StatementArguments(arguments))
        var execs: Set<String> = [], files: Set<String> = [], directories: Set<String> = []
        var families: Set<String> = [], connected: Set<String> = [], bound: Set<String> = []
        var execCount = 0
        for row in rows {
            // The runtime's setup of the container (mounts, devices) is not the container's doing.
            if subject.isContainer, Runtimes.isRuntime(exe: row["exe"] ?? "", comm: row["comm"] ?? "") { continue }
            let types: String = row["types"] ?? ""
            let syscall: Int64? = row["syscall"]
            let arch: Int64? = row["arch"]
            // The tracepoint fallback names its syscall in its fields.
            let name = syscall.flatMap { AuditNames.syscallName($0, arch: arch) } ?? (row["sensor_syscall"] as String?)
            let successValue: Int64? = row["success"]
            let success = successValue != 0
            if types.hasPrefix("TP_EXEC") || types.hasPrefix("LSM_EXEC ") || types == "LSM_EXEC" || ((name == "execve" || name == "execveat") && success) {
                if types.hasPrefix("TP_EXEC") || types.hasPrefix("LSM_EXEC") { execCount += 1 }
                if let exe: String = row["exe"], !exe.isEmpty, !(subject.isContainer && Runtimes.isRuntime(exe: exe, comm: "")) { execs.insert(exe) }
            }
            if let family: Int64 = row["sock_family"], let label = Self.familyNames[family] {
                families.insert(label)
                let addr: String? = row["sock_addr"]
                let port: Int64? = row["sock_port"]
                let place = [addr, port.map(String.init)].compactMap { $0 }.joined(separator: ":")
                if !place.isEmpty && success {
                    if name == "bind" { bound.insert(place) } else if name == "connect" || types.contains("CONNECT") { connected.insert(place) }
                }
            }
            guard let name, success else { continue }
            let creating = name == "open" || name == "openat" || name == "openat2"
            guard writing.contains(name) || creating else { continue }
            let id: Int64 = row["id"]
            let paths = try Row.fetchAll(db, sql: """
                SELECT n.value AS name, t.value AS nametype FROM path p LEFT JOIN text n ON n.id = p.name
                LEFT JOIN text t ON t.id = p.nametype WHERE p.event_id = ? ORDER BY p.item
                """, arguments: [id])
            for p in paths {
                guard let path: String = p["name"], path.hasPrefix("/") else { continue }
                let type: String = p["nametype"] ?? ""
                if type == "PARENT" { continue }
                if creating && type != "CREATE" { continue }
                if creatingDirectories.contains(name) { directories.insert(path) } else { files.insert(path) }
            }
        }
        profile.execs = execs.sorted()
        profile.filesWritten = files.sorted()
        profile.directoriesWritten = directories.sorted()
        profile.networkFamilies = families.sorted()
        profile.connected = connected.sorted()
        profile.bound = bound.sorted()
        profile.window.execs = execCount
        if case .exe = subject { profile.window.runs = max(profile.window.runs, execCount) }
    }
}
