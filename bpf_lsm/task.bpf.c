// task.bpf.c — one task acting on another or on its ids: ptrace_access_check,
// task_fix_setuid, task_kill.
#include "auditq.h"

SEC("lsm/ptrace_access_check")
int BPF_PROG(on_ptrace_access_check, struct task_struct *child, unsigned int mode, int ret)
{
    if (ret)
        return ret;
    if (auditq_ignored())
        return ret;
    AUDITQ_NEW_LSM(struct auditq_ptrace_event, e, AUDITQ_EV_PTRACE, ret);
    e->mode = mode;
    e->target_pid = BPF_CORE_READ(child, tgid);
    BPF_CORE_READ_STR_INTO(&e->target_comm, child, comm);
    auditq_submit(e);
    return ret;
}

SEC("lsm/task_fix_setuid")
int BPF_PROG(on_task_fix_setuid, struct cred *new, struct cred *old, int flags, int ret)
{
    if (ret)
        return ret;
    if (auditq_ignored())
        return ret;
    AUDITQ_NEW_LSM(struct auditq_setuid_event, e, AUDITQ_EV_SETUID, ret);
    e->old_uid = BPF_CORE_READ(old, uid.val);
    e->old_euid = BPF_CORE_READ(old, euid.val);
    e->new_uid = BPF_CORE_READ(new, uid.val);
    e->new_euid = BPF_CORE_READ(new, euid.val);
    e->op_flags = flags;
    e->_pad = 0;
    auditq_submit(e);
    return ret;
}

SEC("lsm/task_kill")
int BPF_PROG(on_task_kill, struct task_struct *p, struct kernel_siginfo *info, int sig,
             struct cred *cred, int ret)
{
    if (ret)
        return ret;
    if (auditq_ignored() || sig == 0)   /* signal 0 only probes for existence */
        return ret;
    AUDITQ_NEW_LSM(struct auditq_kill_event, e, AUDITQ_EV_KILL, ret);
    e->sig = sig;
    e->target_pid = BPF_CORE_READ(p, tgid);
    BPF_CORE_READ_STR_INTO(&e->target_comm, p, comm);
    auditq_submit(e);
    return ret;
}
