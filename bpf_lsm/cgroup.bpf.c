// cgroup.bpf.c — cgroups of the default hierarchy as they are made and
// removed, so every cgroup id a later event carries has its path on record,
// however briefly the cgroup lived (a container that exits in 5 ms). Loaded
// beside the LSM programs and beside the tracepoint fallback alike. Loads
// under lockdown=confidentiality: the tracepoint's path (a kernel string) is
// copied with bpf_snprintf("%s"), since bpf_probe_read_kernel_str is
// unavailable there.
#include "auditq.h"

/* The tracepoint's own path argument: TRACE_CGROUP_PATH fills it only while
 * a probe is attached, so it costs nothing when auditqd is not running. */
static __always_inline int report(struct cgroup *cgrp, const char *path, __u16 kind)
{
    if (cgrp->root->hierarchy_id != 0)
        return 0; /* a v1 controller's hierarchy: its ids are not the ones events carry */
    static const char fmt[] = "%s";
    __u64 args[1] = { (__u64)path };
    AUDITQ_NEW(struct auditq_cgroup_event, e, kind, AUDITQ_SOURCE_TRACEPOINT, 0);
    e->id = cgrp->kn->id;
    e->level = cgrp->level;
    e->_pad = 0;
    long n = bpf_snprintf(e->path, sizeof(e->path), fmt, args, sizeof(args));
    if (n < 0)
        e->path[0] = 0;
    else if (n > (long)sizeof(e->path))
        e->h.flags |= AUDITQ_FLAG_TRUNCATED;
    /* Woken at once, unlike the observers: a runc/crun container is named
     * by state files that exist only while it runs, so userspace should
     * look now. Cgroups are made rarely; the wakeup costs nothing here. */
    bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
    return 0;
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(on_cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
    return report(cgrp, path, AUDITQ_EV_CGROUP_MKDIR);
}

SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(on_cgroup_rmdir, struct cgroup *cgrp, const char *path)
{
    return report(cgrp, path, AUDITQ_EV_CGROUP_RMDIR);
}
