# self-check.sh: the lsm-vm-test self check, run inside the VM by busybox sh.
# Shows the active LSMs (must include bpf), then lsm-check loads and attaches
# count_execs.bpf.o to lsm/bprm_check_security and counts a few execs.
echo "self-check: kernel $(uname -r)"
lsm=$(cat /sys/kernel/security/lsm) || { echo "self-check: FAIL: cannot read /sys/kernel/security/lsm"; exit 1; }
echo "self-check: /sys/kernel/security/lsm = $lsm"
case ",$lsm," in
    *,bpf,*) ;;
    *) echo "self-check: FAIL: bpf is not an active LSM"; exit 1 ;;
esac
[ -e /sys/kernel/btf/vmlinux ] || { echo "self-check: FAIL: no /sys/kernel/btf/vmlinux"; exit 1; }
lsm-check /lsm-check/count_execs.bpf.o 5 || { echo "self-check: FAIL: lsm-check exited $?"; exit 1; }
echo "self-check: PASS"
