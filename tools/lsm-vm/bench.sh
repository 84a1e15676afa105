# bench.sh: what auditqd's BPF-LSM programs cost an exec-heavy workload,
# inside the VM (busybox sh; `tools/lsm-vm-test --bench`, which copies
# auditqd, auditq, trigger and the host's bpftool in). TCG emulation: only
# ratios mean anything.
#
# ROUNDS (default 5) rounds, each: the loop with no programs, then the same
# loop with auditqd running (all LSM programs attached). The loop is
# `trigger exec-loop EXECS /bin/true` (default 2000 fork+exec+wait).
# Prints each round, the medians, the ratio against the 1.10x target, and
# the kernel's own cost per program (kernel.bpf_stats_enabled=1;
# run_time_ns / run_cnt from bpftool) over the last with-programs round.
# Exits 0 (a benchmark, not a test) unless something failed to run.
EXECS=${BENCH_EXECS:-2000}
ROUNDS=${BENCH_ROUNDS:-5}
STORE=/tmp/bench.db
LOG=/tmp/auditqd-bench.log
fail() { echo "bench: FAIL: $*"; [ -f $LOG ] && tail -n 20 $LOG | sed 's/^/  auditqd: /'; exit 1; }

loop_ns() { # prints the loop's ns
    out=$(trigger exec-loop "$EXECS" /bin/true) || fail "exec loop: $out"
    echo "$out" | sed -n 's/.* execs in \([0-9]*\) ns.*/\1/p'
}

start_auditqd() {
    rm -f $STORE $STORE-wal $STORE-shm $LOG # a stale log would satisfy the wait below
    auditqd --store $STORE --no-rules >$LOG 2>&1 &
    AUDITQD=$!
    i=0
    until grep -qs collecting $LOG; do
        kill -0 $AUDITQD 2>/dev/null || fail "auditqd exited before its collecting line"
        i=$((i + 1)); [ $i -le 1200 ] || fail "no collecting line after 120 s"
        usleep 100000
    done
    grep -q 'sensor: lsm' $LOG || { kill -TERM $AUDITQD; fail "sensor is not BPF-LSM: $(grep -m1 -E 'sensor: (lsm|tracepoint|audit only)' $LOG)"; }
}

stop_auditqd() {
    kill -TERM $AUDITQD
    wait $AUDITQD
    # pinned links would keep the programs attached for the next baseline
    rm -rf /sys/fs/bpf/auditq
    n=$(bpftool prog show 2>/dev/null | grep -c ' lsm ')
    [ "$n" -eq 0 ] || fail "$n LSM programs still attached after auditqd stopped"
}

median() { sort -n | awk '{ v[NR] = $1 } END { printf "%.0f\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

command -v bpftool >/dev/null || echo "bench: no bpftool in the VM: no per-program cost"
echo "bench: $ROUNDS rounds of $EXECS fork+exec of /bin/true, alternating without / with auditqd's LSM programs"
loop_ns >/dev/null # warm up the page cache and the TB cache
: >/tmp/base.ns; : >/tmp/with.ns
r=1
while [ $r -le $ROUNDS ]; do
    base=$(loop_ns)
    start_auditqd
    if [ $r -eq $ROUNDS ]; then
        sysctl -qw kernel.bpf_stats_enabled=1 # count only the last round's runs
    fi
    with=$(loop_ns)
    if [ $r -eq $ROUNDS ] && command -v bpftool >/dev/null; then
        bpftool prog show >/tmp/progs.txt 2>&1
    fi
    sysctl -qw kernel.bpf_stats_enabled=0
    stop_auditqd
    echo "$base" >>/tmp/base.ns; echo "$with" >>/tmp/with.ns
    echo "bench: round $r: no programs $((base / EXECS / 1000)) us/exec, auditqd $((with / EXECS / 1000)) us/exec" \
        "($(awk -v a="$with" -v b="$base" 'BEGIN { printf "%.2f", a / b }')x)"
    r=$((r + 1))
done
mb=$(median </tmp/base.ns); mw=$(median </tmp/with.ns)
ratio=$(awk -v a="$mw" -v b="$mb" 'BEGIN { printf "%.2f", a / b }')
met=$(awk -v r="$ratio" 'BEGIN { print (r <= 1.10) ? "target met" : "NOT met" }')
echo "bench: median no programs $((mb / EXECS / 1000)) us/exec, with auditqd's LSM programs $((mw / EXECS / 1000)) us/exec: ${ratio}x (target <= 1.10x: $met)"

if [ -f /tmp/progs.txt ]; then
    echo "bench: kernel cost per program over the last round (run_time_ns / run_cnt):"
    # "ID: lsm  name NAME  tag ...  gpl run_time_ns T run_cnt C" (one line per program)
    awk '/^[0-9]+: / {
            name = "?"; t = 0; c = 0; type = $2
            for (i = 1; i <= NF; i++) {
                if ($i == "name") name = $(i + 1)
                if ($i == "run_time_ns") t = $(i + 1)
                if ($i == "run_cnt") c = $(i + 1)
            }
            if (type == "lsm" || type == "tracing")
                printf "bench:   %-28s %8d runs %8d ns/run\n", name, c, c ? t / c : 0
        }' /tmp/progs.txt
fi
echo "bench: done"
