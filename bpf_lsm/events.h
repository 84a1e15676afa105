/* events.h — the only contract between auditq's BPF programs and userspace.
 *
 * Plain data only: fixed-width integers and char[N], no pointers, no
 * bitfields, no kernel types. The BPF programs (bpf_lsm/<family>.bpf.c) and Swift
 * (through the CBPFEvents module) include this same file; every layout is
 * pinned below by _Static_assert and again by a Swift MemoryLayout test.
 *
 * Every ring-buffer record starts with struct auditq_event_header; `kind`
 * says which payload follows (struct auditq_<kind>_event embeds the header as
 * its first member). Enum values are fixed and never renumbered: new kinds
 * take new numbers, retired ones stay reserved.
 *
 * Strings are NUL-terminated within their array unless the array is full
 * (then AUDITQ_FLAG_TRUNCATED is set in the header's flags).
 */
#ifndef AUDITQ_EVENTS_H
#define AUDITQ_EVENTS_H

#ifdef __bpf__
/* BPF side: vmlinux.h (or the hand-made subset in include/) has the types. */
#else
#include <linux/types.h> /* __u8 … __u64, __s32, __s64, as the UAPI headers and libbpf use */
#endif

#define AUDITQ_COMM_LEN 16
#define AUDITQ_PATH_LEN 256
#define AUDITQ_ARG_LEN 128
#define AUDITQ_NAME_LEN 64

/* Which hook or tracepoint produced the event. Fixed values. */
enum auditq_event_kind {
    /* BPF-LSM hooks (source AUDITQ_SOURCE_LSM) */
    AUDITQ_EV_EXEC = 1,              /* bprm_check_security */
    AUDITQ_EV_FILE_OPEN = 2,         /* file_open, watched paths only */
    AUDITQ_EV_SOCKET_CONNECT = 3,    /* socket_connect */
    AUDITQ_EV_KERNEL_READ_FILE = 4,  /* kernel_read_file */
    AUDITQ_EV_KERNEL_LOAD_DATA = 5,  /* kernel_load_data */
    AUDITQ_EV_BPF = 6,               /* bpf (the bpf(2) syscall) */
    AUDITQ_EV_PTRACE = 7,            /* ptrace_access_check */
    AUDITQ_EV_SETUID = 8,            /* task_fix_setuid */
    AUDITQ_EV_MOUNT = 9,             /* sb_mount */
    AUDITQ_EV_UNLINK = 10,           /* path_unlink */
    AUDITQ_EV_CHMOD = 11,            /* path_chmod */
    AUDITQ_EV_KILL = 12,             /* task_kill */
    AUDITQ_EV_EXEC_ARGV = 13,        /* bprm_committed_creds: argv[0] of the new image */
    AUDITQ_EV_TRUNCATE = 14,         /* path_truncate (protect.bpf.c: protected files only) */
    AUDITQ_EV_RENAME = 15,           /* path_rename (protect.bpf.c: protected files only) */

    /* Tracepoint fallback (source AUDITQ_SOURCE_TRACEPOINT) */
    AUDITQ_EV_PROC_EXEC = 64,        /* tp_btf/sched_process_exec (the process's fork folded in) */
    AUDITQ_EV_PROC_EXIT = 65,        /* tp_btf/sched_process_exit (the fork folded in when it never exec'd) */
    AUDITQ_EV_PROC_FORK = 66,        /* tp_btf/sched_process_fork: only when the fork could not be
                                      * held for folding (see struct auditq_proc_event) */
    AUDITQ_EV_SYSCALL = 67,          /* tp_btf/sys_enter, filtered syscalls (not execve: PROC_EXEC has it) */

    /* cgroup.bpf.c, loaded in both modes (source AUDITQ_SOURCE_TRACEPOINT):
     * a cgroup of the default (v2) hierarchy made or removed. */
    AUDITQ_EV_CGROUP_MKDIR = 68,     /* tp_btf/cgroup_mkdir */
    AUDITQ_EV_CGROUP_RMDIR = 69,     /* tp_btf/cgroup_rmdir */
};

enum auditq_event_source {
    AUDITQ_SOURCE_LSM = 1,
    AUDITQ_SOURCE_TRACEPOINT = 2,
};

