// protect.bpf.c — `auditqd --protect`: keep other processes from writing,
// truncating, unlinking or renaming the store and its WAL (the inodes in
// protected_inodes), and from signalling or ptrace-attaching the collector
// (self_tgid). Loaded only with --protect. Every attempt that matches is
// reported with AUDITQ_FLAG_PROTECTED; it is denied (-EPERM, and the event
// carries ret = -EPERM) only when the loader set `enforce`, otherwise the
// event says what enforcement would have denied and `ret` is returned as
// given. Exempt: the collector itself, and signals from pid 1 (init must
// be able to stop the service) or of number 0 (an existence probe).
#include "auditq.h"
#include "path.h"

#define EPERM 1
#define FMODE_WRITE 0x2
#define PTRACE_MODE_ATTACH 0x02

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, AUDITQ_PROTECT_MAX_ENTRIES);
    __type(key, struct auditq_protect_key);
    __type(value, struct auditq_protect_value);
} protected_inodes SEC(".maps");

static __always_inline struct auditq_protect_value *protected(struct inode *inode)
{
    if (!inode)
        return NULL;
    struct auditq_protect_key k = {
        .dev = BPF_CORE_READ(inode, i_sb, s_dev),
        .ino = BPF_CORE_READ(inode, i_ino),
    };
    return bpf_map_lookup_elem(&protected_inodes, &k);
}

/* The verdict for a matching attempt by another process. */
static __always_inline int verdict(int ret)
{
    return enforce ? -EPERM : ret;
}

SEC("lsm/file_open")
int BPF_PROG(protect_file_open, struct file *file, int ret)
{
    if (ret)
        return ret;
    if (auditq_ignored() || !(BPF_CORE_READ(file, f_mode) & FMODE_WRITE))
        return ret;
    struct auditq_protect_value *p = protected(BPF_CORE_READ(file, f_inode));
    if (!p)
        return ret;
    __u32 id = p->id;
    ret = verdict(ret);
    AUDITQ_NEW_LSM(struct auditq_file_open_event, e, AUDITQ_EV_FILE_OPEN, ret);
    e->h.flags |= AUDITQ_FLAG_PROTECTED | auditq_file_path(file, e->path);
    e->flags = BPF_CORE_READ(file, f_flags);
    e->mode = BPF_CORE_READ(file, f_mode);
    e->watch_id = id;
    e->_pad = 0;
    bpf_ringbuf_submit(e, 0);
    return ret;
}

/* truncate(2), ftruncate(2) (on 6.1; 6.2+ checks the write-open instead),
 * and open(O_TRUNC) even without write access. */
SEC("lsm/path_truncate")
int BPF_PROG(protect_path_truncate, struct path *path, int ret)
{
    if (ret)
        return ret;
    if (auditq_ignored() || !protected(BPF_CORE_READ(path, dentry, d_inode)))
        return ret;
    ret = verdict(ret);
    AUDITQ_NEW_LSM(struct auditq_path_event, e, AUDITQ_EV_TRUNCATE, ret);
    e->h.flags |= AUDITQ_FLAG_PROTECTED | auditq_path_of(path, e->path);
    e->mode = 0;
    e->_pad = 0;
    bpf_ringbuf_submit(e, 0);
    return ret;
}

SEC("lsm/path_unlink")
int BPF_PROG(protect_path_unlink, struct path *dir, struct dentry *dentry, int ret)
{
    if (ret)
        return ret;
    if (auditq_ignored() || !protected(BPF_CORE_READ(dentry, d_inode)))
        return ret;
    ret = verdict(ret);
    AUDITQ_NEW_LSM(struct auditq_path_event, e, AUDITQ_EV_UNLINK, ret);
    e->h.flags |= AUDITQ_FLAG_PROTECTED | auditq_path(BPF_CORE_READ(dir, mnt), dentry, e->path);
    e->mode = 0;
    e->_pad = 0;
    bpf_ringbuf_submit(e, 0);
    return ret;
}

/* Moving a protected file away, or replacing one (rename over it, or
 * RENAME_EXCHANGE with it). A negative new_dentry has no inode: no match. */
SEC("lsm/path_rename")
int BPF_PROG(protect_path_rename, struct path *old_dir, struct dentry *old_dentry,
             struct path *new_dir, struct dentry *new_dentry, unsigned int flags, int ret)
{
    if (ret)
        return ret;
    if (auditq_ignored())
        return ret;
    if (!protected(BPF_CORE_READ(old_dentry, d_inode)) && !protected(BPF_CORE_READ(new_dentry, d_inode)))
        return ret;
    ret = verdict(ret);
    AUDITQ_NEW_LSM(struct auditq_rename_event, e, AUDITQ_EV_RENAME, ret);
    e->rename_flags = flags;
    e->_pad = 0;
    e->h.flags |= AUDITQ_FLAG_PROTECTED;
    e->h.flags |= auditq_path(BPF_CORE_READ(old_dir, mnt), old_dentry, e->old_path);
    e->h.flags |= auditq_path(BPF_CORE_READ(new_dir, mnt), new_dentry, e->new_path);
    bpf_ringbuf_submit(e, 0);
    return ret;
}

/* Signals to the collector from user space (the kernel's own signals, such
 * as the OOM killer's SIGKILL, do not pass this hook). */
SEC("lsm/task_kill")
int BPF_PROG(protect_task_kill, struct task_struct *p, struct kernel_siginfo *info, int sig,
             struct cred *cred, int ret)
{
    if (ret)
        return ret;
    __u32 target = BPF_CORE_READ(p, tgid);
    __u32 sender = bpf_get_current_pid_tgid() >> 32;
    if (self_tgid == 0 || target != self_tgid || sender == self_tgid || sender == 1 || sig == 0)
        return ret;
    ret = verdict(ret);
    AUDITQ_NEW_LSM(struct auditq_kill_event, e, AUDITQ_EV_KILL, ret);
    e->h.flags |= AUDITQ_FLAG_PROTECTED;
    e->sig = sig;
    e->target_pid = target;
    BPF_CORE_READ_STR_INTO(&e->target_comm, p, comm);
    bpf_ringbuf_submit(e, 0);
    return ret;
}

/* PTRACE_ATTACH/SEIZE of the collector (which could make it exit or write
 * for the tracer). Read-mode checks (/proc/PID/fd, maps, environ) pass. */
SEC("lsm/ptrace_access_check")
int BPF_PROG(protect_ptrace_access_check, struct task_struct *child, unsigned int mode, int ret)
{
    if (ret)
        return ret;
    __u32 target = BPF_CORE_READ(child, tgid);
    if (self_tgid == 0 || target != self_tgid || auditq_ignored() || !(mode & PTRACE_MODE_ATTACH))
        return ret;
    ret = verdict(ret);
    AUDITQ_NEW_LSM(struct auditq_ptrace_event, e, AUDITQ_EV_PTRACE, ret);
    e->h.flags |= AUDITQ_FLAG_PROTECTED;
    e->mode = mode;
    e->target_pid = target;
    BPF_CORE_READ_STR_INTO(&e->target_comm, child, comm);
    bpf_ringbuf_submit(e, 0);
    return ret;
}
