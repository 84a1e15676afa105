// file.bpf.c — files: file_open of watched paths (the watch_paths LPM trie
// the collector fills), path_unlink and path_chmod.
#include "auditq.h"
#include "path.h"
#include "watch.h"

#define S_IFMT 00170000
#define S_IFREG 0100000

SEC("lsm/file_open")
int BPF_PROG(on_file_open, struct file *file, int ret)
{
    if (ret)
        return ret;
    if (auditq_ignored())
        return ret;
    umode_t imode = BPF_CORE_READ(file, f_inode, i_mode);
    if ((imode & S_IFMT) != S_IFREG)
        return ret;
    struct auditq_watch_key *k = auditq_watch_key();
    if (!k)
        return ret;
    __u8 flags = auditq_file_path(file, k->path);
    struct auditq_watch_value *w = auditq_watched(k);
    if (!w)
        return ret;
    AUDITQ_NEW_LSM(struct auditq_file_open_event, e, AUDITQ_EV_FILE_OPEN, ret);
    e->h.flags |= flags;
    e->flags = BPF_CORE_READ(file, f_flags);
    e->mode = BPF_CORE_READ(file, f_mode);
    e->watch_id = w->id;
    e->_pad = 0;
    bpf_probe_read_kernel(e->path, sizeof(e->path), k->path);
    auditq_submit(e);
    return ret;
}

SEC("lsm/path_unlink")
int BPF_PROG(on_path_unlink, struct path *dir, struct dentry *dentry, int ret)
{
    if (ret)
        return ret;
    if (auditq_ignored())
        return ret;
    AUDITQ_NEW_LSM(struct auditq_path_event, e, AUDITQ_EV_UNLINK, ret);
    e->mode = 0;
    e->_pad = 0;
    e->h.flags |= auditq_path(BPF_CORE_READ(dir, mnt), dentry, e->path);
    auditq_submit(e);
    return ret;
}

SEC("lsm/path_chmod")
int BPF_PROG(on_path_chmod, struct path *path, umode_t mode, int ret)
{
    if (ret)
        return ret;
    if (auditq_ignored())
        return ret;
    AUDITQ_NEW_LSM(struct auditq_path_event, e, AUDITQ_EV_CHMOD, ret);
    e->mode = mode;
    e->_pad = 0;
    e->h.flags |= auditq_path_of(path, e->path);
    auditq_submit(e);
    return ret;
}
