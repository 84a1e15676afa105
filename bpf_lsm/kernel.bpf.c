// kernel.bpf.c — changes to the kernel itself: kernel_read_file and
// kernel_load_data (modules, firmware, kexec images), bpf (the bpf(2)
// syscall: program loads, map creation, ...) and sb_mount.
#include "auditq.h"
#include "path.h"


/* The bpf hook gained a fourth argument (`bool kernel`) in 6.16, which moves
 * `ret` in the context from ctx[3] to ctx[4]. The loader counts the params
 * of bpf_lsm_bpf in the kernel's BTF and sets this before load; the verifier
 * then sees a constant and keeps only the matching branch. */
const volatile __u32 bpf_hook_nargs = 3;

SEC("lsm/kernel_read_file")
int BPF_PROG(on_kernel_read_file, struct file *file, int id, bool contents, int ret)
{
    if (ret)
        return ret;
    if (auditq_ignored())
        return ret;
    AUDITQ_NEW_LSM(struct auditq_kernel_load_event, e, AUDITQ_EV_KERNEL_READ_FILE, ret);
    e->id = id;
    e->contents = contents;
    e->path[0] = 0;
    if (file)
        e->h.flags |= auditq_file_path(file, e->path);
    auditq_submit(e);
    return ret;
}

SEC("lsm/kernel_load_data")
int BPF_PROG(on_kernel_load_data, int id, bool contents, int ret)
{
    if (ret)
        return ret;
    if (auditq_ignored())
        return ret;
    AUDITQ_NEW_LSM(struct auditq_kernel_load_event, e, AUDITQ_EV_KERNEL_LOAD_DATA, ret);
    e->id = id;
    e->contents = contents;
    e->path[0] = 0;
    auditq_submit(e);
    return ret;
}

SEC("lsm/bpf")
int BPF_PROG(on_bpf, int cmd, union bpf_attr *attr, unsigned int size)
{
    /* Two loads at constant offsets, in asm: the verifier rejects a computed
     * ctx offset, and clang merges two plain C loads into just that. */
    __u64 raw;
    if (bpf_hook_nargs == 4)
        asm volatile("%0 = *(u64 *)(%1 + 32)" : "=r"(raw) : "r"(ctx));
    else
        asm volatile("%0 = *(u64 *)(%1 + 24)" : "=r"(raw) : "r"(ctx));
    int ret = (int)raw;
    if (ret)
        return ret;
    if (auditq_ignored())
        return ret;
    AUDITQ_NEW_LSM(struct auditq_bpf_event, e, AUDITQ_EV_BPF, ret);
    e->cmd = cmd;
    e->type = 0;
    if (cmd == BPF_PROG_LOAD || cmd == BPF_MAP_CREATE) {
        /* union bpf_attr: map_type and prog_type are both the first __u32 */
        __u32 t = 0;
        bpf_probe_read_kernel(&t, sizeof(t), attr);
        e->type = t;
    }
    auditq_submit(e);
    return ret;
}

SEC("lsm/sb_mount")
int BPF_PROG(on_sb_mount, const char *dev_name, struct path *path, const char *type,
             unsigned long flags, void *data, int ret)
{
    if (ret)
        return ret;
    if (auditq_ignored())
        return ret;
    AUDITQ_NEW_LSM(struct auditq_mount_event, e, AUDITQ_EV_MOUNT, ret);
    e->mount_flags = flags;
    e->dev_name[0] = 0;
    e->fs_type[0] = 0;
    if (dev_name && bpf_probe_read_kernel_str(e->dev_name, sizeof(e->dev_name), dev_name) < 0)
        e->dev_name[0] = 0;
    if (type && bpf_probe_read_kernel_str(e->fs_type, sizeof(e->fs_type), type) < 0)
        e->fs_type[0] = 0;
    e->h.flags |= auditq_path_of(path, e->path);
    auditq_submit(e);
    return ret;
}
