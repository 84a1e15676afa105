import CBPFEvents
import CLibbpf
import Foundation

/// The paths whose opens the sensor reports: an LPM trie keyed by path
/// bytes (events.h). A file matches with its NUL; "dir/" matches the tree.
public enum WatchPaths {
    /// What every collector watches: identity files, sudoers, ssh keys, the
    /// audit configuration and logs, the kernel's hook files and the
    /// container runtimes' binaries (the detectors' kernel-hook-write and
    /// runtime-binary-write), and the store (added by the caller).
    public static let defaults = [
        "/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow", "/etc/sudoers", "/etc/sudoers.d/",
        "/etc/ssh/sshd_config", "/root/.ssh/", "/etc/audit/", "/var/log/audit/", "/etc/pam.d/",
        "/proc/sys/kernel/core_pattern", "/proc/sys/kernel/modprobe",
        "/usr/sbin/runc", "/usr/bin/runc", "/usr/bin/crun", "/usr/bin/containerd-shim-runc-v2",
        "/usr/bin/containerd-shim", "/usr/bin/conmon",
    ]

    static func fill(mapFD: Int32, paths: [String]) throws -> Int {
        var count = 0
        for (i, path) in paths.enumerated() {
            var key = auditq_watch_key()
            let bytes = Array(path.utf8)
            guard !bytes.isEmpty, bytes.count < Int(AUDITQ_PATH_LEN) else { continue }
            let isTree = path.hasSuffix("/")
            key.prefixlen = UInt32(8 * (isTree ? bytes.count : bytes.count + 1))
            withUnsafeMutableBytes(of: &key.path) { raw in raw.copyBytes(from: bytes) }
            var value = auditq_watch_value(id: UInt32(i + 1), flags: 0)
            let rc = bpf_map_update_elem(mapFD, &key, &value, UInt64(BPF_ANY))
            if rc < 0 { throw BPFError.map(name: "watch_paths", errno: -rc) }
            count += 1
        }
        return count
    }
}
