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
# from `auditq search --store /tmp/s.db --source lsm --hook NAME --format json`
# and exits 1 if any hook failed.
STORE=/tmp/s.db
LOG=/tmp/auditqd.log
PORT=4242
fail() { echo "sensor-test: FAIL: $*"; [ -f $LOG ] && sed 's/^/  auditqd: /' $LOG | tail -n 20; exit 1; }

for b in auditqd auditq trigger; do
    command -v $b >/dev/null || fail "$b is not in the VM (run through tools/lsm-vm-test --sensor-test)"
done

# --- the collector ------------------------------------------------------------
rm -f $STORE $STORE-wal $STORE-shm $LOG # a stale log would satisfy the wait below
echo "watched file" >/tmp/watched
auditqd --store $STORE --no-rules --watch /tmp/watched >$LOG 2>&1 &
AUDITQD=$!
i=0
until grep -qs collecting $LOG; do
    kill -0 $AUDITQD 2>/dev/null || fail "auditqd exited before its collecting line"
    i=$((i + 1))
    [ $i -le 1200 ] || { kill -TERM $AUDITQD; fail "no collecting line from auditqd after 120 s"; }
    usleep 100000
done
sensor=$(grep -m1 -E 'sensor: (lsm|tracepoint|audit only)' $LOG)
echo "sensor-test: auditqd pid $AUDITQD up after $((i / 10)) s: sensor:${sensor#*sensor:}"
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
kill -TERM $AUDITQD
i=0
while kill -0 $AUDITQD 2>/dev/null; do
    i=$((i + 1))
    [ $i -le 300 ] || { kill -KILL $AUDITQD; fail "auditqd did not stop within 30 s of SIGTERM"; }
    usleep 100000
done
wait $AUDITQD
rc=$?
echo "sensor-test: auditqd stopped, exit status $rc"
[ $rc -eq 0 ] || fail "auditqd exited $rc after SIGTERM"
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

# --- auditqd --protect: the store and the collector are guarded ---------------
# Only pid 1 may signal a protecting collector, so this one is left running:
# the VM powers off after the script.
PSTORE=/tmp/p.db PLOG=/tmp/auditqd-protect.log
rm -f $PSTORE $PSTORE-wal $PSTORE-shm $PLOG
auditqd --store $PSTORE --no-rules --protect >$PLOG 2>&1 &
PROTECTOR=$!
i=0
until grep -qs collecting $PLOG; do
    kill -0 $PROTECTOR 2>/dev/null || { sed 's/^/  auditqd: /' $PLOG; echo "protect: FAIL: auditqd --protect exited"; exit 1; }
    i=$((i + 1)); [ $i -le 1200 ] || { echo "protect: FAIL: no collecting line"; exit 1; }
    usleep 100000
done
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
[ $missing -eq 0 ]
