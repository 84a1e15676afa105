/* vmlinux.h — a hand-made subset of the kernel types auditq's programs use.
 *
 * Not generated: every struct is marked preserve_access_index, so clang
 * emits CO-RE relocations and libbpf matches each field by name against the
 * running kernel's BTF (/sys/kernel/btf/vmlinux) at load. Field order and
 * offsets here do not matter; names and kinds do. Add a field here when a
 * program needs it (see bpf_lsm/README.md, "vmlinux.h").
 */
#ifndef AUDITQ_VMLINUX_H
#define AUDITQ_VMLINUX_H

typedef unsigned char __u8;
typedef signed char __s8;
typedef unsigned short __u16;
typedef short __s16;
typedef unsigned int __u32;
typedef int __s32;
typedef unsigned long long __u64;
typedef long long __s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u64 __be64;
typedef __u32 __wsum;
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
typedef __s64 s64;
typedef _Bool bool;
enum { false = 0, true = 1 };
typedef int pid_t;
typedef unsigned int uid_t;
typedef unsigned short umode_t;
typedef unsigned int fmode_t;
typedef unsigned short sa_family_t;
typedef __u32 dev_t;

/* UAPI constants the programs need (stable values). */
enum bpf_map_type {
    BPF_MAP_TYPE_HASH = 1,
    BPF_MAP_TYPE_PERCPU_ARRAY = 6,
    BPF_MAP_TYPE_LPM_TRIE = 11,
    BPF_MAP_TYPE_LRU_HASH = 9,
    BPF_MAP_TYPE_RINGBUF = 27,
    BPF_MAP_TYPE_TASK_STORAGE = 29,
};
/* bpf_ringbuf_submit flags and bpf_ringbuf_query's question */
enum { BPF_RB_NO_WAKEUP = 1, BPF_RB_FORCE_WAKEUP = 2 };
enum { BPF_RB_AVAIL_DATA = 0 };
enum { BPF_LOCAL_STORAGE_GET_F_CREATE = 1 };
enum { BPF_ANY = 0, BPF_NOEXIST = 1, BPF_F_NO_PREALLOC = 1 };
enum { BPF_MAP_CREATE = 0, BPF_PROG_LOAD = 5 };
enum { AF_INET = 2, AF_INET6 = 10 };

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

typedef struct { uid_t val; } kuid_t;

/* Since 6.3 a u64; before, two u32 words (kernel_cap_struct___old below). */
typedef struct { __u64 val; } kernel_cap_t;

struct cred {
    kuid_t uid;
    kuid_t euid;
    kernel_cap_t cap_effective;
    kernel_cap_t cap_permitted;
};

struct kernel_cap_struct___old {
    __u32 cap[2];
};

struct cred___old {
    struct kernel_cap_struct___old cap_effective;
    struct kernel_cap_struct___old cap_permitted;
};

struct file;
struct css_set;

struct mm_struct {
    unsigned long arg_start;
    unsigned long arg_end;
    struct file *exe_file;
};

/* x86: task_struct starts with it (THREAD_INFO_IN_TASK); TS_COMPAT in status. */
struct thread_info {
    __u32 status;
};

struct task_struct {
    struct thread_info thread_info;
    pid_t pid;
    pid_t tgid;
    struct task_struct *real_parent;
    struct task_struct *group_leader;
    const struct cred *cred;
    struct mm_struct *mm;
    kuid_t loginuid;
    unsigned int sessionid;
    int exit_code;
    __u64 self_exec_id;
    __u64 start_time;
    struct css_set *cgroups;
    char comm[16];
};

struct qstr {
    __u32 len;
    const unsigned char *name;
};

struct super_block {
    dev_t s_dev;
};

struct inode {
    umode_t i_mode;
    unsigned long i_ino;
    struct super_block *i_sb;
};

struct dentry {
    struct dentry *d_parent;
    struct qstr d_name;
    struct inode *d_inode;
};

struct vfsmount {
    struct dentry *mnt_root;
};

struct mount {
    struct mount *mnt_parent;
    struct dentry *mnt_mountpoint;
    struct vfsmount mnt;
};

struct path {
    struct vfsmount *mnt;
    struct dentry *dentry;
};

struct file {
    struct path f_path;
    struct inode *f_inode;
    unsigned int f_flags;
    fmode_t f_mode;
};

struct linux_binprm {
    struct file *file;
    const char *filename;
    const char *interp;
    int argc;
    unsigned long p;
    unsigned long exec;
};

struct sockaddr {
    sa_family_t sa_family;
};

/* cgroup.bpf.c: a cgroup's id (its kernfs node's, a u64 since 5.5), its
 * depth, and which hierarchy it belongs to (the default one is 0). */
struct kernfs_node {
    __u64 id;
};

struct cgroup_root {
    int hierarchy_id;
};

struct cgroup {
    struct kernfs_node *kn;
    struct cgroup_root *root;
    int level;
};

/* learn.h: the task's default-hierarchy cgroup, read without a helper call. */
struct css_set {
    struct cgroup *dfl_cgrp;
};

struct user_namespace;
struct socket;
struct sock;
struct kernel_siginfo;
union bpf_attr;

/* x86_64 registers, as tp_btf/sys_enter hands them over. */
struct pt_regs {
    unsigned long di;
    unsigned long si;
    unsigned long dx;
    unsigned long r10;
    unsigned long r8;
    unsigned long r9;
    unsigned long orig_ax;
};

#pragma clang attribute pop

#endif /* AUDITQ_VMLINUX_H */
