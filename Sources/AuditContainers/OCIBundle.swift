import Foundation

/// The parts of an OCI bundle's config.json (runtime-spec) that say what a
/// container is and what it may do. Every runtime auditq knows, except
/// nspawn and LXC, leaves one on disk while the container runs.
struct OCIBundle: Decodable {
    var process: Process?
    var mounts: [Mount]?
    var linux: Linux?
    var annotations: [String: String]?

    struct Process: Decodable {
        var user: User?
        var capabilities: Capabilities?
    }

    struct User: Decodable {
        var uid: Int64?
    }

    struct Capabilities: Decodable {
        var bounding: [String]?
    }

    struct Mount: Decodable {
        var destination: String?
        var type: String?
        var source: String?
        var options: [String]?
    }

    struct Linux: Decodable {
        var namespaces: [Namespace]?
        /// No filter means every syscall.
        var seccomp: Seccomp?
    }

    struct Seccomp: Decodable {
        var defaultAction: String?
        var syscalls: [Rule]?
        struct Rule: Decodable {
            var names: [String]?
            var action: String?
        }

        /// Names an allowing rule lists, when the default denies.
        var allowed: Int? {
            guard let d = defaultAction, !["SCMP_ACT_ALLOW", "SCMP_ACT_LOG"].contains(d) else { return nil }
            let names = (syscalls ?? []).filter { ["SCMP_ACT_ALLOW", "SCMP_ACT_LOG"].contains($0.action ?? "") }
                .flatMap { $0.names ?? [] }
            return Set(names).count
        }
    }

    struct Namespace: Decodable {
        var type: String?
        var path: String?
    }

    /// A JSON value whose content is not read; `decodeIfPresent` gives nil
    /// for a missing key or null.
    struct Present: Decodable {
        init(from decoder: any Decoder) throws {}
    }

    /// What this bundle grants beyond a default container.
    var grants: Container.Grants {
        let bounding = Set((process?.capabilities?.bounding ?? []).map(DefaultContainer.capabilityName))
        return Container.Grants(
            // The spec has no "privileged" flag: docker, podman and the CRI
            // runtimes express it as the whole capability set (plus devices
            // and no seccomp). 38 is every capability up to CAP_AUDIT_READ,
            // the set of kernels older than 5.8, so older engines count too.
            privileged: bounding.count >= 38 && bounding.contains("CAP_SYS_ADMIN"),
            hostNamespaces: hostNamespaces,
            addedCapabilities: bounding.subtracting(DefaultContainer.capabilities).sorted(),
            hostMounts: hostMounts,
            seccompOff: linux?.seccomp == nil,
            runsAsRoot: process?.user?.uid.map { $0 == 0 },
            capabilities: bounding.sorted(),
            seccompAllowed: linux?.seccomp?.allowed)
    }

    /// A namespace the container shares with the host: one of the five
    /// every runtime unshares by default that the spec leaves out, or any
    /// namespace joined through pid 1's /proc entry. A missing user or
    /// cgroup namespace is the default (`runc spec` omits both), so only an
    /// explicit host path flags those.
    private var hostNamespaces: [String] {
        let listed = linux?.namespaces ?? []
        return DefaultContainer.namespaces.compactMap { namespace in
            let entries = listed.filter { $0.type == namespace.specType }
            if entries.isEmpty { return namespace.unsharedByDefault ? namespace.name : nil }
            return entries.contains { $0.path?.hasPrefix("/proc/1/ns/") == true } ? namespace.name : nil
        }
    }

    /// Bind mounts of host paths, without the files every runtime binds in
    /// itself (resolv.conf, hosts, its own state directories).
    private var hostMounts: [String] {
        (mounts ?? []).compactMap { mount in
            let options = mount.options ?? []
            guard mount.type == "bind" || options.contains("bind") || options.contains("rbind"),
                  let source = mount.source, let destination = mount.destination,
                  DefaultContainer.isHostPath(source) else { return nil }
            return DefaultContainer.hostMount(source: source, destination: destination, readOnly: options.contains("ro"))
        }
    }
}

/// What a default container has, against which grants are measured.
enum DefaultContainer {
    /// docker's default capability set (moby's oci/caps/defaults.go), which
    /// podman, containerd's CRI and CRI-O all start from.
    static let capabilities: Set<String> = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ]

    /// Every capability the kernel knows (up to CAP_CHECKPOINT_RESTORE, 5.9),
    /// for docker's `--cap-add ALL`.
    static let allCapabilities: [String] = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
        "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
        "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
        "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
        "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND",
        "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    /// "net_admin", "NET_ADMIN" and "CAP_NET_ADMIN" are one capability:
    /// docker takes either, LXC writes lowercase without the prefix.
    static func capabilityName(_ given: String) -> String {
        let upper = given.trimmingCharacters(in: .whitespaces).uppercased()
        return upper.hasPrefix("CAP_") ? upper : "CAP_" + upper
    }

    struct Namespace {
        /// The grant's name, as /proc/PID/ns names it.
        let name: String
        /// The runtime-spec's type.
        let specType: String
        let unsharedByDefault: Bool
    }

    static let namespaces: [Namespace] = [
        Namespace(name: "pid", specType: "pid", unsharedByDefault: true),
        Namespace(name: "net", specType: "network", unsharedByDefault: true),
        Namespace(name: "ipc", specType: "ipc", unsharedByDefault: true),
        Namespace(name: "uts", specType: "uts", unsharedByDefault: true),
        Namespace(name: "mnt", specType: "mount", unsharedByDefault: true),
        Namespace(name: "cgroup", specType: "cgroup", unsharedByDefault: false),
        Namespace(name: "user", specType: "user", unsharedByDefault: false),
    ]

    /// Files every runtime binds in from the host for each container.
    private static let runtimeFiles: Set<String> = ["/etc/resolv.conf", "/etc/hostname", "/etc/hosts", "/dev/shm"]

    /// The runtimes' own state: per-container resolv.conf, hosts, shm,
    /// secrets and volumes live here, made by the runtime, not chosen by
    /// whoever ran the container.
    private static let runtimeDirectories = [
        "/var/lib/docker/", "/var/lib/containerd/", "/run/containerd/", "/var/run/containerd/",
        "/var/lib/kubelet/pods/", "/run/containers/storage/", "/var/run/containers/storage/",
        "/var/lib/containers/storage/", "/run/crio/", "/var/run/crio/",
    ]

    /// An absolute host path that a runtime would not have bound in by
    /// itself. Rootless podman's storage sits in the user's home and
    /// /run/user/UID, so c/storage's directory names are matched anywhere.
    static func isHostPath(_ source: String) -> Bool {
        guard source.hasPrefix("/") else { return false }
        if runtimeFiles.contains(source) || runtimeDirectories.contains(where: source.hasPrefix) { return false }
        return !source.contains("/containers/storage/") && !source.contains("/overlay-containers/")
    }

    static func hostMount(source: String, destination: String, readOnly: Bool) -> String {
        "\(source):\(destination)" + (readOnly ? ":ro" : "")
    }
}
