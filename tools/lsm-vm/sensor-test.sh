# sensor-test.sh: auditqd's BPF-LSM sensor end to end, inside the VM (busybox
# sh, run by `tools/lsm-vm-test --sensor-test`, which also copies auditqd,
# auditq and trigger into /usr/local/bin).
#
# Starts `auditqd --store /tmp/s.db --no-rules --watch /tmp/watched` in the
# background, waits for its "collecting" line, requires "sensor: lsm", fires
# every hook once with trigger (tools/lsm-vm/trigger.c) or busybox, stops
# auditqd with SIGTERM, then for each hook prints
#   hook NAME: N event(s) ok          (at least one event, and the check field)
#   hook NAME: MISSING                (no event)
#   hook NAME: N event(s), but none with PATTERN
# from `auditq search --store /tmp/s.db --source lsm --hook NAME --format json`,
# then runs /lsm-vm/container-test.sh (`containers: ...` lines),
# profile-test.sh (`profile: ...`), detect-test.sh (`detect: ...`) and the
# --protect part, and exits 1 if any hook or either part failed.
STORE=/tmp/s.db
LOG=/tmp/auditqd.log
PORT=4242
fail() { echo "sensor-test: FAIL: $*"; [ -f $LOG ] && sed 's/^/  auditqd: /' $LOG | tail -n 20; exit 1; }

for b in auditqd auditq trigger; do
    command -v $b >/dev/null || fail "$b is not in the VM (run through tools/lsm-vm-test --sensor-test)"
done

# --- the collector ------------------------------------------------------------
. /lsm-vm/collector.sh
rm -f $STORE $STORE-wal $STORE-shm
echo "watched file" >/tmp/watched
start_auditqd $LOG --store $STORE --no-rules --watch /tmp/watched || fail "$AUDITQD_WHY"
AUDITQD=$AUDITQD_PID
sensor=$(grep -m1 -E 'sensor: (lsm|tracepoint|audit only)' $LOG)
echo "sensor-test: auditqd pid $AUDITQD up after $AUDITQD_UP s: sensor:${sensor#*sensor:}"
grep 'sensor:' $LOG | grep -v -F "$sensor" | sed 's/^.*sensor:/sensor-test: note: auditqd: sensor:/'
case $sensor in
    *"sensor: lsm"*) ;;
    "") kill -TERM $AUDITQD; fail "auditqd printed no sensor line" ;;
    *) kill -TERM $AUDITQD; fail "the sensor is not BPF-LSM: $sensor" ;;
esac

# --- one action per hook -------------------------------------------------------
PORT=$PORT . /lsm-vm/triggers.sh

# --- stop, then look -------------------------------------------------------------
sleep 1 # let the ring buffer drain into a committed batch
stop_auditqd $AUDITQD
echo "sensor-test: auditqd stopped, exit status $AUDITQD_RC"
[ $AUDITQD_RC -eq 0 ] || fail "auditqd exited $AUDITQD_RC after SIGTERM (137: killed after 30 s)"
grep -q 'sensor: the ring buffer was full' $LOG && echo "sensor-test: note: $(grep -m1 'ring buffer was full' $LOG)"

missing=0
check() { # HOOK ERE-PATTERN (matched against the JSON lines, raw records included)
    out=$(auditq search --store $STORE --source lsm --hook "$1" --format json 2>&1)
    if [ $? -ne 0 ]; then
        echo "hook $1: MISSING (auditq search failed: $(echo "$out" | head -n1))"
        missing=$((missing + 1)); return
    fi
    n=$(echo "$out" | grep -c '^{')
    if [ "$n" -eq 0 ]; then
        echo "hook $1: MISSING"
        missing=$((missing + 1))
    elif ! echo "$out" | grep -Eq -- "$2"; then
        echo "hook $1: $n event(s), but none with $2"
        echo "$out" | head -n 2 | cut -c1-600 | sed 's/^/  /'
        missing=$((missing + 1))
    else
        echo "hook $1: $n event(s) ok"
    fi
}
check bprm_check_security '/tmp/sensor-probe'
check file_open '/tmp/watched'
check socket_connect "port=$PORT"
check kernel_read_file '/tmp/notamodule'
check kernel_load_data ' id=2 '
check bpf 'cmd=5 type=1'
check ptrace_access_check 'target_comm=[\\"]*trigger'
check task_fix_setuid 'new_uid=65534'
check sb_mount '/tmp/sensor-mnt'
check path_unlink '/tmp/sensor-unlink-me'
check path_chmod 'sensor-chmod-me.* mode=0600'
check task_kill 'sig=10 '
if [ $missing -eq 0 ]; then
    echo "sensor-test: PASS (12 hooks)"
else
    echo "sensor-test: FAIL ($missing of 12 hooks missing or wrong)"
    sed 's/^/  auditqd: /' $LOG | tail -n 20
fi

# --- containers: auditqd names each event's container (runc, cgroup v2) -------
# Before the protect part, which leaves its collector running.
sh /lsm-vm/container-test.sh </dev/null
containers=$?

# --- least privilege: learn with lsm/capable, enforce the profile ---------------
sh /lsm-vm/profile-test.sh </dev/null
profiled=$?

# --- detectors: LSM signatures, live alerts --------------------------------------
sh /lsm-vm/detect-test.sh </dev/null
detected=$?

# --- auditqd --protect: the store and the collector are guarded ---------------
# Only pid 1 may signal a protecting collector, so this one is left running:
# the VM powers off after the script.
PSTORE=/tmp/p.db PLOG=/tmp/auditqd-protect.log
rm -f $PSTORE $PSTORE-wal $PSTORE-shm
start_auditqd $PLOG --store $PSTORE --no-rules --protect \
    || { sed 's/^/  auditqd: /' $PLOG; echo "protect: FAIL: $AUDITQD_WHY"; exit 1; }
PROTECTOR=$AUDITQD_PID
denied=0
( echo garbage >>$PSTORE ) 2>/dev/null || denied=$((denied + 1))
rm -f $PSTORE-wal 2>/dev/null; [ -e $PSTORE-wal ] && denied=$((denied + 1))
kill -TERM $PROTECTOR 2>/dev/null || denied=$((denied + 1))
usleep 300000
kill -0 $PROTECTOR 2>/dev/null || { echo "protect: FAIL: SIGTERM from another process stopped the protecting auditqd"; exit 1; }
sleep 1
reported=$(auditq search --store $PSTORE --source lsm --format json 2>/dev/null | grep -c '"protected":"1"')
echo "protect: $denied of 3 attacks denied (append to the store, unlink of its WAL, SIGTERM); $reported reported with protected=1"
if [ $denied -ne 3 ] || [ "$reported" -lt 3 ]; then
    echo "protect: FAIL"; sed 's/^/  auditqd: /' $PLOG | tail -n 10; exit 1
fi
echo "protect: PASS"
[ $missing -eq 0 ] && [ $containers -eq 0 ] && [ $profiled -eq 0 ] && [ $detected -eq 0 ]
