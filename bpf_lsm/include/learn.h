/* learn.h — the maps of least-privilege learning (events.h, "Least-privilege
 * learning") and the helpers that key them: the caller's cgroup, its
 * executable (inode and device) and its syscall ABI. */
#ifndef AUDITQ_LEARN_H
#define AUDITQ_LEARN_H

#define AUDITQ_TS_COMPAT 0x0002 /* x86 thread_info.status: in a 32-bit syscall */

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, AUDITQ_LEARN_MAX_ENTRIES);
    __type(key, struct auditq_learn_key);
    __type(value, struct auditq_learn_value);
} learn_syscalls SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, AUDITQ_LEARN_CAP_MAX_ENTRIES);
    __type(key, struct auditq_learn_cap_key);
    __type(value, __u64);
} learn_caps SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, AUDITQ_LEARN_EXE_MAX_ENTRIES);
    __type(key, struct auditq_learn_exe_key);
    __type(value, struct auditq_learn_exe_value);
} learn_exes SEC(".maps");

/* Per task: the bits this task has already put in learn_syscalls for its
 * current image and cgroup (x86_64 calls only), so a syscall it has made
 * before costs a task-storage lookup and a bit test, not the executable's
 * inode and a hash lookup. Tagged with the exec count and the cgroup: an
 * exec or a move to another cgroup starts it afresh. */
struct learn_task {
    __u64 exec_id;
    __u64 cgroup_id;
    __u64 syscalls[AUDITQ_LEARN_WORDS];
};

struct {
    __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, struct learn_task);
} learn_tasks SEC(".maps");

/* Per CPU: the bits of the task that last made a syscall here, so a tight
 * loop of one task costs a few loads and a bit test, no helper call (the
 * per-CPU array lookup is inlined). Tagged with the task (pid and start
 * time), its exec count and its cgroup; filled from learn_tasks. */
struct learn_cpu {
    __u64 start_time;
    __u64 exec_id;
    __u64 cgroup_id;
    __u32 pid;
    __u32 _pad;
    __u64 syscalls[AUDITQ_LEARN_WORDS];
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct learn_cpu);
} learn_cpus SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, AUDITQ_LEARN_FAIL_SLOTS);
    __type(key, __u32);
    __type(value, __u64);
} learn_fails SEC(".maps");

static __always_inline void learn_fail(__u32 slot)
{
    __u64 *n = bpf_map_lookup_elem(&learn_fails, &slot);
    if (n)
        *n += 1; /* per-CPU slot: no atomics needed */
}

/* The executable of the current process: its inode and the kernel dev_t of
 * its super block (0, 0 for a task without one). Direct BTF loads only. */
static __always_inline void learn_exe(struct task_struct *task, __u64 *ino, __u32 *dev)
{
    struct mm_struct *mm = task->mm;
    struct file *exe = mm ? mm->exe_file : 0;
    struct inode *inode = exe ? exe->f_inode : 0;
    if (!inode) {
        *ino = 0;
        *dev = 0;
        return;
    }
    *ino = inode->i_ino;
    *dev = inode->i_sb->s_dev;
}

/* The ABI of syscall `id` and its number within that ABI's table. */
static __always_inline __u32 learn_arch(struct task_struct *task, long id, __u32 *nr)
{
    if (id & AUDITQ_X32_SYSCALL_BIT) {
        *nr = (__u32)(id & ~(long)AUDITQ_X32_SYSCALL_BIT);
        return AUDITQ_ARCH_X32;
    }
    *nr = (__u32)id;
    return (task->thread_info.status & AUDITQ_TS_COMPAT) ? AUDITQ_ARCH_I386 : AUDITQ_ARCH_X86_64;
}

/* Effective and permitted capabilities of a cred, whichever layout the
 * running kernel has (a u64 since 6.3, two u32 words before). */
static __always_inline void learn_caps_of(const struct cred *cred, __u64 *effective, __u64 *permitted)
{
    if (bpf_core_field_exists(cred->cap_effective.val)) {
        *effective = cred->cap_effective.val;
        *permitted = cred->cap_permitted.val;
    } else {
        const struct cred___old *old = (const void *)cred;
        *effective = old->cap_effective.cap[0] | ((__u64)old->cap_effective.cap[1] << 32);
        *permitted = old->cap_permitted.cap[0] | ((__u64)old->cap_permitted.cap[1] << 32);
    }
}

