// hook-check.c: a stand-in loader for bpf_lsm/'s observe-only families, run
// inside the VM by `tools/lsm-vm-test --hook-check` to prove that each
// trigger action fires its hook while auditqd's sensor is not at hand.
//
//   hook-check OBJDIR WATCHED-FILE -- SHELL-COMMAND
//
// Loads OBJDIR/{exec,file,net,kernel,task}.bpf.o with one shared ring buffer
// and reserve_fails (bpf_map__reuse_fd, as the sensor does), watches
// WATCHED-FILE for file_open, sets self_tgid and kernel's bpf_hook_nargs
// (from the kernel BTF), attaches everything, runs `sh -c SHELL-COMMAND`,
// then prints each event whose comm is "trigger" and a count per kind.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "../../bpf_lsm/events.h"

static const char *families[] = {"exec", "file", "net", "kernel", "task"};
static unsigned counts[256];

static int fail(const char *what, int err)
{
    fprintf(stderr, "hook-check: %s: %s\n", what, strerror(err < 0 ? -err : err));
    return 1;
}

static int set_rodata(struct bpf_object *obj, const char *name, __u32 value)
{
    struct bpf_map *rodata = NULL, *m;
    bpf_object__for_each_map(m, obj) {
        const char *n = bpf_map__name(m);
        size_t l = strlen(n);
        if (l >= 7 && !strcmp(n + l - 7, ".rodata"))
            rodata = m;
    }
    struct btf *btf = bpf_object__btf(obj);
    if (!rodata || !btf)
        return -ENOENT;
    size_t size;
    char *data = (char *)bpf_map__initial_value(rodata, &size);
    int sec = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
    if (!data || sec < 0)
        return -ENOENT;
    const struct btf_type *t = btf__type_by_id(btf, sec);
    const struct btf_var_secinfo *v = btf_var_secinfos(t);
    for (int i = 0; i < btf_vlen(t); i++, v++) {
        const struct btf_type *var = btf__type_by_id(btf, v->type);
        if (!strcmp(btf__name_by_offset(btf, var->name_off), name) && v->offset + 4 <= size) {
            memcpy(data + v->offset, &value, 4);
            return 0;
        }
    }
    return -ENOENT;
}

static int on_event(void *ctx, void *data, size_t len)
{
    (void)ctx;
    const struct auditq_event_header *h = data;
    if (len < sizeof(*h))
        return 0;
    counts[h->kind & 0xff]++;
    if (strcmp(h->comm, "trigger") && strcmp(h->comm, "sensor-probe"))
        return 0;
    printf("hook-check: kind %u pid %u comm %s ret %d:", h->kind, h->tgid, h->comm, h->ret);
    switch (h->kind) {
    case AUDITQ_EV_EXEC: printf(" exec %s", ((const struct auditq_exec_event *)data)->path); break;
    case AUDITQ_EV_FILE_OPEN: printf(" file_open %s", ((const struct auditq_file_open_event *)data)->path); break;
    case AUDITQ_EV_SOCKET_CONNECT: {
        const struct auditq_connect_event *e = data;
        printf(" connect family %u %u.%u.%u.%u port %u", e->family, e->addr[0], e->addr[1], e->addr[2], e->addr[3], e->port);
        break;
    }
    case AUDITQ_EV_KERNEL_READ_FILE:
    case AUDITQ_EV_KERNEL_LOAD_DATA: {
        const struct auditq_kernel_load_event *e = data;
        printf(" kernel_%s id %u path '%s'", h->kind == AUDITQ_EV_KERNEL_READ_FILE ? "read_file" : "load_data", e->id, e->path);
        break;
    }
    case AUDITQ_EV_BPF: {
        const struct auditq_bpf_event *e = data;
        printf(" bpf cmd %d type %u", e->cmd, e->type);
        break;
    }
    case AUDITQ_EV_PTRACE: {
        const struct auditq_ptrace_event *e = data;
        printf(" ptrace mode %#x target %u (%s)", e->mode, e->target_pid, e->target_comm);
        break;
    }
    case AUDITQ_EV_SETUID: {
        const struct auditq_setuid_event *e = data;
        printf(" setuid %u/%u -> %u/%u flags %d", e->old_uid, e->old_euid, e->new_uid, e->new_euid, e->op_flags);
        break;
    }
    case AUDITQ_EV_MOUNT: {
        const struct auditq_mount_event *e = data;
        printf(" mount %s type %s on %s", e->dev_name, e->fs_type, e->path);
        break;
    }
    case AUDITQ_EV_UNLINK: printf(" unlink %s", ((const struct auditq_path_event *)data)->path); break;
    case AUDITQ_EV_CHMOD: {
        const struct auditq_path_event *e = data;
        printf(" chmod %s %o", e->path, e->mode);
        break;
    }
    case AUDITQ_EV_KILL: {
        const struct auditq_kill_event *e = data;
        printf(" kill sig %d target %u (%s)", e->sig, e->target_pid, e->target_comm);
        break;
    }
    case AUDITQ_EV_EXEC_ARGV: printf(" exec_argv argv0 %s", ((const struct auditq_exec_event *)data)->argv0); break;
    }
    printf("\n");
    return 0;
}

