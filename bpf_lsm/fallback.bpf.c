// fallback.bpf.c — the tracepoint fallback, for kernels where BPF-LSM
// programs cannot load (no `bpf` in the LSM list, or lockdown): process
// lifecycle from BTF tracepoints and the syscalls behind the LSM hooks from
// sys_enter, filtered in the kernel. Folded: a fork rides on the child's
// first exec or its exit (events.h, "Process facts, folded"), and execve is
// not reported at sys_enter, since sched_process_exec reports the exec. Loads under lockdown=confidentiality:
// no bpf_probe_read_kernel anywhere here (direct BTF loads and user-memory
// reads only).
#include "auditq.h"
#include "forks.h"
#include "watch.h"
#include "learn.h"

/* `auditqd --learn` in tracepoint mode: this program records each syscall
 * for learning too (learn.h), instead of a second sys_enter program. */
const volatile __u32 learn_on = 0;

/* x86_64 syscall numbers behind the LSM hooks, and those the detectors
 * (audit_rules/detectors/) need. */
enum {
    NR_open = 2, NR_socket = 41, NR_connect = 42, NR_kill = 62, NR_unlink = 87,
    NR_chmod = 90, NR_fchmod = 91, NR_ptrace = 101, NR_setuid = 105,
    NR_setreuid = 113, NR_setresuid = 117, NR_setfsuid = 122, NR_mount = 165,
    NR_init_module = 175, NR_setxattr = 188, NR_lsetxattr = 189, NR_fsetxattr = 190,
    NR_tkill = 200, NR_unshare = 272, NR_splice = 275, NR_setns = 308, NR_tgkill = 234, NR_openat = 257,
    NR_unlinkat = 263, NR_fchmodat = 268, NR_finit_module = 313, NR_bpf = 321,
    NR_move_mount = 429, NR_openat2 = 437, NR_fchmodat2 = 452,
};

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_sched_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
    if (auditq_ignored())
        return 0;
    AUDITQ_NEW(struct auditq_proc_exec_event, e, AUDITQ_EV_PROC_EXEC, AUDITQ_SOURCE_TRACEPOINT, 0);
    take_fork(e->h.tgid, &e->fork_ns, &e->fork_ppid);
    e->_pad = 0;
    e->argc = bprm->argc;
    e->old_pid = old_pid;
    /* bprm->exec: the user address of the filename in the new image's stack */
    if (bpf_probe_read_user_str(e->path, sizeof(e->path), (void *)bprm->exec) < 0)
        e->path[0] = 0;
    if (bpf_probe_read_user_str(e->argv0, sizeof(e->argv0), (void *)p->mm->arg_start) < 0)
        e->argv0[0] = 0;
    auditq_submit(e);
    return 0;
}

/* Processes only: a thread leaving or being created is not reported. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_sched_exit, struct task_struct *p)
{
    if (p->pid != p->tgid || auditq_ignored())
        return 0;
    AUDITQ_NEW(struct auditq_proc_event, e, AUDITQ_EV_PROC_EXIT, AUDITQ_SOURCE_TRACEPOINT, 0);
    e->child_pid = 0;
    e->child_tgid = 0;
    e->exit_code = p->exit_code;
    take_fork(e->h.tgid, &e->fork_ns, &e->fork_ppid);
    auditq_submit(e);
    return 0;
}

/* Runs in the parent: the fork is held for the child's first exec or exit (forks.h). */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_sched_fork, struct task_struct *parent, struct task_struct *child)
{
    return auditq_hold_fork(parent, child);
}

static __always_inline void read_str(char *dst, __u32 size, unsigned long uptr)
{
    if (!uptr || bpf_probe_read_user_str(dst, size, (void *)uptr) < 0)
        dst[0] = 0;
}

/* AF_PACKET: socket(17, …) is reported, other families are not. */
#define AUDITQ_AF_PACKET 17
/* "security.capability": file capabilities set (setxattr family). */
static const char xattr_caps[] = "security.capability";

