import Foundation

/// The BPF objects compiled from `bpf_lsm/<family>.bpf.c` by BPFObjectsPlugin
/// and embedded in the binary: one ELF object per hook family, ready for
/// `bpf_object__open_mem`.
public enum BPFPrograms {
    /// The object of one family ("exec", "file", "net", "kernel", "task",
    /// "fallback"; see `names`), or an empty array for a name not embedded.
    /// Decoded on first use and kept.
    public static func object(named name: String) -> [UInt8] {
        decoded[name] ?? []
    }

    /// The families whose programs are BPF-LSM hooks (`lsm/*` sections).
    public static let lsmFamilies = ["exec", "file", "net", "kernel", "task"]

    /// Opt-in enforcement (`auditqd --protect`): BPF-LSM programs that deny
    /// other processes writing, truncating, renaming or unlinking the store
    /// and killing or tracing the collector. Loaded only when asked for.
    public static let protectFamily = "protect"

    /// Cgroups made and removed (`tp_btf/cgroup_*`): loaded beside either
    /// set, so container attribution has every cgroup's path. Optional: a
    /// kernel that refuses it loses only that.
    public static let cgroupFamily = "cgroup"

    /// Beside the BPF-LSM programs: processes that fork and never exec,
    /// reported at their exit with the fork folded in (`tp_btf/sched_process_*`).
    /// Optional, as `cgroupFamily` is.
    public static let lifecycleFamily = "lifecycle"

    /// Least-privilege learning (`auditqd --learn`): syscall bitmaps per
    /// cgroup and executable, capability checks. Optional, beside either set.
    public static let learnFamily = "learn"

    /// The tracepoint fallback (`tp_btf/*` sections) for kernels where LSM
    /// programs cannot load.
    public static let fallbackFamily = "fallback"

    private static let decoded: [String: [UInt8]] = base64ByName.mapValues { text in
        guard let data = Data(base64Encoded: text) else {
            preconditionFailure("BPFObjectsPlugin embedded invalid base64")
        }
        return [UInt8](data)
    }
}
