// trigger.c: one action per call, for the LSM hooks busybox has no tool for.
//
//   trigger ACTION ARGS...
//
//   exec PATH [ARG...]     fork, execv PATH, wait          bprm_check_security
//   open FILE [r|w|rw|trunc|append]  open(2), close        file_open (path_truncate for trunc)
//   connect HOST PORT      TCP connect to an IPv4/IPv6 literal   socket_connect
//   finit-module FILE      finit_module(2) on FILE          kernel_read_file
//   init-module FILE       init_module(2) with FILE's bytes kernel_load_data
//                          (FILE >= 64 bytes: shorter input is refused before the hook)
//   bpf-load               BPF_PROG_LOAD of a 2-insn socket filter, close   bpf
//   ptrace [PID]           PTRACE_ATTACH + DETACH of PID, or of a child it forks
//                                                          ptrace_access_check
//   setuid UID             setresuid(UID,UID,UID) in a forked child   task_fix_setuid
//   mount-tmpfs DIR        mkdir DIR, mount a tmpfs on it (left mounted)   sb_mount
//   unlink FILE            unlink(2)                        path_unlink
//   chmod FILE MODE        chmod(2), MODE in octal          path_chmod
//   kill-child SIG         fork a child, kill(child, SIG), reap it   task_kill
//   kill PID SIG           kill(PID, SIG)                   task_kill
//   truncate FILE [LEN]    truncate(2) to LEN (default 0)   path_truncate
//   rename OLD NEW         rename(2)                        path_rename
//   exec-loop N PATH       N x (fork, execv PATH, wait), timed: "... N execs in T ns"
//                          (the benchmark's workload, tools/lsm-vm/bench.sh)
//
// Each prints one line, "trigger[PID]: ACTION ...: ok ..." or "...: ERRNO
// (text)", and exits 0 when the action did what it should (for the module
// loads: the kernel refused the non-module with ENOEXEC or EINVAL, after the
// hook ran), 1 when the syscall failed otherwise, 2 on a usage error.
// Built statically on the host by tools/lsm-vm/build-trigger (gcc -static).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t me;

static int usage(void)
{
    fprintf(stderr, "usage: trigger exec PATH [ARG...] | open FILE [r|w|rw|trunc|append] | "
                    "connect HOST PORT | finit-module FILE | init-module FILE | bpf-load | "
                    "ptrace [PID] | setuid UID | mount-tmpfs DIR | unlink FILE | chmod FILE MODE | "
                    "kill-child SIG | kill PID SIG | truncate FILE [LEN] | rename OLD NEW | exec-loop N PATH\n");
    return 2;
}