/* Whether the user-space string at `uname` is "security.capability". */
static __always_inline bool is_caps_xattr(unsigned long uname, char *buf)
{
    if (!uname || bpf_probe_read_user_str(buf, sizeof(xattr_caps), (void *)uname) != sizeof(xattr_caps))
        return false;
    for (int i = 0; i < (int)sizeof(xattr_caps); i++)
        if (buf[i] != xattr_caps[i])
            return false;
    return true;
}

/* open/openat/openat2 are reported only for watched absolute paths. */
static __always_inline bool open_is_watched(unsigned long upath)
{
    struct auditq_watch_key *k = auditq_watch_key();
    if (!k || !upath)
        return false;
    if (bpf_probe_read_user_str(k->path, sizeof(k->path), (void *)upath) <= 0)
        return false;
    return auditq_watched(k) != NULL;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(on_sys_enter, struct pt_regs *regs, long id)
{
    unsigned long str = 0, str2 = 0;
    if (learn_on)
        learn_syscall(regs, id);
    switch (id) {
    /* execve/execveat: not here. sched_process_exec reports each exec that
     * happens (with its file and argv[0]); one that fails is audit's to log. */
    case NR_open: str = regs->di; if (!open_is_watched(str)) return 0; break;
    case NR_openat: case NR_openat2: str = regs->si; if (!open_is_watched(str)) return 0; break;
    case NR_unlink: case NR_chmod: str = regs->di; break;
    case NR_unlinkat: case NR_fchmodat: case NR_fchmodat2: str = regs->si; break;
    case NR_mount: str = regs->si; str2 = regs->di; break;
    case NR_finit_module: str = regs->si; break;
    case NR_init_module: str = regs->dx; break;
    case NR_connect: case NR_bpf: case NR_kill: case NR_tkill: case NR_tgkill:
    case NR_ptrace: case NR_setuid: case NR_setreuid: case NR_setresuid:
    case NR_setfsuid: case NR_fchmod: case NR_move_mount:
    case NR_unshare: case NR_setns:
        break;
    case NR_socket:
        if (regs->di != AUDITQ_AF_PACKET)
            return 0;
        break;
    case NR_splice:
        /* Dirty Pipe's step: a splice by a user that is not root. */
        if ((__u32)bpf_get_current_uid_gid() == 0)
            return 0;
        break;
    case NR_setxattr: case NR_lsetxattr: case NR_fsetxattr: {
        char name[sizeof(xattr_caps)];
        if (!is_caps_xattr(regs->si, name))
            return 0;
        if (id != NR_fsetxattr)
            str = regs->di;
        str2 = regs->si;
        break;
    }
    default:
        return 0;
    }
    if (auditq_ignored())
        return 0;
    AUDITQ_NEW(struct auditq_syscall_event, e, AUDITQ_EV_SYSCALL, AUDITQ_SOURCE_TRACEPOINT, 0);
    e->nr = id;
    e->args[0] = regs->di;
    e->args[1] = regs->si;
    e->args[2] = regs->dx;
    e->args[3] = regs->r10;
    e->args[4] = regs->r8;
    e->args[5] = regs->r9;
    e->str[0] = 0;
    e->str2[0] = 0;
    if (id == NR_connect) {
        /* the raw sockaddr (family first), up to sockaddr_in6's 28 bytes */
        if (regs->si && bpf_probe_read_user(e->str, 28, (void *)regs->si) < 0)
            e->str[0] = 0;
    } else if (id == NR_bpf) {
        /* the first __u32 of union bpf_attr: map_type or prog_type */
        if (regs->si && bpf_probe_read_user(e->str, 4, (void *)regs->si) < 0)
            e->str[0] = 0;
    } else {
        read_str(e->str, sizeof(e->str), str);
        read_str(e->str2, sizeof(e->str2), str2);
    }
    auditq_submit(e);
    return 0;
}
