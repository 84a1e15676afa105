/* watch.h — the watched-path LPM trie the collector fills (key and value
 * types are in events.h). Shared by file.bpf.c and fallback.bpf.c. */
#ifndef AUDITQ_WATCH_H
#define AUDITQ_WATCH_H

#include "auditq.h"

struct {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __uint(max_entries, AUDITQ_WATCH_MAX_ENTRIES);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, struct auditq_watch_key);
    __type(value, struct auditq_watch_value);
} watch_paths SEC(".maps");

/* Per-CPU room for one lookup key (too big for the 512-byte BPF stack
 * alongside everything else). */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct auditq_watch_key);
} watch_scratch SEC(".maps");

static __always_inline struct auditq_watch_key *auditq_watch_key(void)
{
    __u32 zero = 0;
    return bpf_map_lookup_elem(&watch_scratch, &zero);
}

/* Look the key's path up (prefixlen: the whole array). */
static __always_inline struct auditq_watch_value *auditq_watched(struct auditq_watch_key *k)
{
    k->prefixlen = AUDITQ_PATH_LEN * 8;
    return bpf_map_lookup_elem(&watch_paths, k);
}

#endif /* AUDITQ_WATCH_H */
