# profile-test.sh: least privilege with BPF-LSM, inside the VM (busybox sh;
# run by sensor-test.sh after container-test.sh; lsm-vm-test --sensor-test
# copies it to /lsm-vm/profile-test.sh).
#
# 1. `auditqd --learn` with the rule `-a always,exit -F arch=b64 -S all
#    -F exit=-EPERM -k lpdeny`; requires "learning syscalls, capabilities
#    (lsm/capable)": capability checks come from the LSM hook, which skips
#    the kernel's CAP_OPT_NOAUDIT probes.
# 2. runc runs the workload (write, read, list, a TCP socket, chown to uid 1, remove) in
#    cgroup /vmtest/lplearn with docker's 14 capabilities; auditqd stops
#    (its last learned row is written at stop).
# 3. `auditq profile --container lplearn`: CAP_CHOWN used, CAP_SYS_ADMIN not,
#    granted 14; the seccomp JSON and the docker flags' --cap-add list.
# 4. auditqd again (no --learn); the same workload under the profile and
#    only the used capabilities: same output, exit 0; the variant (the
#    workload, then mkdir and a raw socket): mkdir refused (EPERM), ping
#    refused, and the refused socket (no CAP_NET_RAW: the filter allows
#    socket, which the workload used) is in the store.
# One line per check, `profile: ... ok` or `profile: FAIL: ...`; ends with
# `profile: PASS (N checks)` or `profile: FAIL (M of N checks)`.
LSTORE=/tmp/lp.db
LLOG=/tmp/auditqd-profile.log
LRULES=/tmp/profile.rules
LP=/tmp/lp
pfail() { echo "profile: FAIL: $*"; [ -f $LLOG ] && sed 's/^/  auditqd: /' $LLOG | tail -n 20; exit 1; }
t0=$(cut -d. -f1 /proc/uptime)
CAPS14='"CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FSETID","CAP_FOWNER","CAP_MKNOD","CAP_NET_RAW","CAP_SETGID","CAP_SETUID","CAP_SETFCAP","CAP_SETPCAP","CAP_NET_BIND_SERVICE","CAP_SYS_CHROOT","CAP_KILL","CAP_AUDIT_WRITE"'
WORK='echo data > /w; cat /w; ls /bin | head -2; nc -w 1 127.0.0.1 9 </dev/null 2>&1; chown 1 /w; rm -f /w; echo done'
MORE="$WORK; mkdir /d 2>&1; echo mkdir=\$?; ping -c 1 -W 1 127.0.0.1 >/dev/null 2>&1; echo ping=\$?"

. /lsm-vm/collector.sh
rm -rf $LP $LSTORE $LSTORE-wal $LSTORE-shm
echo "-a always,exit -F arch=b64 -S all -F exit=-EPERM -k lpdeny" >$LRULES

# --- 1, 2: learn -------------------------------------------------------------------
start_auditqd $LLOG --store $LSTORE --rules $LRULES --learn || pfail "$AUDITQD_WHY"
grep -q 'learning syscalls, capabilities (lsm/capable)' $LLOG || { stop_auditqd $AUDITQD_PID; pfail "learning is not on lsm/capable: $(grep -m1 'learning\|--learn' $LLOG)"; }
echo "profile: auditqd pid $AUDITQD_PID up after $AUDITQD_UP s, $(grep -m1 -o 'learning .*' $LLOG)"
bundle $LP/learn /vmtest/lplearn "$WORK" "$CAPS14"
runc run --no-pivot -b $LP/learn lplearn </dev/null >$LP/learn.out 2>&1 || pfail "runc run lplearn: exit $?: $(tail -n 3 $LP/learn.out)"
stop_auditqd $AUDITQD_PID
[ $AUDITQD_RC -eq 0 ] || pfail "auditqd exited $AUDITQD_RC after SIGTERM"

# --- 3: the profile ------------------------------------------------------------------
failed=0 checks=0
bad() { echo "profile: FAIL: $*"; failed=$((failed + 1)); }
ok() { echo "profile: $*: ok"; }
checks=$((checks + 1))
summary=$(auditq profile --store $LSTORE --container lplearn 2>&1)
echo "$summary" | sed 's/^/profile:   /' | head -n 12
echo "profile:   binaries: $(auditq profile --store $LSTORE --container lplearn --format json 2>&1 | tr -d '\n ' | sed 's/.*"binaries":\[\([^]]*\)\].*/\1/')"
if echo "$summary" | grep -q 'capabilities: granted 14, used .*CAP_CHOWN' && ! echo "$summary" | grep 'used' | grep -q CAP_SYS_ADMIN; then
    ok "granted 14, CAP_CHOWN used, CAP_SYS_ADMIN not"
else
    bad "capabilities: $(echo "$summary" | grep capabilities)"
fi
auditq profile --store $LSTORE --container lplearn --format seccomp >$LP/profile.json 2>$LP/profile.err || pfail "auditq profile --format seccomp: $(cat $LP/profile.err)"
caps=$(auditq profile --store $LSTORE --container lplearn --format docker 2>/dev/null | tr ' ' '\n' | sed -n 's/^--cap-add=\(CAP_[A-Z_]*\)$/"\1"/p' | tr '\n' ',' | sed 's/,$//')
echo "profile: the profile grants [$caps] and $(grep -c '^        "' $LP/profile.json) syscalls"

# --- 4: enforce --------------------------------------------------------------------
start_auditqd $LLOG --store $LSTORE --rules $LRULES || pfail "$AUDITQD_WHY"
bundle $LP/same /vmtest/lpsame "$WORK" "$caps" $LP/profile.json
bundle $LP/more /vmtest/lpmore "$MORE" "$caps" $LP/profile.json
checks=$((checks + 1))
if runc run --no-pivot -b $LP/same lpsame </dev/null >$LP/same.out 2>&1 && cmp -s $LP/learn.out $LP/same.out; then
    ok "the workload under its profile: exit 0, same output"
else
    bad "the workload under its profile: $(tail -n 3 $LP/same.out)"
fi
runc run --no-pivot -b $LP/more lpmore </dev/null >$LP/more.out 2>&1
checks=$((checks + 1))
if grep -q 'mkdir=1' $LP/more.out && grep -q 'Operation not permitted' $LP/more.out; then ok "the variant's mkdir refused (EPERM)"; else bad "mkdir: $(cat $LP/more.out)"; fi
checks=$((checks + 1))
if grep -q 'ping=[12]' $LP/more.out; then ok "the variant's ping refused"; else bad "ping: $(cat $LP/more.out)"; fi
sleep 1
stop_auditqd $AUDITQD_PID
checks=$((checks + 1))
denied=$(auditq search --store $LSTORE -k lpdeny --container lpmore -sc socket --format json 2>&1 | grep -c '"container":{"id":"lpmore"')
if [ "$denied" -ge 1 ]; then ok "the refused raw socket is in the store ($denied event(s) in lpmore)"; else bad "no refused socket of lpmore in the store"; fi
rm -rf $LP
echo "profile: took $(($(cut -d. -f1 /proc/uptime) - t0)) s"
if [ $failed -eq 0 ]; then
    echo "profile: PASS ($checks checks)"
else
    echo "profile: FAIL ($failed of $checks checks)"
    sed 's/^/  auditqd: /' $LLOG | tail -n 20
    exit 1
fi