/* "ok" (exit 0) or the errno (exit 1), after the action's description. */
static int report(int failed, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int report(int failed, const char *fmt, ...)
{
    int err = errno;
    va_list ap;
    printf("trigger[%d]: ", (int)me);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    if (failed)
        printf(": %s (%s)\n", strerrorname_np(err) ? strerrorname_np(err) : "?", strerror(err));
    else
        printf(": ok\n");
    return failed ? 1 : 0;
}

static int parse_int(const char *s, int base, long *out)
{
    char *end;
    errno = 0;
    *out = strtol(s, &end, base);
    return errno || !*s || *end ? -1 : 0;
}

static int do_exec(int argc, char **argv)
{
    pid_t pid = fork();
    if (pid < 0)
        return report(1, "fork");
    if (pid == 0) {
        execv(argv[0], argv);
        fprintf(stderr, "trigger: execv %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    (void)argc;
    printf("trigger[%d]: exec %s (child %d): exit status %d\n", (int)me, argv[0], (int)pid,
           WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    return WIFEXITED(status) && WEXITSTATUS(status) == 127 ? 1 : 0;
}

static int do_open(const char *file, const char *how)
{
    int flags;
    if (!strcmp(how, "r"))
        flags = O_RDONLY;
    else if (!strcmp(how, "w"))
        flags = O_WRONLY;
    else if (!strcmp(how, "rw"))
        flags = O_RDWR;
    else if (!strcmp(how, "trunc"))
        flags = O_WRONLY | O_TRUNC;
    else if (!strcmp(how, "append"))
        flags = O_WRONLY | O_APPEND;
    else
        return usage();
    int fd = open(file, flags);
    if (fd >= 0)
        close(fd);
    return report(fd < 0, "open %s %s", file, how);
}

static int do_connect(const char *host, const char *port_s)
{
    long port;
    if (parse_int(port_s, 10, &port) || port < 1 || port > 65535)
        return usage();
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
        len = sizeof(*in4);
    } else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        len = sizeof(*in6);
    } else {
        fprintf(stderr, "trigger: connect: HOST must be an IPv4 or IPv6 literal, got '%s'\n", host);
        return 2;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM, 0);
    if (fd < 0)
        return report(1, "socket");
    int rc = connect(fd, (struct sockaddr *)&ss, len);
    int r = report(rc < 0, "connect %s port %ld", host, port);
    close(fd);
    return r;
}

/* The kernel must refuse a file that is not a module; the LSM hook runs first. */
static int module_refused(int rc, const char *what, const char *file)
{
    int err = errno;
    if (rc == 0) {
        printf("trigger[%d]: %s %s: loaded?! (expected ENOEXEC or EINVAL)\n", (int)me, what, file);
        return 1;
    }
    printf("trigger[%d]: %s %s: refused with %s (%s)%s\n", (int)me, what, file,
           strerrorname_np(err) ? strerrorname_np(err) : "?", strerror(err),
           err == ENOEXEC || err == EINVAL ? ", as expected" : "");
    return err == ENOEXEC || err == EINVAL ? 0 : 1;
}

static int do_finit_module(const char *file)
{
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return report(1, "open %s", file);
    int rc = (int)syscall(SYS_finit_module, fd, "", 0);
    int r = module_refused(rc, "finit_module", file);
    close(fd);
    return r;
}

static int do_init_module(const char *file)
{
    static char buf[1 << 20];
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return report(1, "open %s", file);
    ssize_t n = read(fd, buf, sizeof(buf));
    close(fd);
    if (n < 0)
        return report(1, "read %s", file);
    int rc = (int)syscall(SYS_init_module, buf, (unsigned long)n, "");
    return module_refused(rc, "init_module", file);
}

static int do_bpf_load(void)
{
    struct bpf_insn insns[] = {
        {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0}, /* r0 = 0 */
        {.code = BPF_JMP | BPF_EXIT},                                          /* exit */
    };
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
    attr.insns = (unsigned long)insns;
    attr.insn_cnt = sizeof(insns) / sizeof(insns[0]);
    attr.license = (unsigned long)"GPL";
    int fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
    if (fd >= 0)
        close(fd);
    return report(fd < 0, "bpf BPF_PROG_LOAD (cmd %d) socket filter (prog type %d)", BPF_PROG_LOAD,
                  BPF_PROG_TYPE_SOCKET_FILTER);
}

static pid_t fork_sleeper(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        for (;;)
            pause();
    }
    return pid;
}

static int do_ptrace(const char *pid_s)
{
    long target;
    pid_t child = 0;
    if (pid_s) {
        if (parse_int(pid_s, 10, &target) || target < 1)
            return usage();
    } else {
        child = fork_sleeper();
        if (child < 0)
            return report(1, "fork");
        target = child;
    }
    int r;
    if (ptrace(PTRACE_ATTACH, (pid_t)target, 0, 0) < 0) {
        r = report(1, "ptrace PTRACE_ATTACH %ld%s", target, child ? " (own child)" : "");
    } else {
        int status;
        waitpid((pid_t)target, &status, __WALL); /* the attach stop */
        int rc = (int)ptrace(PTRACE_DETACH, (pid_t)target, 0, 0);
        r = report(rc < 0, "ptrace PTRACE_ATTACH+PTRACE_DETACH %ld%s", target,
                   child ? " (own child)" : "");
    }
    if (child) {
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
    }
    return r;
}

static int do_setuid(const char *uid_s)
{
    long uid;
    if (parse_int(uid_s, 10, &uid) || uid < 0)
        return usage();
    int pipefd[2];
    if (pipe(pipefd) < 0)
        return report(1, "pipe");
    pid_t pid = fork();
    if (pid < 0)
        return report(1, "fork");
    if (pid == 0) {
        int rc = setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid);
        int err = rc < 0 ? errno : 0;
        (void)!write(pipefd[1], &err, sizeof(err));
        _exit(rc < 0);
    }
    close(pipefd[1]);
    int err = -1;
    (void)!read(pipefd[0], &err, sizeof(err));
    close(pipefd[0]);
    waitpid(pid, NULL, 0);
    errno = err;
    return report(err != 0, "setresuid(%ld, %ld, %ld) in child %d", uid, uid, uid, (int)pid);
}

