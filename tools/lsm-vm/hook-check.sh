# hook-check.sh: without auditqd, prove every trigger fires its hook: the
# stand-in loader hook-check attaches bpf_lsm/'s five LSM families and runs
# triggers.sh (busybox sh; `tools/lsm-vm-test --hook-check`). Exits 1 when a
# kind has no event from trigger.
echo "hook-check: /sys/kernel/security/lsm = $(cat /sys/kernel/security/lsm)"
echo > /tmp/watched
hook-check /lsm-vm/obj /tmp/watched -- "sh /lsm-vm/triggers.sh" >/tmp/hc.out 2>&1
rc=$?
cat /tmp/hc.out
[ $rc -eq 0 ] || { echo "hook-check: FAIL (exit $rc)"; exit 1; }
bad=0
for k in "1 exec /tmp/sensor-probe" "2 file_open /tmp/watched" "3 connect.*port 4242" \
         "4 kernel_read_file id 2 path '/tmp/notamodule'" "5 kernel_load_data id 2" "6 bpf cmd 5 type 1" \
         "7 ptrace" "8 setuid.*-> 65534" "9 mount trigger type tmpfs on /tmp/sensor-mnt" \
         "10 unlink /tmp/sensor-unlink-me" "11 chmod /tmp/sensor-chmod-me 600" "12 kill sig 10"; do
    kind=${k%% *} pat=${k#* }
    if grep -q "kind $kind .*: $pat" /tmp/hc.out; then echo "hook-check: kind $kind ($pat): ok"
    else echo "hook-check: kind $kind ($pat): MISSING"; bad=1; fi
done
[ $bad -eq 0 ] && echo "hook-check: PASS" || echo "hook-check: FAIL"
[ $bad -eq 0 ]