/* auditq_event_header.flags */
enum auditq_event_flags {
    AUDITQ_FLAG_TRUNCATED = 1,       /* a string or path did not fit */
    AUDITQ_FLAG_INTERP = 2,          /* exec: an interpreter pass (script, binfmt_misc) */
    AUDITQ_FLAG_PATH_PARTIAL = 4,    /* path walk stopped early (too deep) */
    AUDITQ_FLAG_PROTECTED = 8,       /* protect.bpf.c: the action touched a protected object
                                      * (the store, its WAL, the collector); ret = -EPERM
                                      * when it was denied, ret = 0 when enforce = 0 */
};

struct auditq_event_header {
    __u16 kind;        /* enum auditq_event_kind */
    __u8 source;       /* enum auditq_event_source */
    __u8 flags;        /* enum auditq_event_flags, or-ed */
    __u32 size;        /* size of the whole record in bytes */
    __u64 boot_ns;     /* bpf_ktime_get_boot_ns() */
    __u64 cgroup_id;   /* bpf_get_current_cgroup_id() */
    __u32 pid;         /* kernel task id (thread id; audit's pid for a single-threaded process) */
    __u32 tgid;        /* process id: what userspace and audit call pid */
    __u32 ppid;        /* real parent's tgid */
    __u32 uid;
    __u32 euid;
    __u32 loginuid;    /* audit loginuid, (u32)-1 when unset */
    __u32 sessionid;   /* audit session id, (u32)-1 when unset */
    __s32 ret;         /* LSM: the verdict the hook was given; tracepoints: 0 */
    char comm[AUDITQ_COMM_LEN];
};

/* AUDITQ_EV_EXEC, AUDITQ_EV_EXEC_ARGV (PROC_EXEC: struct auditq_proc_exec_event) */
struct auditq_exec_event {
    struct auditq_event_header h;
    __u32 argc;
    __u32 old_pid;              /* PROC_EXEC: the pid before exec (de_thread) */
    char path[AUDITQ_PATH_LEN]; /* file executed (this pass's file for interpreters) */
    char argv0[AUDITQ_ARG_LEN]; /* EXEC_ARGV and PROC_EXEC only; empty in EXEC */
};

/* Process facts, folded (the fallback, fallback.bpf.c). A fork is not an
 * event of its own: sched_process_fork holds it in a kernel map keyed by the
 * child's tgid, and the child's first exec (PROC_EXEC) or, when it never
 * execs, its exit (PROC_EXIT) carries it: fork_ns (boot-time ns of the
 * fork) and fork_ppid (the tgid that forked it). fork_ns = 0: no fork
 * folded in (a later exec, or a process forked before the sensor started).
 * When the map cannot hold a fork, it is reported at once as PROC_FORK.
 * So a fork + exec + exit costs two events, not three. */

/* AUDITQ_EV_PROC_EXEC: struct auditq_exec_event's fields, then the fork. */
struct auditq_proc_exec_event {
    struct auditq_event_header h;
    __u32 argc;
    __u32 old_pid;              /* the pid before exec (de_thread) */
    char path[AUDITQ_PATH_LEN]; /* bprm->exec: the file name as the caller gave it */
    char argv0[AUDITQ_ARG_LEN];
    __u64 fork_ns;
    __u32 fork_ppid;
    __u32 _pad;
};

/* AUDITQ_EV_FILE_OPEN */
struct auditq_file_open_event {
    struct auditq_event_header h;
    __u32 flags;               /* file->f_flags (O_*) */
    __u32 mode;                /* file->f_mode (FMODE_*) */
    __u32 watch_id;            /* auditq_watch_value.id of the matching entry */
    __u32 _pad;
    char path[AUDITQ_PATH_LEN];
};

/* AUDITQ_EV_SOCKET_CONNECT */
struct auditq_connect_event {
    struct auditq_event_header h;
    __u16 family;              /* AF_INET, AF_INET6, AF_UNIX, ... */
    __u16 port;                /* host byte order */
    __u32 _pad;
    __u8 addr[16];             /* AF_INET: first 4 bytes; AF_INET6: all 16 (network order) */
};

/* AUDITQ_EV_KERNEL_READ_FILE, AUDITQ_EV_KERNEL_LOAD_DATA */
struct auditq_kernel_load_event {
    struct auditq_event_header h;
    __u32 id;                  /* enum kernel_read_file_id / kernel_load_data_id */
    __u32 contents;            /* the hook's `contents` argument */
    char path[AUDITQ_PATH_LEN];/* read_file only; empty for load_data */
};

/* AUDITQ_EV_BPF */
struct auditq_bpf_event {
    struct auditq_event_header h;
    __s32 cmd;                 /* BPF_PROG_LOAD, BPF_MAP_CREATE, ... */
    __u32 type;                /* prog_type (PROG_LOAD) or map_type (MAP_CREATE), else 0 */
};

