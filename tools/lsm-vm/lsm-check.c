// lsm-check.c: the lsm-vm-test self check's loader (runs inside the VM).
//
//   lsm-check OBJECT [EXECS]
//
// Opens the BPF object (count_execs.bpf.o) with libbpf, loads it, attaches
// its lsm/bprm_check_security program, then fork+execs /bin/true EXECS
// times (default 5) and reads the program's exec counter. Prints one
// result line and exits 0 only when every exec was counted, so the self
// check proves a real BPF-LSM program loaded, attached and ran.
// Linked dynamically against libbpf: the harness copies libbpf.so and its
// dependencies into the initramfs (ldd).
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static int fail(const char *what, int err)
{
    fprintf(stderr, "lsm-check: %s: %s\n", what, strerror(err < 0 ? -err : err));
    return 1;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "/lsm-check/count_execs.bpf.o";
    int execs = argc > 2 ? atoi(argv[2]) : 5;

    struct bpf_object *obj = bpf_object__open_file(path, NULL);
    if (!obj)
        return fail("open object", errno);
    int err = bpf_object__load(obj);
    if (err)
        return fail("load (is bpf in /sys/kernel/security/lsm?)", err);
    struct bpf_program *prog = bpf_object__find_program_by_name(obj, "count_execs");
    if (!prog)
        return fail("program count_execs not in object", ENOENT);
    struct bpf_link *link = bpf_program__attach(prog); // attach type from SEC("lsm/...")
    if (!link)
        return fail("attach lsm/bprm_check_security", errno);
    int map_fd = bpf_object__find_map_fd_by_name(obj, "exec_count");
    if (map_fd < 0)
        return fail("map exec_count not in object", ENOENT);

    struct bpf_prog_info info;
    __u32 len = sizeof(info);
    memset(&info, 0, sizeof(info));
    bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len);
    printf("lsm-check: program %s id %u (type %u = BPF_PROG_TYPE_LSM) attached to lsm/bprm_check_security\n",
           info.name, info.id, info.type);
    fflush(stdout);

    for (int i = 0; i < execs; i++) {
        pid_t pid = fork();
        if (pid < 0)
            return fail("fork", errno);
        if (pid == 0) {
            execl("/bin/true", "true", (char *)NULL);
            _exit(127);
        }
        int status;
        waitpid(pid, &status, 0);
    }

    __u32 key = 0;
    __u64 count = 0;
    if (bpf_map_lookup_elem(map_fd, &key, &count))
        return fail("read exec_count", errno);
    printf("lsm-check: %d execs, bprm_check_security count=%llu: %s\n", execs,
           (unsigned long long)count, count >= (__u64)execs && count > 0 ? "PASS" : "FAIL");
    bpf_link__destroy(link);
    bpf_object__close(obj);
    return count >= (__u64)execs && count > 0 ? 0 : 1;
}
