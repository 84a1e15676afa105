# protect-test.sh: bpf_lsm/protect.bpf.c in the VM (run by busybox sh through
# `tools/lsm-vm-test --protect-test`). protect-check (a stand-in collector)
# loads it with enforce=1, then enforce=0; a child shell tries to write,
# truncate, unlink and rename the protected files and to signal and
# ptrace-attach the collector. With enforce=1 every attempt must fail with
# EPERM (and reads, other files, signal 0 must pass); with enforce=0 every
# attempt must succeed; both runs must report the attempts with ret -EPERM /
# ret 0. Exit status 0 when all holds.
OBJ=/protect/protect.bpf.o
fails=0

# attempts EXPECT: run in the child; EXPECT is EPERM (enforce=1) or ok.
if [ "$1" = attempts ]; then
    want=$1; want=$2; bad=0
    check() { # EXPECTED trigger args...
        exp=$1; shift
        out=$(trigger "$@" 2>&1)
        case $exp:$out in
            EPERM:*EPERM*|ok:*": ok") echo "  $out  [as expected]" ;;
            *) echo "  $out  [WRONG: expected $exp]"; bad=1 ;;
        esac
    }
    check "$want" open /tmp/p/store.db w
    check "$want" open /tmp/p/store.db-wal rw
    check "$want" open /tmp/p/store.db append
    check "$want" truncate /tmp/p/store.db 1
    check "$want" open /tmp/p/store.db trunc
    check "$want" kill "$PROTECTED_PID" 15
    check "$want" ptrace "$PROTECTED_PID"
    check ok open /tmp/p/store.db r
    check ok open /tmp/p/other w
    check ok kill "$PROTECTED_PID" 0
    check "$want" rename /tmp/p/other /tmp/p/store.db-wal
    check "$want" rename /tmp/p/store.db /tmp/p/moved.db
    check "$want" unlink /tmp/p/store.db-wal
    exit $bad
fi

run() { # ENFORCE EXPECT
    rm -rf /tmp/p; mkdir -p /tmp/p
    echo data >/tmp/p/store.db; echo wal >/tmp/p/store.db-wal; echo other >/tmp/p/other
    echo "protect-test: enforce=$1: attempts by another process must give $2"
    protect-check "$OBJ" "$1" /tmp/p/store.db /tmp/p/store.db-wal -- "sh /test.sh attempts $2" >/tmp/p.out 2>&1
    rc=$?
    cat /tmp/p.out
    [ $rc -eq 0 ] || { echo "protect-test: enforce=$1: FAIL (attempts exit $rc)"; fails=$((fails + 1)); return; }
    n=$(grep -c 'protect-check: event' /tmp/p.out)
    if [ "$1" = 1 ]; then
        ret=-1; sigs=0
    else
        ret=0; sigs=1
    fi
    nret=$(grep -c "protect-check: event .* ret $ret flags 0x8" /tmp/p.out)
    grep -q "signals received: $sigs\$" /tmp/p.out || { echo "protect-test: enforce=$1: FAIL: expected $sigs signal(s) received"; fails=$((fails + 1)); }
    grep -q "own write-open of /tmp/p/store.db: ok" /tmp/p.out || { echo "protect-test: enforce=$1: FAIL: the collector's own write was refused"; fails=$((fails + 1)); }
    # 10 protected attempts: 3 write-opens, truncate, O_TRUNC open (file_open), kill, ptrace, 2 renames, unlink
    if [ "$n" -ge 10 ] && [ "$nret" -eq "$n" ]; then
        echo "protect-test: enforce=$1: PASS ($n events, all ret $ret with AUDITQ_FLAG_PROTECTED)"
    else
        echo "protect-test: enforce=$1: FAIL ($n events, $nret with ret $ret and the flag; want >= 10, all)"
        fails=$((fails + 1))
    fi
}

run 1 EPERM
run 0 ok
[ $fails -eq 0 ] && echo "protect-test: PASS" || echo "protect-test: FAIL ($fails)"
[ $fails -eq 0 ]