static __u32 bpf_hook_nargs(void)
{
    struct btf *vmlinux = btf__load_vmlinux_btf();
    if (!vmlinux)
        return 3;
    __u32 n = 3;
    int id = btf__find_by_name_kind(vmlinux, "bpf_lsm_bpf", BTF_KIND_FUNC);
    if (id > 0) {
        const struct btf_type *proto = btf__type_by_id(vmlinux, btf__type_by_id(vmlinux, id)->type);
        n = btf_vlen(proto);
    }
    btf__free(vmlinux);
    return n;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc != 5 || strcmp(argv[3], "--")) {
        fprintf(stderr, "usage: hook-check OBJDIR WATCHED-FILE -- SHELL-COMMAND\n");
        return 2;
    }
    int events_fd = -1, fails_fd = -1, nprogs = 0, err;
    struct bpf_object *file_obj = NULL;
    for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
        char path[512];
        snprintf(path, sizeof(path), "%s/%s.bpf.o", argv[1], families[i]);
        struct bpf_object *obj = bpf_object__open_file(path, NULL);
        if (!obj)
            return fail(path, errno);
        struct bpf_map *ev = bpf_object__find_map_by_name(obj, AUDITQ_MAP_EVENTS);
        struct bpf_map *rf = bpf_object__find_map_by_name(obj, AUDITQ_MAP_RESERVE_FAILS);
        if (events_fd >= 0 && ((err = bpf_map__reuse_fd(ev, events_fd)) || (err = bpf_map__reuse_fd(rf, fails_fd))))
            return fail("reuse_fd", err);
        if ((err = set_rodata(obj, "self_tgid", (__u32)getpid())))
            return fail("set self_tgid", err);
        if (!strcmp(families[i], "kernel") && (err = set_rodata(obj, "bpf_hook_nargs", bpf_hook_nargs())))
            return fail("set bpf_hook_nargs", err);
        if ((err = bpf_object__load(obj)))
            return fail(path, err);
        if (events_fd < 0) {
            events_fd = bpf_map__fd(ev);
            fails_fd = bpf_map__fd(rf);
        }
        struct bpf_program *prog;
        bpf_object__for_each_program(prog, obj) {
            if (!bpf_program__attach(prog))
                return fail(bpf_program__name(prog), errno);
            nprogs++;
        }
        if (!strcmp(families[i], "file"))
            file_obj = obj;
    }
    struct auditq_watch_key k = {0};
    snprintf(k.path, sizeof(k.path), "%s", argv[2]);
    k.prefixlen = 8 * (strlen(k.path) + 1);
    struct auditq_watch_value v = {.id = 1};
    if (bpf_map_update_elem(bpf_object__find_map_fd_by_name(file_obj, AUDITQ_MAP_WATCH_PATHS), &k, &v, BPF_ANY))
        return fail("watch_paths", errno);
    struct ring_buffer *rb = ring_buffer__new(events_fd, on_event, NULL, NULL);
    if (!rb)
        return fail("ring_buffer__new", errno);
    printf("hook-check: %d programs attached, watching %s\n", nprogs, argv[2]);
    pid_t child = fork();
    if (child == 0) {
        execl("/bin/sh", "sh", "-c", argv[4], (char *)NULL);
        _exit(127);
    }
    int status = 0;
    /* The programs submit without a wakeup until much waits (events.h,
     * AUDITQ_WAKEUP_BYTES): consume after each poll, whatever it returned. */
    while (waitpid(child, &status, WNOHANG) == 0) {
        ring_buffer__poll(rb, 50);
        ring_buffer__consume(rb);
    }
    ring_buffer__poll(rb, 100);
    ring_buffer__consume(rb);
    printf("hook-check: events per kind:");
    for (int i = 0; i < 256; i++)
        if (counts[i])
            printf(" %d:%u", i, counts[i]);
    printf("\n");
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
