import Foundation

/// securityfs (the active LSM list) and bpffs are not mounted at boot on
/// every machine: mounted here when missing, idempotently.
enum KernelFilesystems {
    static func mountIfNeeded() {
        mount(type: "securityfs", at: "/sys/kernel/security", probe: "/sys/kernel/security/lsm")
        mount(type: "bpf", at: "/sys/fs/bpf", probe: nil)
    }

    private static func mount(type: String, at path: String, probe: String?) {
        if let probe, FileManager.default.fileExists(atPath: probe) { return }
        if probe == nil, isMounted(path, type: type) { return }
        _ = Glibc.mount(type, path, type, 0, nil)
    }

    static func isMounted(_ path: String, type: String) -> Bool {
        guard let mounts = try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8) else { return false }
        return mounts.split(separator: "\n").contains { line in
            let f = line.split(separator: " ")
            return f.count > 2 && f[1] == path && f[2] == type
        }
    }
}
