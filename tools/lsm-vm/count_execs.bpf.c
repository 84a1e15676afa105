// count_execs.bpf.c: the lsm-vm-test self check's BPF-LSM program.
//
// Counts calls of the bprm_check_security LSM hook (one per execve) in a
// one-slot array map. It only observes: a verdict an earlier LSM gave
// (`ret`) is returned unchanged and nothing is ever denied.
//
// Deliberately free of CO-RE and vmlinux.h: the hook's argument is only
// passed through, so a forward declaration is enough and the object loads
// on any kernel with BPF_LSM=y and BTF.
//
// Built on the host by tools/lsm-vm-test:
//   clang -target bpf -O2 -g -D__TARGET_ARCH_x86 -c count_execs.bpf.c
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct linux_binprm; // opaque here: never dereferenced

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} exec_count SEC(".maps");

SEC("lsm/bprm_check_security")
int BPF_PROG(count_execs, struct linux_binprm *bprm, int ret)
{
    __u32 key = 0;
    __u64 *n;

    if (ret) // an earlier LSM already decided: keep its verdict
        return ret;
    n = bpf_map_lookup_elem(&exec_count, &key);
    if (n)
        __sync_fetch_and_add(n, 1);
    return ret;
}

char LICENSE[] SEC("license") = "GPL"; // LSM programs must be GPL-compatible