/* AUDITQ_EV_PTRACE */
struct auditq_ptrace_event {
    struct auditq_event_header h;
    __u32 mode;                /* PTRACE_MODE_* */
    __u32 target_pid;          /* target's tgid */
    char target_comm[AUDITQ_COMM_LEN];
};

/* AUDITQ_EV_SETUID */
struct auditq_setuid_event {
    struct auditq_event_header h;
    __u32 old_uid;
    __u32 old_euid;
    __u32 new_uid;
    __u32 new_euid;
    __s32 op_flags;            /* LSM_SETID_* */
    __u32 _pad;
};

/* AUDITQ_EV_MOUNT */
struct auditq_mount_event {
    struct auditq_event_header h;
    __u64 mount_flags;         /* MS_* */
    char dev_name[AUDITQ_NAME_LEN];
    char fs_type[AUDITQ_NAME_LEN];
    char path[AUDITQ_PATH_LEN];
};

/* AUDITQ_EV_UNLINK, AUDITQ_EV_CHMOD */
struct auditq_path_event {
    struct auditq_event_header h;
    __u32 mode;                /* CHMOD: the new mode; UNLINK: 0 */
    __u32 _pad;
    char path[AUDITQ_PATH_LEN];
};

/* AUDITQ_EV_KILL */
struct auditq_kill_event {
    struct auditq_event_header h;
    __s32 sig;
    __u32 target_pid;          /* target's tgid */
    char target_comm[AUDITQ_COMM_LEN];
};

/* AUDITQ_EV_RENAME (protect.bpf.c). AUDITQ_EV_TRUNCATE uses
 * struct auditq_path_event (mode 0). */
struct auditq_rename_event {
    struct auditq_event_header h;
    __u32 rename_flags;        /* RENAME_NOREPLACE, RENAME_EXCHANGE, ... */
    __u32 _pad;
    char old_path[AUDITQ_PATH_LEN];
    char new_path[AUDITQ_PATH_LEN];
};

/* AUDITQ_EV_PROC_EXIT, AUDITQ_EV_PROC_FORK */
struct auditq_proc_event {
    struct auditq_event_header h;
    __u32 child_pid;           /* FORK: child's task id; EXIT: 0 */
    __u32 child_tgid;          /* FORK: child's tgid; EXIT: 0 */
    __s32 exit_code;           /* EXIT: task->exit_code (wait status form) */
    __u32 fork_ppid;           /* EXIT: the fork folded in (see above); FORK: 0 */
    __u64 fork_ns;             /* EXIT: the fork folded in, 0 = none; FORK: 0 */
};

/* The fallback's map of forks waiting for the child's first exec or exit
 * (private to fallback.bpf.c; an LRU map, so forgotten children cannot
 * fill it). */
struct auditq_fork_value {
    __u64 fork_ns;
    __u32 ppid;
    __u32 _pad;
};
#define AUDITQ_FORKS_MAX_ENTRIES 32768

/* Ring-buffer wakeups: the programs wake the reader only once this much is
 * waiting (BPF_RB_FORCE_WAKEUP); below it they submit with
 * BPF_RB_NO_WAKEUP and the reader drains on its poll timeout. One wakeup
 * per event cost more than the event. */
#define AUDITQ_WAKEUP_BYTES (256u << 10)

/* AUDITQ_EV_SYSCALL: raw_tp/sys_enter, only the syscalls behind the hooks
 * (see AUDITQ_SYSCALLS in fallback.bpf.c). `arg` holds the six raw
 * arguments; `str` the first string argument read from user memory when the
 * syscall has one (execve path, openat/unlink/chmod/mount path, init_module:
 * empty); `str2` a second one (execve argv[0], mount source), and for
 * connect `str` holds the raw sockaddr bytes (family first). */
struct auditq_syscall_event {
    struct auditq_event_header h;
    __s64 nr;                  /* x86_64 syscall number */
    __u64 args[6];
    char str[AUDITQ_PATH_LEN];
    char str2[AUDITQ_ARG_LEN];
};

