/// Capability numbers and names, as linux/capability.h defines them (the
/// numbers CAPABILITY records carry in `capability=`). The test checks this
/// table against the header on the machine.
public enum CapabilityNames {
    /// Indexed by capability number: CAP_CHOWN is 0, CAP_CHECKPOINT_RESTORE 40.
    public static let all: [String] = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
        "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
        "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK",
        "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
        "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
        "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
        "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE",
    ]

    /// What docker (moby's oci/caps/defaults.go) grants a container unless
    /// told otherwise, in its order: the baseline "granted" of a container
    /// run without --cap-add/--cap-drop.
    public static let dockerDefault: [String] = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
        "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
        "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ]

    private static let numbers = Dictionary(uniqueKeysWithValues: all.enumerated().map { ($1, $0) })

    /// "CAP_CHOWN" for 0; nil past the last capability this table knows.
    public static func name(_ number: Int) -> String? {
        all.indices.contains(number) ? all[number] : nil
    }

    /// The number of "CAP_CHOWN", "chown" or "CHOWN" (docker and Kubernetes
    /// write them without the prefix, AppArmor in lower case).
    public static func number(_ name: String) -> Int? {
        numbers[canonical(name)]
    }

    /// "CAP_CHOWN" for any spelling `number(_:)` accepts; the input
    /// upper-cased with the prefix when unknown.
    public static func canonical(_ name: String) -> String {
        let upper = name.uppercased()
        return upper.hasPrefix("CAP_") ? upper : "CAP_" + upper
    }

    /// "CHOWN": the spelling docker's and Kubernetes' capability lists use.
    public static func withoutPrefix(_ name: String) -> String {
        String(canonical(name).dropFirst(4))
    }

    /// Capability names in the kernel's order, duplicates removed, unknown
    /// names last (alphabetically): a stable order for every writer.
    public static func ordered(_ names: some Sequence<String>) -> [String] {
        Set(names.map(canonical)).sorted { a, b in
            switch (numbers[a], numbers[b]) {
            case let (x?, y?): x < y
            case (_?, nil): true
            case (nil, _?): false
            case (nil, nil): a < b
            }
        }
    }
}
