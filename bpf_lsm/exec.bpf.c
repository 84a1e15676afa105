// exec.bpf.c — program execution: bprm_check_security (every binfmt pass,
// so a script yields one event for the script and one per interpreter) and
// bprm_committed_creds (argv[0] of the new image, once the new mm is current).
#include "auditq.h"
#include "path.h"

SEC("lsm/bprm_check_security")
int BPF_PROG(on_bprm_check, struct linux_binprm *bprm, int ret)
{
    if (ret)
        return ret;
    if (auditq_ignored())
        return ret;
    AUDITQ_NEW_LSM(struct auditq_exec_event, e, AUDITQ_EV_EXEC, ret);
    e->argc = BPF_CORE_READ(bprm, argc);
    e->old_pid = 0;
    e->argv0[0] = 0;
    e->h.flags |= auditq_file_path(BPF_CORE_READ(bprm, file), e->path);
    if (BPF_CORE_READ(bprm, interp) != BPF_CORE_READ(bprm, filename))
        e->h.flags |= AUDITQ_FLAG_INTERP;
    auditq_submit(e);
    return ret;
}

// A void hook: no verdict to honour. By now the new mm is current and
// bprm->p points at argv[0] in it, so it reads as user memory.
SEC("lsm/bprm_committed_creds")
int BPF_PROG(on_bprm_committed, struct linux_binprm *bprm)
{
    if (auditq_ignored())
        return 0;
    AUDITQ_NEW(struct auditq_exec_event, e, AUDITQ_EV_EXEC_ARGV, AUDITQ_SOURCE_LSM, 0);
    e->argc = BPF_CORE_READ(bprm, argc);
    e->old_pid = 0;
    if (bpf_probe_read_kernel_str(e->path, sizeof(e->path), BPF_CORE_READ(bprm, filename)) < 0)
        e->path[0] = 0;
    if (bpf_probe_read_user_str(e->argv0, sizeof(e->argv0), (void *)BPF_CORE_READ(bprm, p)) < 0)
        e->argv0[0] = 0;
    auditq_submit(e);
    return 0;
}
