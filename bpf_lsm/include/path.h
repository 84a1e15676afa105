/* path.h — absolute path of a (vfsmount, dentry) pair by walking d_parent and
 * crossing mounts, for LSM programs. Uses bpf_probe_read_kernel (through
 * BPF_CORE_READ), so it is not for the tracepoint fallback under lockdown.
 *
 * Why not bpf_d_path: it is allowed only on some hooks (and which ones has
 * changed between kernels); one walk for every hook keeps the programs
 * verifiable everywhere. Limits: AUDITQ_PATH_DEPTH components, paths
 * relative to the global root (not the task's chroot), no " (deleted)". */
#ifndef AUDITQ_PATH_H
#define AUDITQ_PATH_H

#include "auditq.h"

#define AUDITQ_PATH_DEPTH 32
#define AUDITQ_PATH_MASK (AUDITQ_PATH_LEN - 1)

/* x & AUDITQ_PATH_MASK, kept even where clang can prove it is a no-op: the
 * verifier cannot, and needs the mask to bound an offset into the scratch. */
static __always_inline __u32 auditq_masked(__u32 x)
{
    asm volatile("" : "+r"(x));
    return x & AUDITQ_PATH_MASK;
}

struct auditq_path_scratch {
    char buf[AUDITQ_PATH_LEN * 2];
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct auditq_path_scratch);
} path_scratch SEC(".maps");

struct auditq_walk {
    unsigned long mnt;      /* struct mount * */
    unsigned long d;        /* struct dentry * */
    unsigned long mnt_off;  /* offsetof(struct mount, mnt) */
    __u32 pos;              /* start of the path in buf; it grows down */
    __u8 flags;
};

/* One step of the walk, run by bpf_loop: the verifier checks this body once
 * instead of AUDITQ_PATH_DEPTH unrolled copies. 0 = go on, 1 = stop. */
static long auditq_walk_step(__u32 index, struct auditq_walk *w)
{
    __u32 zero = 0;
    struct auditq_path_scratch *s = bpf_map_lookup_elem(&path_scratch, &zero);
    if (!s)
        return 1;
    unsigned long d = w->d, mnt = w->mnt;
    struct vfsmount *vfsmnt = (struct vfsmount *)(mnt + w->mnt_off); /* outside BPF_CORE_READ: no relocation on auditq_walk */
    unsigned long root = (unsigned long)BPF_CORE_READ(vfsmnt, mnt_root);
    unsigned long parent = (unsigned long)BPF_CORE_READ((struct dentry *)d, d_parent);
    if (d == root) {                                        /* the root of this mount */
        unsigned long up = (unsigned long)BPF_CORE_READ((struct mount *)mnt, mnt_parent);
        if (up == mnt || up == 0) {
            w->flags = 0;                                   /* reached the global root */
            return 1;
        }
        w->d = (unsigned long)BPF_CORE_READ((struct mount *)mnt, mnt_mountpoint);
        w->mnt = up;
        return 0;
    }
    if (d == parent) {                                      /* a filesystem root off any mount */
        w->flags = 0;
        return 1;
    }
    __u32 len = BPF_CORE_READ((struct dentry *)d, d_name.len);
    const unsigned char *name = BPF_CORE_READ((struct dentry *)d, d_name.name);
    __u32 pos = w->pos & AUDITQ_PATH_MASK;
    if (len > AUDITQ_PATH_MASK || len + 1 > pos) {
        w->flags = AUDITQ_FLAG_TRUNCATED;
        return 1;
    }
    pos -= len;
    bpf_probe_read_kernel(&s->buf[auditq_masked(pos)], auditq_masked(len), name);
    pos -= 1;
    s->buf[auditq_masked(pos)] = '/';
    w->pos = pos;
    w->d = parent;
    return 0;
}

/* Writes a NUL-terminated absolute path into out[AUDITQ_PATH_LEN]. Returns
 * AUDITQ_FLAG_* bits (TRUNCATED, PATH_PARTIAL) to or into the header flags. */
static __always_inline __u8 auditq_path(struct vfsmount *vfsmnt, struct dentry *dentry, char *out)
{
    __u32 zero = 0;
    struct auditq_path_scratch *s = bpf_map_lookup_elem(&path_scratch, &zero);
    if (!s) {
        out[0] = 0;
        return AUDITQ_FLAG_PATH_PARTIAL;
    }
    struct auditq_walk w = {
        .mnt_off = bpf_core_field_offset(struct mount, mnt),
        .pos = AUDITQ_PATH_LEN - 1,
        .flags = AUDITQ_FLAG_PATH_PARTIAL,
    };
    w.mnt = (unsigned long)vfsmnt - w.mnt_off;              /* container_of(vfsmnt, struct mount, mnt) */
    w.d = (unsigned long)dentry;
    s->buf[AUDITQ_PATH_LEN - 1] = 0;
    bpf_loop(AUDITQ_PATH_DEPTH, auditq_walk_step, &w, 0);
    __u32 pos = auditq_masked(w.pos);
    if (pos == AUDITQ_PATH_LEN - 1) {                        /* the root itself */
        pos -= 1;
        s->buf[auditq_masked(pos)] = '/';
    }
    pos = auditq_masked(pos);
    __u32 n = AUDITQ_PATH_LEN - pos;                        /* bytes including the NUL: 1..256 */
    asm volatile("" : "+r"(n));
    if (n > AUDITQ_PATH_LEN)
        n = AUDITQ_PATH_LEN;
    bpf_probe_read_kernel(out, n, &s->buf[pos]);
    return w.flags;
}

static __always_inline __u8 auditq_path_of(struct path *p, char *out)
{
    return auditq_path(BPF_CORE_READ(p, mnt), BPF_CORE_READ(p, dentry), out);
}

static __always_inline __u8 auditq_file_path(struct file *f, char *out)
{
    return auditq_path(BPF_CORE_READ(f, f_path.mnt), BPF_CORE_READ(f, f_path.dentry), out);
}

#endif /* AUDITQ_PATH_H */
