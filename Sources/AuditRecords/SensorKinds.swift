/// The BPF sensor's event kinds (bpf_lsm/events.h, `enum auditq_event_kind`)
/// as record types of the store. Sensor events are stored as events like
/// audit's, each with one record whose type is 3100 + kind — above every
/// type the kernel or audit userspace uses (they end at 2999) — so search,
/// output formats, the hash chain and the process facts serve both sources.
public enum SensorKinds {
    public struct Kind: Sendable, Equatable {
        /// `enum auditq_event_kind`
        public let kind: UInt16
        /// The record type name stored: LSM_EXEC, TP_SYSCALL, …
        public let name: String
        /// The LSM hook or tracepoint: bprm_check_security, sched_process_exec, …
        public let hook: String
        /// "lsm" or "tracepoint"
        public let source: String
        public var recordType: Int32 { SensorKinds.typeBase + Int32(kind) }
    }

    public static let typeBase: Int32 = 3100
    public static let lsmSource = "lsm"
    public static let tracepointSource = "tracepoint"

    public static let all: [Kind] = [
        Kind(kind: 1, name: "LSM_EXEC", hook: "bprm_check_security", source: lsmSource),
        Kind(kind: 2, name: "LSM_FILE_OPEN", hook: "file_open", source: lsmSource),
        Kind(kind: 3, name: "LSM_CONNECT", hook: "socket_connect", source: lsmSource),
        Kind(kind: 4, name: "LSM_KERNEL_READ_FILE", hook: "kernel_read_file", source: lsmSource),
        Kind(kind: 5, name: "LSM_KERNEL_LOAD_DATA", hook: "kernel_load_data", source: lsmSource),
        Kind(kind: 6, name: "LSM_BPF", hook: "bpf", source: lsmSource),
        Kind(kind: 7, name: "LSM_PTRACE", hook: "ptrace_access_check", source: lsmSource),
        Kind(kind: 8, name: "LSM_SETUID", hook: "task_fix_setuid", source: lsmSource),
        Kind(kind: 9, name: "LSM_MOUNT", hook: "sb_mount", source: lsmSource),
        Kind(kind: 10, name: "LSM_UNLINK", hook: "path_unlink", source: lsmSource),
        Kind(kind: 11, name: "LSM_CHMOD", hook: "path_chmod", source: lsmSource),
        Kind(kind: 12, name: "LSM_KILL", hook: "task_kill", source: lsmSource),
        Kind(kind: 13, name: "LSM_EXEC_ARGV", hook: "bprm_committed_creds", source: lsmSource),
        Kind(kind: 14, name: "LSM_TRUNCATE", hook: "path_truncate", source: lsmSource),
        Kind(kind: 15, name: "LSM_RENAME", hook: "path_rename", source: lsmSource),
        Kind(kind: 64, name: "TP_EXEC", hook: "sched_process_exec", source: tracepointSource),
        Kind(kind: 65, name: "TP_EXIT", hook: "sched_process_exit", source: tracepointSource),
        Kind(kind: 66, name: "TP_FORK", hook: "sched_process_fork", source: tracepointSource),
        Kind(kind: 67, name: "TP_SYSCALL", hook: "sys_enter", source: tracepointSource),
        Kind(kind: 68, name: "TP_CGROUP_MKDIR", hook: "cgroup_mkdir", source: tracepointSource),
        Kind(kind: 69, name: "TP_CGROUP_RMDIR", hook: "cgroup_rmdir", source: tracepointSource),
    ]

    /// A cgroup made or removed (cgroup.bpf.c): a fact for the ledger's
    /// cgroup rows, not an event to store.
    public static func isCgroup(recordType: Int32) -> Bool {
        recordType == typeBase + 68 || recordType == typeBase + 69
    }

    private static let byKind: [UInt16: Kind] = Dictionary(uniqueKeysWithValues: all.map { ($0.kind, $0) })
    private static let byName: [String: Kind] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    public static func kind(_ kind: UInt16) -> Kind? { byKind[kind] }
    public static func kind(recordType: Int32) -> Kind? {
        guard recordType > typeBase, recordType <= typeBase + 0xFFFF else { return nil }
        return byKind[UInt16(recordType - typeBase)]
    }
    public static func kind(named name: String) -> Kind? { byName[name] }
    /// Kinds of one hook name (a hook may have an LSM and a tracepoint form).
    public static func kinds(hook: String) -> [Kind] { all.filter { $0.hook == hook } }
}