/* AUDITQ_EV_CGROUP_MKDIR, AUDITQ_EV_CGROUP_RMDIR (cgroup.bpf.c). Only the
 * default hierarchy's cgroups (cgroup v2; on a hybrid host the one at
 * /sys/fs/cgroup/unified), whose ids are what bpf_get_current_cgroup_id()
 * stamps on every event. `id` is the cgroup's kernfs id, which is also the
 * inode number of its directory; `path` is relative to the hierarchy's root
 * ("/docker/<id>"). The header's cgroup_id is the cgroup of the task that
 * made or removed it. So a cgroup that lives a millisecond still has its
 * path on record: a walk of the filesystem would miss it. */
#define AUDITQ_CGROUP_PATH_LEN 512
struct auditq_cgroup_event {
    struct auditq_event_header h;
    __u64 id;
    __u32 level;               /* depth below the root (the root is 0) */
    __u32 _pad;
    char path[AUDITQ_CGROUP_PATH_LEN];
};

/* Least-privilege learning (learn.bpf.c, `auditqd --learn`): which
 * syscalls each (cgroup, executable, ABI) made, as a bitmap kept in the
 * kernel, not an event per syscall. The collector reads the maps every few
 * seconds and stores what is new. `exe_dev` is the kernel's dev_t of the
 * executable's super block (major << 20 | minor), as in auditq_protect_key. */
#define AUDITQ_LEARN_WORDS 10          /* 640 bits: x86-64 and i386 numbers up to 469, x32's 512..547 */
#define AUDITQ_LEARN_MAX_ENTRIES 16384
#define AUDITQ_LEARN_CAP_MAX_ENTRIES 8192
#define AUDITQ_LEARN_EXE_MAX_ENTRIES 8192
#define AUDITQ_X32_SYSCALL_BIT 0x40000000
/* Not a syscall: set beside open/openat/creat's bit when the call could
 * write a file (O_WRONLY, O_RDWR, O_CREAT or O_TRUNC; any creat or
 * openat2), so a profile knows whether a read-only root would do. */
#define AUDITQ_LEARN_WROTE_BIT 639
enum auditq_learn_arch {
    AUDITQ_ARCH_X86_64 = 0,
    AUDITQ_ARCH_I386 = 1,      /* compat: int 0x80, sysenter, or a 32-bit binary */
    AUDITQ_ARCH_X32 = 2,       /* nr has AUDITQ_X32_SYSCALL_BIT; stored without it */
};

struct auditq_learn_key {
    __u64 cgroup_id;
    __u64 exe_ino;
    __u32 exe_dev;
    __u32 arch;                /* enum auditq_learn_arch */
};

struct auditq_learn_value {
    __u64 syscalls[AUDITQ_LEARN_WORDS]; /* bit n of word n/64: syscall n was entered */
    __u64 first_ns;            /* bpf_ktime_get_boot_ns() of the key's first syscall */
    __u64 cap_effective;       /* the first caller's effective capabilities */
    __u64 cap_permitted;
    __u32 uid;
    __u32 tgid;                /* the first caller */
    char comm[AUDITQ_COMM_LEN];
};

/* A capability check that was granted (denied = 0) or refused (1), in the
 * syscall `nr` (0xffff: outside a syscall). In LSM mode only checks that
 * were used count (not CAP_OPT_NOAUDIT probes) and only granted ones are
 * seen; the cap_capable tracepoint says neither, so the collector leaves
 * out the kernel's known probes by the syscall they happen in. */
struct auditq_learn_cap_key {
    __u64 cgroup_id;
    __u64 exe_ino;
    __u32 exe_dev;
    __u16 cap;
    __u16 nr;
    __u8 arch;
    __u8 denied;
    __u8 _pad[6];
};

/* The name an executable was run by (bprm->filename: as given to execve,
 * so relative or /proc/self/fd/N for fexecve), by inode. */
struct auditq_learn_exe_key {
    __u64 ino;
    __u32 dev;
    __u32 _pad;
};

struct auditq_learn_exe_value {
    char path[AUDITQ_PATH_LEN];
};

/* learn_fails (PERCPU_ARRAY): what a full map kept out. */
enum {
    AUDITQ_LEARN_FAIL_SYSCALLS = 0,   /* (cgroup, exe, arch) keys not stored */
    AUDITQ_LEARN_FAIL_CAPS = 1,       /* capability keys not stored */
    AUDITQ_LEARN_FAIL_SLOTS = 2,
};

/* Watched paths for file_open (and the fallback's openat): an LPM trie
 * keyed by path bytes. An exact file is inserted with prefixlen =
 * 8 * (strlen(path) + 1) (the NUL must match too); a directory tree with
 * prefixlen = 8 * strlen("dir/") (trailing slash included). */
