# collector.sh: sourced by the VM's scripts (sensor-test.sh,
# container-test.sh, profile-test.sh, detect-test.sh) to start auditqd and
# wait until it collects, and to make OCI bundles.
#
# start_auditqd LOG ARGS...: starts `auditqd ARGS` in the background with
# stdout and stderr in LOG (removed first: a stale log would satisfy the
# wait), waits for its "collecting" line (120 s at most under TCG); sets
# AUDITQD_PID and AUDITQD_UP (seconds it took). Returns 1 with AUDITQD_WHY
# set when auditqd exits first or stays silent (then it has been sent SIGTERM).
start_auditqd() {
    _log=$1
    shift
    rm -f "$_log"
    auditqd "$@" >"$_log" 2>&1 &
    AUDITQD_PID=$!
    _i=0
    until grep -qs collecting "$_log"; do
        if ! kill -0 $AUDITQD_PID 2>/dev/null; then
            AUDITQD_WHY="auditqd exited before its collecting line"
            return 1
        fi
        _i=$((_i + 1))
        if [ $_i -gt 1200 ]; then
            kill -TERM $AUDITQD_PID
            AUDITQD_WHY="no collecting line from auditqd after 120 s"
            return 1
        fi
        usleep 100000
    done
    AUDITQD_UP=$((_i / 10))
}

# stop_auditqd PID: SIGTERM, then waits (30 s at most, then SIGKILL); sets
# AUDITQD_RC to its exit status (137 after SIGKILL). Must be called from the
# shell that started it (it waits for its child).
stop_auditqd() {
    kill -TERM $1
    _i=0
    while kill -0 $1 2>/dev/null; do
        _i=$((_i + 1))
        if [ $_i -gt 300 ]; then
            kill -KILL $1
            break
        fi
        usleep 100000
    done
    wait $1
    AUDITQD_RC=$?
}

# bundle DIR CGROUPS-PATH SCRIPT CAPS [SECCOMP-JSON-FILE]: an OCI bundle
# whose rootfs is the VM's busybox with a few applets, running SCRIPT as
# root with the capabilities CAPS (quoted, comma-separated), in the cgroup
# CGROUPS-PATH, with its own pid, ipc, uts, mount and network namespaces and
# without a seccomp filter unless one is given (profile-test.sh, detect-test.sh).
bundle() {
    mkdir -p $1/rootfs/bin
    cp /bin/busybox $1/rootfs/bin/busybox
    for a in sh cat ls head nc chown rm echo mkdir ping mount; do ln -s busybox $1/rootfs/bin/$a; done
    seccomp=""
    [ -n "$5" ] && seccomp=", \"seccomp\": $(cat $5)"
    cat >$1/config.json <<EOF
{
  "ociVersion": "1.0.2",
  "process": {
    "terminal": false,
    "user": { "uid": 0, "gid": 0 },
    "args": [ "/bin/busybox", "sh", "-c", "$3" ],
    "env": [ "PATH=/bin" ],
    "cwd": "/",
    "capabilities": { "bounding": [ $4 ], "effective": [ $4 ], "permitted": [ $4 ] }
  },
  "root": { "path": "rootfs", "readonly": false },
  "hostname": "vmlp",
  "mounts": [
    { "destination": "/proc", "type": "proc", "source": "proc" },
    { "destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": [ "nosuid", "strictatime", "mode=755", "size=65536k" ] }
  ],
  "linux": {
    "cgroupsPath": "$2",
    "namespaces": [ { "type": "pid" }, { "type": "ipc" }, { "type": "uts" }, { "type": "mount" }, { "type": "network" } ]$seccomp
  }
}
EOF
}
