/* auditq.h — what every auditq BPF program shares: the kernel types, the
 * event contract, the shared maps, the loader's settings, and the helpers that
 * fill an event header and reserve ring-buffer space. */
#ifndef AUDITQ_BPF_H
#define AUDITQ_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "../events.h"

char LICENSE[] SEC("license") = "GPL";

/* Settings the loader fills before load (.rodata; the verifier sees their
 * values, so branches on them are pruned). Defaults are observe-only. */
const volatile __u32 self_tgid = 0;      /* the collector's own tgid: never reported */
const volatile __u32 enforce = 0;        /* reserved for --protect; 0 = observe only */

/* The shared maps. Every object declares them with the same definition; the
 * loader creates each once and hands the same fd to every object with
 * bpf_map__reuse_fd before load (bpf_lsm/README.md, "One ring buffer"). */
struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, AUDITQ_RINGBUF_DEFAULT_BYTES);
} events SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, AUDITQ_RESERVE_SLOTS);
    __type(key, __u32);
    __type(value, __u64);
} reserve_fails SEC(".maps");

static __always_inline bool auditq_ignored(void)
{
    return self_tgid != 0 && (bpf_get_current_pid_tgid() >> 32) == self_tgid;
}

/* Reserve `size` bytes for an event of `kind`; on failure count the drop in
 * reserve_fails[kind] and return NULL. */
static __always_inline void *auditq_reserve(__u32 size, __u16 kind)
{
    void *e = bpf_ringbuf_reserve(&events, size, 0);
    if (!e) {
        __u32 slot = kind < AUDITQ_RESERVE_SLOTS ? kind : 0;
        __u64 *n = bpf_map_lookup_elem(&reserve_fails, &slot);
        if (n)
            *n += 1; /* per-CPU slot: no atomics needed */
    }
    return e;
}

/* Fill the header from the current task. Direct BTF loads through
 * bpf_get_current_task_btf() (CO-RE relocated via preserve_access_index), not
 * bpf_probe_read_kernel: under kernel lockdown=confidentiality that helper is
 * unavailable, and the tracepoint fallback must still load there. */
static __always_inline void auditq_fill_header(struct auditq_event_header *h, __u16 kind,
                                               __u8 source, __u32 size, __s32 ret)
{
    struct task_struct *task = bpf_get_current_task_btf();
    __u64 pid_tgid = bpf_get_current_pid_tgid();
    __u64 uid_gid = bpf_get_current_uid_gid();

    h->kind = kind;
    h->source = source;
    h->flags = 0;
    h->size = size;
    h->boot_ns = bpf_ktime_get_boot_ns();
    h->cgroup_id = bpf_get_current_cgroup_id();
    h->pid = (__u32)pid_tgid;
    h->tgid = pid_tgid >> 32;
    h->ppid = task->real_parent->tgid;
    h->uid = (__u32)uid_gid;
    h->euid = task->cred->euid.val;
    h->loginuid = task->loginuid.val;
    h->sessionid = task->sessionid;
    h->ret = ret;
    bpf_get_current_comm(h->comm, sizeof(h->comm));
}

/* Submit without waking the reader until AUDITQ_WAKEUP_BYTES wait; the
 * reader also drains on its poll timeout (Sources/AuditSensor/RingBuffer.swift).
 * The observers use it; protect.bpf.c wakes the reader for every denial. */
static __always_inline void auditq_submit(void *e)
{
    __u64 waiting = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
    bpf_ringbuf_submit(e, waiting >= AUDITQ_WAKEUP_BYTES ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

#define AUDITQ_NEW(type, var, kind, source, ret)                                   \
    type *var = auditq_reserve(sizeof(type), (kind));                              \
    if (!var)                                                                       \
        return 0;                                                                   \
    auditq_fill_header(&var->h, (kind), (source), sizeof(type), (ret))

#define AUDITQ_NEW_LSM(type, var, kind, ret)                                       \
    type *var = auditq_reserve(sizeof(type), (kind));                              \
    if (!var)                                                                       \
        return ret;                                                                 \
    auditq_fill_header(&var->h, (kind), AUDITQ_SOURCE_LSM, sizeof(type), (ret))

#endif /* AUDITQ_BPF_H */
