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

#endif /* AUDITQ_LEARN_H */
