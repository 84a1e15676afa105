// learn.bpf.c — least-privilege learning (`auditqd --learn`): every syscall
// entered sets one bit in a bitmap per (cgroup, executable, ABI) kept in the
// kernel (learn.h's learn_syscall: here in LSM mode; in tracepoint mode the
// fallback's own sys_enter program calls it, so each syscall pays for one
// program, not two); capability checks are counted per (cgroup, executable, capability,
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

SEC("tp_btf/sys_enter")
int BPF_PROG(learn_sys_enter, struct pt_regs *regs, long id)
{
    learn_syscall(regs, id);
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
