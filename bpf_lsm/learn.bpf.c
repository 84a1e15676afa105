// learn.bpf.c — least-privilege learning (`auditqd --learn`): every syscall
// entered sets one bit in a bitmap per (cgroup, executable, ABI) kept in the
// kernel; capability checks are counted per (cgroup, executable, capability,
// syscall). Nothing goes through the ring buffer: the collector reads the
// maps every few seconds and stores what is new (events.h, "Least-privilege
// learning"). Loaded beside the LSM set or the tracepoint fallback; of the
// two capability programs the loader keeps one: lsm/capable where BPF-LSM
// runs (it sees CAP_OPT_NOAUDIT, so probes are not counted), else the
// cap_capable tracepoint (6.14 and later). Loads under
// lockdown=confidentiality: direct BTF loads, bpf_snprintf for kernel strings.
#include "auditq.h"
#include "learn.h"

#define CAP_OPT_NOAUDIT 0x2

/* The first syscall of a key: its value, with who made it. */
static __always_inline struct auditq_learn_value *learn_new(struct task_struct *task, struct auditq_learn_key *key)
{
    struct auditq_learn_value v = {};
    v.first_ns = bpf_ktime_get_boot_ns();
    learn_caps_of(task->cred, &v.cap_effective, &v.cap_permitted);
    v.uid = (__u32)bpf_get_current_uid_gid();
    v.tgid = bpf_get_current_pid_tgid() >> 32;
    bpf_get_current_comm(v.comm, sizeof(v.comm));
    if (bpf_map_update_elem(&learn_syscalls, key, &v, BPF_NOEXIST) != 0) {
        struct auditq_learn_value *raced = bpf_map_lookup_elem(&learn_syscalls, key);
        if (!raced)
            learn_fail(AUDITQ_LEARN_FAIL_SYSCALLS);
        return raced;
    }
    return bpf_map_lookup_elem(&learn_syscalls, key);
}

#define O_WRITING 0x243 /* O_WRONLY | O_RDWR | O_CREAT | O_TRUNC */

/* An open that may write a file. i386's opens are all counted (their
 * flags sit in other registers): the answer errs towards "wrote". */
static __always_inline bool opens_for_write(__u32 arch, __u32 nr, struct pt_regs *regs)
{
    if (arch == AUDITQ_ARCH_I386)
        return nr == 5 || nr == 8 || nr == 295 || nr == 437; /* open, creat, openat, openat2 */
    switch (nr) {
    case 2: return regs->si & O_WRITING;       /* open(path, flags) */
    case 257: return regs->dx & O_WRITING;     /* openat(dirfd, path, flags) */
    case 85: case 437: return true;            /* creat; openat2 (flags in user memory) */
    default: return false;
    }
}

SEC("tp_btf/sys_enter")
int BPF_PROG(learn_sys_enter, struct pt_regs *regs, long id)
{
    if (id < 0 || auditq_ignored())
        return 0;
    struct task_struct *task = bpf_get_current_task_btf();
    struct auditq_learn_key key = {};
    __u32 nr;
    key.arch = learn_arch(task, id, &nr);
    __u32 word = nr >> 6;
    if (word >= AUDITQ_LEARN_WORDS)
        return 0;
    key.cgroup_id = bpf_get_current_cgroup_id();
    learn_exe(task, &key.exe_ino, &key.exe_dev);
    struct auditq_learn_value *v = bpf_map_lookup_elem(&learn_syscalls, &key);
    if (!v && !(v = learn_new(task, &key)))
        return 0;
    __u64 bit = 1ULL << (nr & 63);
    /* Read first: a bit already set costs no write to a shared cache line. */
    if (!(v->syscalls[word] & bit))
        __sync_fetch_and_or(&v->syscalls[word], bit);
    if (opens_for_write(key.arch, nr, regs)) {
        const __u64 wrote = 1ULL << (AUDITQ_LEARN_WROTE_BIT & 63);
        if (!(v->syscalls[AUDITQ_LEARN_WROTE_BIT >> 6] & wrote))
            __sync_fetch_and_or(&v->syscalls[AUDITQ_LEARN_WROTE_BIT >> 6], wrote);
    }
    return 0;
}

/* The name each executable is run by, once per inode. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(learn_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
    struct inode *inode = bprm->file->f_inode;
    struct auditq_learn_exe_key key = {};
    key.ino = inode->i_ino;
    key.dev = inode->i_sb->s_dev;
    if (bpf_map_lookup_elem(&learn_exes, &key))
        return 0;
    struct auditq_learn_exe_value v;
    static const char fmt[] = "%s";
    __u64 args[1] = { (__u64)bprm->filename };
    if (bpf_snprintf(v.path, sizeof(v.path), fmt, args, sizeof(args)) < 0)
        return 0;
    bpf_map_update_elem(&learn_exes, &key, &v, BPF_NOEXIST);
    return 0;
}

/* BPF-LSM: reached only when the capability module granted the check. */
SEC("lsm/capable")
int BPF_PROG(learn_capable, const struct cred *cred, struct user_namespace *ns, int cap, unsigned int opts, int ret)
{
    if (ret)
        return ret;
    if ((opts & CAP_OPT_NOAUDIT) || auditq_ignored())
        return 0;
    if ((unsigned long)cred != (unsigned long)bpf_get_current_task_btf()->cred)
        return 0; /* a check about another task's credentials */
    learn_cap(cap, false);
    return 0;
}

/* The tracepoint (6.14+): every check, used or probed, granted or not. */
SEC("tp_btf/cap_capable")
int BPF_PROG(learn_cap_capable, const struct cred *cred, struct user_namespace *target_ns,
             const struct user_namespace *capable_ns, int cap, int ret)
{
    if (auditq_ignored())
        return 0;
    if ((unsigned long)cred != (unsigned long)bpf_get_current_task_btf()->cred)
        return 0;
    learn_cap(cap, ret != 0);
    return 0;
}