static int do_mount_tmpfs(const char *dir)
{
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return report(1, "mkdir %s", dir);
    int rc = mount("trigger", dir, "tmpfs", 0, "size=1m");
    return report(rc < 0, "mount -t tmpfs trigger %s", dir);
}

static int do_kill_child(const char *sig_s)
{
    long sig;
    if (parse_int(sig_s, 10, &sig) || sig < 1 || sig >= NSIG)
        return usage();
    pid_t child = fork_sleeper();
    if (child < 0)
        return report(1, "fork");
    int rc = kill(child, (int)sig);
    int r = report(rc < 0, "kill(%d, %ld) of own child", (int)child, sig);
    if (rc < 0 || (sig == SIGSTOP || sig == SIGCONT || sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH))
        kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    return r;
}

static int do_kill(const char *pid_s, const char *sig_s)
{
    long pid, sig;
    if (parse_int(pid_s, 10, &pid) || parse_int(sig_s, 10, &sig) || sig < 0 || sig >= NSIG)
        return usage();
    int rc = kill((pid_t)pid, (int)sig);
    return report(rc < 0, "kill(%ld, %ld)", pid, sig);
}

static int do_exec_loop(const char *n_s, const char *path)
{
    long n;
    if (parse_int(n_s, 10, &n) || n < 1)
        return usage();
    char *args[] = {(char *)path, NULL};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0)
            return report(1, "fork");
        if (pid == 0) {
            execv(path, args);
            _exit(127);
        }
        int status;
        waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) == 127) {
            errno = ENOEXEC;
            return report(1, "exec-loop %s: child %ld failed", path, i);
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long long ns = (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
    printf("trigger[%d]: exec-loop %s: %ld execs in %lld ns (%lld us/exec)\n", (int)me, path, n, ns,
           ns / n / 1000);
    return 0;
}

int main(int argc, char **argv)
{
    me = getpid();
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2)
        return usage();
    const char *a = argv[1];
    int n = argc - 2;
    char **args = argv + 2;
    if (!strcmp(a, "exec") && n >= 1)
        return do_exec(n, args);
    if (!strcmp(a, "open") && (n == 1 || n == 2))
        return do_open(args[0], n == 2 ? args[1] : "r");
    if (!strcmp(a, "connect") && n == 2)
        return do_connect(args[0], args[1]);
    if (!strcmp(a, "finit-module") && n == 1)
        return do_finit_module(args[0]);
    if (!strcmp(a, "init-module") && n == 1)
        return do_init_module(args[0]);
    if (!strcmp(a, "bpf-load") && n == 0)
        return do_bpf_load();
    if (!strcmp(a, "ptrace") && n <= 1)
        return do_ptrace(n ? args[0] : NULL);
    if (!strcmp(a, "setuid") && n == 1)
        return do_setuid(args[0]);
    if (!strcmp(a, "mount-tmpfs") && n == 1)
        return do_mount_tmpfs(args[0]);
    if (!strcmp(a, "unlink") && n == 1)
        return report(unlink(args[0]) < 0, "unlink %s", args[0]);
    if (!strcmp(a, "chmod") && n == 2) {
        long mode;
        if (parse_int(args[1], 8, &mode) || mode < 0 || mode > 07777)
            return usage();
        return report(chmod(args[0], (mode_t)mode) < 0, "chmod %s %04lo", args[0], mode);
    }
    if (!strcmp(a, "kill-child") && n == 1)
        return do_kill_child(args[0]);
    if (!strcmp(a, "kill") && n == 2)
        return do_kill(args[0], args[1]);
    if (!strcmp(a, "truncate") && (n == 1 || n == 2)) {
        long len = 0;
        if (n == 2 && (parse_int(args[1], 10, &len) || len < 0))
            return usage();
        return report(truncate(args[0], len) < 0, "truncate %s to %ld", args[0], len);
    }
    if (!strcmp(a, "exec-loop") && n == 2)
        return do_exec_loop(args[0], args[1]);
    if (!strcmp(a, "rename") && n == 2)
        return report(rename(args[0], args[1]) < 0, "rename %s %s", args[0], args[1]);
    return usage();
}