struct auditq_watch_key {
    __u32 prefixlen;           /* in bits, as BPF_MAP_TYPE_LPM_TRIE wants */
    char path[AUDITQ_PATH_LEN];
};

struct auditq_watch_value {
    __u32 id;                  /* the collector's id for the entry, echoed in events */
    __u32 flags;               /* reserved, 0 */
};

/* --protect (protect.bpf.c): the inodes of the store and its WAL, a HASH
 * map filled by the collector after load. `dev` is the kernel's dev_t of
 * the inode's super block (sb->s_dev: major << 20 | minor), NOT stat's
 * st_dev encoding: key.dev = (major(st.st_dev) << 20) | minor(st.st_dev). */
struct auditq_protect_key {
    __u64 dev;
    __u64 ino;
};

struct auditq_protect_value {
    __u32 id;                  /* the collector's id for the file, echoed as file_open's watch_id */
    __u32 flags;               /* reserved, 0 */
};

/* Names of the shared maps (every object declares them; the loader creates
 * them once and hands the same fds to every object with bpf_map__reuse_fd). */
#define AUDITQ_MAP_EVENTS "events"
#define AUDITQ_MAP_RESERVE_FAILS "reserve_fails"
#define AUDITQ_MAP_WATCH_PATHS "watch_paths"
#define AUDITQ_MAP_LEARN_SYSCALLS "learn_syscalls"
#define AUDITQ_MAP_LEARN_CAPS "learn_caps"
#define AUDITQ_MAP_LEARN_EXES "learn_exes"
#define AUDITQ_MAP_LEARN_FAILS "learn_fails"
#define AUDITQ_RINGBUF_DEFAULT_BYTES (8u << 20)
#define AUDITQ_WATCH_MAX_ENTRIES 1024
#define AUDITQ_MAP_PROTECTED_INODES "protected_inodes" /* protect.bpf.c only, not shared */
#define AUDITQ_PROTECT_MAX_ENTRIES 64

/* reserve_fails: a PERCPU_ARRAY with one __u64 per slot; slot = event kind
 * (0..AUDITQ_RESERVE_SLOTS-1), so drops are counted per hook. */
#define AUDITQ_RESERVE_SLOTS 128

/* Layouts, pinned. Changing one is a contract change: bump the Swift test. */
#define AUDITQ_ASSERT_SIZE(T, N) _Static_assert(sizeof(T) == (N), #T " size changed")
#define AUDITQ_ASSERT_OFF(T, F, N) _Static_assert(__builtin_offsetof(T, F) == (N), #T "." #F " offset changed")

AUDITQ_ASSERT_SIZE(struct auditq_event_header, 72);
AUDITQ_ASSERT_SIZE(struct auditq_cgroup_event, 72 + 16 + AUDITQ_CGROUP_PATH_LEN);
AUDITQ_ASSERT_OFF(struct auditq_cgroup_event, id, 72);
AUDITQ_ASSERT_OFF(struct auditq_cgroup_event, path, 88);
AUDITQ_ASSERT_SIZE(struct auditq_learn_key, 24);
AUDITQ_ASSERT_SIZE(struct auditq_learn_value, 8 * AUDITQ_LEARN_WORDS + 48);
AUDITQ_ASSERT_OFF(struct auditq_learn_value, first_ns, 80);
AUDITQ_ASSERT_OFF(struct auditq_learn_value, comm, 112);
AUDITQ_ASSERT_SIZE(struct auditq_learn_cap_key, 32);
AUDITQ_ASSERT_OFF(struct auditq_learn_cap_key, cap, 20);
AUDITQ_ASSERT_OFF(struct auditq_learn_cap_key, arch, 24);
AUDITQ_ASSERT_SIZE(struct auditq_learn_exe_key, 16);
AUDITQ_ASSERT_OFF(struct auditq_event_header, size, 4);
AUDITQ_ASSERT_OFF(struct auditq_event_header, boot_ns, 8);
AUDITQ_ASSERT_OFF(struct auditq_event_header, cgroup_id, 16);
AUDITQ_ASSERT_OFF(struct auditq_event_header, pid, 24);
AUDITQ_ASSERT_OFF(struct auditq_event_header, tgid, 28);
AUDITQ_ASSERT_OFF(struct auditq_event_header, ppid, 32);
AUDITQ_ASSERT_OFF(struct auditq_event_header, uid, 36);
AUDITQ_ASSERT_OFF(struct auditq_event_header, euid, 40);
AUDITQ_ASSERT_OFF(struct auditq_event_header, loginuid, 44);
AUDITQ_ASSERT_OFF(struct auditq_event_header, sessionid, 48);
AUDITQ_ASSERT_OFF(struct auditq_event_header, ret, 52);
AUDITQ_ASSERT_OFF(struct auditq_event_header, comm, 56);

