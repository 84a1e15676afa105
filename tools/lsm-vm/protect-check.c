// protect-check.c: the VM test's stand-in collector for bpf_lsm/protect.bpf.c
// (runs inside the VM; the sensor in auditqd is the real loader).
//
//   protect-check OBJECT ENFORCE FILE... -- SHELL-COMMAND
//
// Loads protect.bpf.o with self_tgid = its own pid and enforce = ENFORCE
// (0 or 1), fills protected_inodes with the (dev, ino) of each FILE, attaches
// every program, then runs `sh -c SHELL-COMMAND` as a child (another process:
// its attempts are the ones protect.bpf.c judges; PROTECTED_PID in its
// environment is this process) and prints every event the programs report.
// Also write-opens the first FILE itself (allowed: the collector), and counts
// the signals it receives (a SIGTERM that gets through is counted, not
// fatal). Exits with the command's exit status.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "../../bpf_lsm/events.h"

static volatile sig_atomic_t signals;
static void on_signal(int sig) { (void)sig; signals++; }

static int fail(const char *what, int err)
{
    fprintf(stderr, "protect-check: %s: %s\n", what, strerror(err < 0 ? -err : err));
    return 1;
}

/* Set a __u32 const volatile in .rodata by name, before load. */
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
    char *data = (char *)bpf_map__initial_value(rodata, &size); /* writable until load */
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

static const char *kind_name(unsigned k)
{
    switch (k) {
    case AUDITQ_EV_FILE_OPEN: return "file_open";
    case AUDITQ_EV_TRUNCATE: return "path_truncate";
    case AUDITQ_EV_UNLINK: return "path_unlink";
    case AUDITQ_EV_RENAME: return "path_rename";
    case AUDITQ_EV_KILL: return "task_kill";
    case AUDITQ_EV_PTRACE: return "ptrace_access_check";
    default: return "?";
    }
}

static int on_event(void *ctx, void *data, size_t len)
{
    (void)ctx;
    const struct auditq_event_header *h = data;
    if (len < sizeof(*h))
        return 0;
    printf("protect-check: event %s pid %u comm %.16s ret %d flags %#x", kind_name(h->kind), h->tgid,
           h->comm, h->ret, h->flags);
    switch (h->kind) {
    case AUDITQ_EV_FILE_OPEN: {
        const struct auditq_file_open_event *e = data;
        printf(" path %s f_flags %#o f_mode %#x id %u", e->path, e->flags, e->mode, e->watch_id);
        break;
    }
    case AUDITQ_EV_TRUNCATE:
    case AUDITQ_EV_UNLINK:
        printf(" path %s", ((const struct auditq_path_event *)data)->path);
        break;
    case AUDITQ_EV_RENAME: {
        const struct auditq_rename_event *e = data;
        printf(" old %s new %s", e->old_path, e->new_path);
        break;
    }
    case AUDITQ_EV_KILL: {
        const struct auditq_kill_event *e = data;
        printf(" sig %d target %u (%.16s)", e->sig, e->target_pid, e->target_comm);
        break;
    }
    case AUDITQ_EV_PTRACE: {
        const struct auditq_ptrace_event *e = data;
        printf(" mode %#x target %u (%.16s)", e->mode, e->target_pid, e->target_comm);
        break;
    }
    }
    printf("\n");
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    int sep = 0;
    for (int i = 3; i < argc; i++)
        if (!strcmp(argv[i], "--")) { sep = i; break; }
    if (argc < 6 || !sep || sep == 3 || sep + 2 != argc) {
        fprintf(stderr, "usage: protect-check OBJECT ENFORCE FILE... -- SHELL-COMMAND\n");
        return 2;
    }
    __u32 enforce = (__u32)atoi(argv[2]);
    pid_t self = getpid();

    struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
    if (!obj)
        return fail("open object", errno);
    struct bpf_map *events = bpf_object__find_map_by_name(obj, AUDITQ_MAP_EVENTS);
    if (events)
        bpf_map__set_max_entries(events, 1u << 20);
    int err;
    if ((err = set_rodata(obj, "self_tgid", (__u32)self)) || (err = set_rodata(obj, "enforce", enforce)))
        return fail("set self_tgid/enforce in .rodata", err);
    if ((err = bpf_object__load(obj)))
        return fail("load", err);
    int pfd = bpf_object__find_map_fd_by_name(obj, AUDITQ_MAP_PROTECTED_INODES);
    if (pfd < 0)
        return fail("map " AUDITQ_MAP_PROTECTED_INODES, ENOENT);
    for (int i = 3; i < sep; i++) {
        struct stat st;
        if (stat(argv[i], &st))
            return fail(argv[i], errno);
        struct auditq_protect_key k = {
            .dev = ((__u64)major(st.st_dev) << 20) | minor(st.st_dev), /* the kernel's dev_t */
            .ino = st.st_ino,
        };
        struct auditq_protect_value v = {.id = (__u32)(i - 2), .flags = 0};
        if (bpf_map_update_elem(pfd, &k, &v, BPF_ANY))
            return fail("fill protected_inodes", errno);
        printf("protect-check: protecting %s (dev %llu:%llu ino %llu, id %u)\n", argv[i],
               (unsigned long long)major(st.st_dev), (unsigned long long)minor(st.st_dev),
               (unsigned long long)st.st_ino, v.id);
    }
    struct bpf_program *prog;
    int nprogs = 0;
    bpf_object__for_each_program(prog, obj) {
        if (!bpf_program__attach(prog))
            return fail(bpf_program__name(prog), errno);
        nprogs++;
    }
    struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(events), on_event, NULL, NULL);
    if (!rb)
        return fail("ring_buffer__new", errno);
    printf("protect-check: pid %d, enforce=%u, %d programs attached\n", (int)self, enforce, nprogs);

    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    int fd = open(argv[3], O_WRONLY | O_APPEND);
    printf("protect-check: own write-open of %s: %s\n", argv[3], fd >= 0 ? "ok" : strerror(errno));
    if (fd >= 0)
        close(fd);

    char pidbuf[16];
    snprintf(pidbuf, sizeof(pidbuf), "%d", (int)self);
    setenv("PROTECTED_PID", pidbuf, 1);
    pid_t child = fork();
    if (child == 0) {
        execl("/bin/sh", "sh", "-c", argv[sep + 1], (char *)NULL);
        _exit(127);
    }
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    ring_buffer__poll(rb, 100);
    printf("protect-check: signals received: %d\n", (int)signals);
    ring_buffer__free(rb);
    bpf_object__close(obj);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
