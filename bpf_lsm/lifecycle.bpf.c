// lifecycle.bpf.c — beside the BPF-LSM programs: the processes that never
// exec. bprm_check_security reports every exec, but a process that forks
// and does its work without exec'ing (a shell's subshell, busybox running an
// applet in a child) would leave no sensor fact at all, so nothing could
// tie its audit events to its container or its parent. Each fork is held
// (forks.h); the first exec drops it without an event, since LSM_EXEC
// reports the exec; an exit that still finds it is reported as PROC_EXIT
// with the fork folded in. A process that execs costs no event here.
#include "auditq.h"
#include "forks.h"

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork_held, struct task_struct *parent, struct task_struct *child)
{
    return auditq_hold_fork(parent, child);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec_drop, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
    __u64 fork_ns;
    __u32 ppid;
    take_fork(p->tgid, &fork_ns, &ppid);
    return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit_unexeced, struct task_struct *p)
{
    if (p->pid != p->tgid || auditq_ignored())
        return 0;
    __u64 fork_ns;
    __u32 ppid;
    take_fork(p->tgid, &fork_ns, &ppid);
    if (!fork_ns)
        return 0; /* it exec'd (LSM_EXEC has it), or was forked before the sensor */
    AUDITQ_NEW(struct auditq_proc_event, e, AUDITQ_EV_PROC_EXIT, AUDITQ_SOURCE_TRACEPOINT, 0);
    e->child_pid = 0;
    e->child_tgid = 0;
    e->exit_code = p->exit_code;
    e->fork_ppid = ppid;
    e->fork_ns = fork_ns;
    auditq_submit(e);
    return 0;
}