AUDITQ_ASSERT_SIZE(struct auditq_exec_event, 464);
AUDITQ_ASSERT_OFF(struct auditq_exec_event, path, 80);
AUDITQ_ASSERT_OFF(struct auditq_exec_event, argv0, 336);
AUDITQ_ASSERT_SIZE(struct auditq_file_open_event, 344);
AUDITQ_ASSERT_OFF(struct auditq_file_open_event, path, 88);
AUDITQ_ASSERT_SIZE(struct auditq_connect_event, 96);
AUDITQ_ASSERT_OFF(struct auditq_connect_event, addr, 80);
AUDITQ_ASSERT_SIZE(struct auditq_kernel_load_event, 336);
AUDITQ_ASSERT_OFF(struct auditq_kernel_load_event, path, 80);
AUDITQ_ASSERT_SIZE(struct auditq_bpf_event, 80);
AUDITQ_ASSERT_SIZE(struct auditq_ptrace_event, 96);
AUDITQ_ASSERT_OFF(struct auditq_ptrace_event, target_comm, 80);
AUDITQ_ASSERT_SIZE(struct auditq_setuid_event, 96);
AUDITQ_ASSERT_OFF(struct auditq_setuid_event, op_flags, 88);
AUDITQ_ASSERT_SIZE(struct auditq_mount_event, 464);
AUDITQ_ASSERT_OFF(struct auditq_mount_event, dev_name, 80);
AUDITQ_ASSERT_OFF(struct auditq_mount_event, fs_type, 144);
AUDITQ_ASSERT_OFF(struct auditq_mount_event, path, 208);
AUDITQ_ASSERT_SIZE(struct auditq_path_event, 336);
AUDITQ_ASSERT_OFF(struct auditq_path_event, path, 80);
AUDITQ_ASSERT_SIZE(struct auditq_kill_event, 96);
AUDITQ_ASSERT_OFF(struct auditq_kill_event, target_comm, 80);
AUDITQ_ASSERT_SIZE(struct auditq_proc_event, 96);
AUDITQ_ASSERT_OFF(struct auditq_proc_event, exit_code, 80);
AUDITQ_ASSERT_OFF(struct auditq_proc_event, fork_ppid, 84);
AUDITQ_ASSERT_OFF(struct auditq_proc_event, fork_ns, 88);
AUDITQ_ASSERT_SIZE(struct auditq_proc_exec_event, 480);
AUDITQ_ASSERT_OFF(struct auditq_proc_exec_event, path, 80);
AUDITQ_ASSERT_OFF(struct auditq_proc_exec_event, argv0, 336);
AUDITQ_ASSERT_OFF(struct auditq_proc_exec_event, fork_ns, 464);
AUDITQ_ASSERT_OFF(struct auditq_proc_exec_event, fork_ppid, 472);
AUDITQ_ASSERT_SIZE(struct auditq_fork_value, 16);
AUDITQ_ASSERT_SIZE(struct auditq_syscall_event, 512);
AUDITQ_ASSERT_OFF(struct auditq_syscall_event, nr, 72);
AUDITQ_ASSERT_OFF(struct auditq_syscall_event, args, 80);
AUDITQ_ASSERT_OFF(struct auditq_syscall_event, str, 128);
AUDITQ_ASSERT_OFF(struct auditq_syscall_event, str2, 384);
AUDITQ_ASSERT_SIZE(struct auditq_watch_key, 260);
AUDITQ_ASSERT_SIZE(struct auditq_watch_value, 8);
AUDITQ_ASSERT_SIZE(struct auditq_rename_event, 592);
AUDITQ_ASSERT_OFF(struct auditq_rename_event, rename_flags, 72);
AUDITQ_ASSERT_OFF(struct auditq_rename_event, old_path, 80);
AUDITQ_ASSERT_OFF(struct auditq_rename_event, new_path, 336);
AUDITQ_ASSERT_SIZE(struct auditq_protect_key, 16);
AUDITQ_ASSERT_OFF(struct auditq_protect_key, ino, 8);
AUDITQ_ASSERT_SIZE(struct auditq_protect_value, 8);

#endif /* AUDITQ_EVENTS_H */