/* Counts one capability check of the current task. */
static __always_inline void learn_cap(int cap, bool denied)
{
    struct task_struct *task = bpf_get_current_task_btf();
    struct auditq_learn_cap_key key = {};
    struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
    long id = regs ? (long)regs->orig_ax : -1;
    __u32 nr = 0xffff;
    if (id >= 0)
        key.arch = learn_arch(task, id, &nr);
    key.nr = nr > 0xffff ? 0xffff : nr;
    key.cap = cap;
    key.denied = denied;
    key.cgroup_id = bpf_get_current_cgroup_id();
    learn_exe(task, &key.exe_ino, &key.exe_dev);
    __u64 *n = bpf_map_lookup_elem(&learn_caps, &key);
    if (n) {
        __sync_fetch_and_add(n, 1);
        return;
    }
    __u64 one = 1;
    if (bpf_map_update_elem(&learn_caps, &key, &one, BPF_NOEXIST) != 0 && !bpf_map_lookup_elem(&learn_caps, &key))
        learn_fail(AUDITQ_LEARN_FAIL_CAPS);
}

/* This CPU's copy becomes the task's (learn_cpus). */
static __always_inline void learn_cache(struct learn_cpu *c, struct task_struct *task, struct learn_task *t)
{
    if (!c)
        return;
    c->pid = task->pid;
    c->start_time = task->start_time;
    c->exec_id = t->exec_id;
    c->cgroup_id = t->cgroup_id;
    __builtin_memcpy(c->syscalls, t->syscalls, sizeof(c->syscalls));
}

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

/* Records syscall `id` of the current task (called from a sys_enter program). */
static __always_inline int learn_syscall(struct pt_regs *regs, long id)
{
    if (id < 0)
        return 0;
    struct task_struct *task = bpf_get_current_task_btf();
    struct auditq_learn_key key = {};
    __u32 nr;
    key.arch = learn_arch(task, id, &nr);
    __u32 word = nr >> 6;
    if (word >= AUDITQ_LEARN_WORDS)
        return 0;
    __u64 bit = 1ULL << (nr & 63);
    bool wrote = opens_for_write(key.arch, nr, regs);
    const __u64 wrote_bit = 1ULL << (AUDITQ_LEARN_WROTE_BIT & 63);
    const __u32 wrote_word = AUDITQ_LEARN_WROTE_BIT >> 6;
    /* bpf_get_current_cgroup_id()'s answer, by direct loads. */
    key.cgroup_id = task->cgroups->dfl_cgrp->kn->id;

    /* The fastest path: the task this CPU last saw, a call it made before. */
    __u32 zero = 0;
    struct learn_cpu *c = bpf_map_lookup_elem(&learn_cpus, &zero);
    __u64 exec_id = task->self_exec_id;
    if (c && key.arch == AUDITQ_ARCH_X86_64 && c->pid == (__u32)task->pid && c->start_time == task->start_time
        && c->exec_id == exec_id && c->cgroup_id == key.cgroup_id
        && (c->syscalls[word] & bit) && (!wrote || (c->syscalls[wrote_word] & wrote_bit)))
        return 0;
    if (auditq_ignored())
        return 0;

    /* The fast path: a call this task made before, in this image and cgroup. */
    struct learn_task *t = 0;
    if (key.arch == AUDITQ_ARCH_X86_64) {
        t = bpf_task_storage_get(&learn_tasks, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
        if (t) {
            if (t->exec_id != exec_id || t->cgroup_id != key.cgroup_id) {
                __builtin_memset(t->syscalls, 0, sizeof(t->syscalls));
                t->exec_id = exec_id;
                t->cgroup_id = key.cgroup_id;
            } else if ((t->syscalls[word] & bit) && (!wrote || (t->syscalls[wrote_word] & wrote_bit))) {
                learn_cache(c, task, t);
                return 0;
            }
        }
    }

    learn_exe(task, &key.exe_ino, &key.exe_dev);
    struct auditq_learn_value *v = bpf_map_lookup_elem(&learn_syscalls, &key);
    if (!v && !(v = learn_new(task, &key)))
        return 0;
    /* Read first: a bit already set costs no write to a shared cache line. */
    if (!(v->syscalls[word] & bit))
        __sync_fetch_and_or(&v->syscalls[word], bit);
    if (wrote && !(v->syscalls[wrote_word] & wrote_bit))
        __sync_fetch_and_or(&v->syscalls[wrote_word], wrote_bit);
    if (t) {
        t->syscalls[word] |= bit;
        if (wrote)
            t->syscalls[wrote_word] |= wrote_bit;
        learn_cache(c, task, t);
    }
    return 0;
}

#endif /* AUDITQ_LEARN_H */
