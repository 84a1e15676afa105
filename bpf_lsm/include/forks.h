/* forks.h — forks held for folding (events.h, "Process facts, folded"):
 * sched_process_fork keeps each new process's fork here, keyed by its tgid,
 * until its first exec or its exit takes it. Used by fallback.bpf.c and
 * lifecycle.bpf.c, which are never loaded together. */
#ifndef AUDITQ_FORKS_H
#define AUDITQ_FORKS_H

/* Forks waiting for the child's first exec or exit, by the child's tgid. */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, AUDITQ_FORKS_MAX_ENTRIES);
    __type(key, __u32);
    __type(value, struct auditq_fork_value);
} forks SEC(".maps");

/* Takes the fork held for tgid, if any, into *fork_ns / *ppid (0 when none). */
static __always_inline void take_fork(__u32 tgid, __u64 *fork_ns, __u32 *ppid)
{
    struct auditq_fork_value *f = bpf_map_lookup_elem(&forks, &tgid);
    if (!f) {
        *fork_ns = 0;
        *ppid = 0;
        return;
    }
    *fork_ns = f->fork_ns;
    *ppid = f->ppid;
    bpf_map_delete_elem(&forks, &tgid);
}

/* sched_process_fork, in the parent: the new process's fork is held for
 * its first exec or its exit; only when the map refuses it is it reported
 * now, as PROC_FORK. Threads are not processes: left out. */
static __always_inline int auditq_hold_fork(struct task_struct *parent, struct task_struct *child)
{
    if (child->pid != child->tgid || auditq_ignored())
        return 0;
    __u32 tgid = child->tgid;
    struct auditq_fork_value v = { .fork_ns = bpf_ktime_get_boot_ns(), .ppid = parent->tgid, ._pad = 0 };
    if (bpf_map_update_elem(&forks, &tgid, &v, BPF_ANY) == 0)
        return 0;
    AUDITQ_NEW(struct auditq_proc_event, e, AUDITQ_EV_PROC_FORK, AUDITQ_SOURCE_TRACEPOINT, 0);
    e->child_pid = child->pid;
    e->child_tgid = child->tgid;
    e->exit_code = 0;
    e->fork_ppid = 0;
    e->fork_ns = 0;
    auditq_submit(e);
    return 0;
}

#endif /* AUDITQ_FORKS_H */
