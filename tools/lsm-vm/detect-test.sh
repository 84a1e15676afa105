# detect-test.sh: the detectors with BPF-LSM, inside the VM (busybox sh; run
# by sensor-test.sh after profile-test.sh; lsm-vm-test --sensor-test copies
# it to /lsm-vm/detect-test.sh and audit_rules/60-detectors.rules to
# /lsm-vm/60-detectors.rules).
#
# auditqd with the detector pack and --alerts-to a file, its sensor on the
# LSM hooks, while:
# 1. sh opens /proc/sys/kernel/core_pattern for appending and closes it
#    (kernel-hook-write: the watch and the LSM file_open hook, one alert per
#    write; step 2's own two writes make two more);
# 2. core_pattern is pointed at a script (this VM is disposable; the value
#    is restored) and a shell crashes: the kernel runs the script as a
#    usermode helper, parent kthreadd (usermode-helper-exec: one alert for
#    the helper's syscalls in audit and the sensor's two execs, the
#    script's and its interpreter's);
# 3. a runc container without CAP_SYS_ADMIN tries to mount debugfs: refused,
#    but the LSM sb_mount hook runs before the refusal (mount-from-container,
#    naming the container);
# 4. sh opens runc's binary for appending (runtime-binary-write).
# Then `auditq alerts` holds what went to the file, and `auditq detect
# --coverage` reports the sensor in lsm mode. One line per check,
# `detect: ... ok` or `detect: FAIL: ...`; ends with `detect: PASS (N
# checks)` or `detect: FAIL (M of N checks)`.
DSTORE=/tmp/det.db
DLOG=/tmp/auditqd-detect.log
DALERTS=/tmp/alerts.jsonl
DP=/tmp/dp
dfail() { echo "detect: FAIL: $*"; [ -f $DLOG ] && sed 's/^/  auditqd: /' $DLOG | tail -n 20; exit 1; }
t0=$(cut -d. -f1 /proc/uptime)

. /lsm-vm/collector.sh
rm -rf $DP $DSTORE $DSTORE-wal $DSTORE-shm $DALERTS
mkdir -p $DP

start_auditqd $DLOG --store $DSTORE --rules /lsm-vm/60-detectors.rules --alerts-to $DALERTS || dfail "$AUDITQD_WHY"
grep -q 'sensor: lsm' $DLOG || { stop_auditqd $AUDITQD_PID; dfail "the sensor is not on the LSM hooks: $(grep -m1 'sensor' $DLOG)"; }
echo "detect: auditqd pid $AUDITQD_PID up after $AUDITQD_UP s"

# 1. an open for writing, nothing written
sh -c 'exec 3>>/proc/sys/kernel/core_pattern; exec 3>&-'
# 2. a usermode helper the kernel runs
saved=$(cat /proc/sys/kernel/core_pattern)
printf '#!/bin/sh\ncat >/dev/null\necho ran >%s/helper.ran\n' $DP >$DP/helper
chmod 755 $DP/helper
echo "|$DP/helper" >/proc/sys/kernel/core_pattern
sh -c 'kill -SEGV $$' 2>/dev/null
i=0; while [ ! -e $DP/helper.ran ] && [ $i -lt 100 ]; do usleep 100000; i=$((i + 1)); done
echo "$saved" >/proc/sys/kernel/core_pattern
# 3. a refused mount in a container
bundle $DP/c /vmtest/detmount "mount -t debugfs none /bin 2>&1; echo mount=\$?" '"CAP_CHOWN"'
runc run --no-pivot -b $DP/c detmount </dev/null >$DP/c.out 2>&1
# 4. the runtime's binary opened for writing
sh -c 'exec 3>>/usr/sbin/runc; exec 3>&-'

i=0; while [ $(cat $DALERTS 2>/dev/null | grep -c .) -lt 4 ] && [ $i -lt 100 ]; do usleep 100000; i=$((i + 1)); done
stop_auditqd $AUDITQD_PID
[ $AUDITQD_RC -eq 0 ] || dfail "auditqd exited $AUDITQD_RC after SIGTERM"

failed=0 checks=0
bad() { echo "detect: FAIL: $*"; failed=$((failed + 1)); }
ok() { echo "detect: $*: ok"; }
# alert DETECTOR: the lines of that detector in the alert file
alert() { grep "\"detector\":\"$1\"" $DALERTS; }
sed 's/^/detect:   /' $DALERTS | cut -c1-200

# The open for appending, then this script's own two writes (the helper's
# pattern, the value put back): three actions, each one audit+sensor alert.
checks=$((checks + 1))
n=$(alert kernel-hook-write | grep -c '"source":"audit+sensor"')
if [ "$n" -eq 3 ] && [ $(alert kernel-hook-write | grep -c .) -eq 3 ]; then ok "kernel-hook-write: three writes, three audit+sensor alerts"; else bad "kernel-hook-write: $(alert kernel-hook-write)"; fi
checks=$((checks + 1))
if [ -e $DP/helper.ran ] && [ $(alert usermode-helper-exec | grep -c .) -eq 1 ] && alert usermode-helper-exec | grep -q '"source":"audit+sensor"'; then ok "usermode-helper-exec: $(alert usermode-helper-exec | grep -o '"source":"[a-z+]*"' | head -1)"; else bad "usermode-helper-exec (helper ran: $([ -e $DP/helper.ran ] && echo yes || echo no)): $(alert usermode-helper-exec)"; fi
checks=$((checks + 1))
if grep -q 'mount=' $DP/c.out && alert mount-from-container | grep -q '"container":"detmount"' && alert mount-from-container | grep -q 'sensor'; then
    ok "mount-from-container: the refused mount, container detmount"
else
    bad "mount-from-container: $(cat $DP/c.out) $(alert mount-from-container)"
fi
checks=$((checks + 1))
if alert runtime-binary-write | grep -q 'sensor'; then ok "runtime-binary-write"; else bad "runtime-binary-write: $(alert runtime-binary-write)"; fi
checks=$((checks + 1))
stored=$(auditq alerts --store $DSTORE --format json 2>&1 | grep -c '"detector"')
sent=$(grep -c . $DALERTS)
if [ "$stored" -eq "$sent" ]; then ok "auditq alerts lists the $stored alerts sent"; else bad "stored $stored alerts, sent $sent"; fi
checks=$((checks + 1))
cov=$(auditq detect --store $DSTORE --coverage 2>&1)
if echo "$cov" | grep -q 'sensor: lsm' && echo "$cov" | grep -A2 '^cgroup-release-agent' | grep -q 'sensor runs in lsm mode'; then
    ok "coverage: the sensor in lsm mode covers cgroup-release-agent"
else
    bad "coverage: $(echo "$cov" | head -n 8)"
fi
rm -rf $DP
echo "detect: took $(($(cut -d. -f1 /proc/uptime) - t0)) s"
if [ $failed -eq 0 ]; then
    echo "detect: PASS ($checks checks)"
else
    echo "detect: FAIL ($failed of $checks checks)"
    sed 's/^/  auditqd: /' $DLOG | tail -n 20
    exit 1
fi
