import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The default (v2) cgroup hierarchy: where it is mounted, and a walk of its
/// directories. Its cgroup ids are the ones the sensor stamps on events, and
/// each is the inode number of the cgroup's directory. On a v2-only host it
/// is /sys/fs/cgroup; on a hybrid one (v1 controllers) /sys/fs/cgroup/unified,
/// where runc places containers too.
struct CgroupHierarchy {
    let mountPoint: String

    /// The mount point of cgroup2, from /proc/self/mountinfo; nil when the
    /// host has none (v1 only: cgroup ids are then not the sensor's).
    static func find(mountInfo: String = "/proc/self/mountinfo") -> CgroupHierarchy? {
        guard let text = try? String(contentsOfFile: mountInfo, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            // "… mount-point options - fstype source super-options"
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2, halves[1].hasPrefix("cgroup2 ") else { continue }
            let fields = halves[0].split(separator: " ")
            guard fields.count >= 5 else { continue }
            return CgroupHierarchy(mountPoint: Self.unescape(String(fields[4])))
        }
        return nil
    }

    /// Every cgroup now: id → path relative to the root ("/" for the root).
    func walk() -> [UInt64: String] {
        var found: [UInt64: String] = [:]
        var pending = ["/"]
        while let relative = pending.popLast() {
            let full = relative == "/" ? mountPoint : mountPoint + relative
            var st = stat()
            guard lstat(full, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { continue }
            found[UInt64(st.st_ino)] = relative
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: full) else { continue }
            for name in names {
                let child = (relative == "/" ? "" : relative) + "/" + name
                var cst = stat()
                if lstat(mountPoint + child, &cst) == 0, (cst.st_mode & S_IFMT) == S_IFDIR { pending.append(child) }
            }
        }
        return found
    }

    /// mountinfo writes space, tab, newline and backslash as \ooo.
    private static func unescape(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        var out: [UInt8] = []
        let bytes = Array(s.utf8)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "\\"), i + 3 < bytes.count,
               let v = UInt8(String(decoding: bytes[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                out.append(v); i += 4
            } else {
                out.append(bytes[i]); i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
