import AuditRecords
import CBPFEvents
import CLibbpf
import Foundation

/// The files `--protect` guards, by device and inode as the kernel names
/// them (`s_dev` is MKDEV(major, minor) = major << 20 | minor, not stat's
/// encoding of st_dev).
enum ProtectedFiles {
    static func fill(mapFD: Int32, paths: [String]) throws {
        for (i, path) in paths.enumerated() {
            var st = stat()
            guard stat(path, &st) == 0 else { throw BPFError.map(name: "protected_inodes (\(path))", errno: errno) }
            var key = auditq_protect_key(dev: DeviceNumber(stDev: UInt64(st.st_dev)).kernel, ino: UInt64(st.st_ino))
            var value = auditq_protect_value(id: UInt32(i + 1), flags: 0)
            let rc = bpf_map_update_elem(mapFD, &key, &value, UInt64(BPF_ANY))
            if rc < 0 { throw BPFError.map(name: "protected_inodes", errno: errno) }
        }
    }
}
