# container-test.sh: auditqd names the container of each event, with BPF-LSM
# and a pure cgroup v2 hierarchy, inside the VM (busybox sh; run by
# sensor-test.sh after the hook checks; lsm-vm-test --sensor-test copies it to
# /lsm-vm/container-test.sh and runc to /usr/sbin/runc).
#
# Mounts cgroup2 at /sys/fs/cgroup when nothing is mounted there, starts
# `auditqd --store /tmp/c.db --rules FILE` (primary mode, rule
# `-a always,exit -F arch=b64 -S execve,mkdir -k ctr`), requires
# "sensor: lsm", then runs two containers with runc (rootfs: the VM's
# /bin/busybox; `--no-pivot`: the VM's root is the initramfs):
#   docker layout: cgroupsPath /docker/<64 hex>, docker's config.v2.json and
#                  hostconfig.json; `mkdir /m1; /bin/busybox true; mkdir /m2`
#   plain runc:    cgroupsPath /vmtest/plain1, runc id plain1; `mkdir /p1`
# and a host `mkdir /tmp/hostdir`; stops auditqd with SIGTERM and checks with
# auditq (one line per check, `containers: ... ok` or `containers: FAIL: ...`):
# in `auditq search -k ctr -sc mkdir --format json`, the /m1 and /m2 events
# carry the docker id, runtime docker and name vmweb;
# /p1 runtime runc and id plain1; /tmp/hostdir no container (--host-only);
# `auditq containers` lists both. Ends with `containers: PASS` or
# `containers: FAIL (N of 6 checks)`; exit status 0 when all passed.
CSTORE=/tmp/c.db
CLOG=/tmp/auditqd-containers.log
CRULES=/tmp/containers.rules
CTR=/tmp/ctr
DID=5eed0c0ffee1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b
cfail() { echo "containers: FAIL: $*"; [ -f $CLOG ] && sed 's/^/  auditqd: /' $CLOG | tail -n 20; exit 1; }
t0=$(cut -d. -f1 /proc/uptime)

for b in auditqd auditq runc; do
    command -v $b >/dev/null || cfail "$b is not in the VM (run through tools/lsm-vm-test --sensor-test)"
done

# --- a pure cgroup v2 host -------------------------------------------------------
if ! grep -q ' /sys/fs/cgroup ' /proc/self/mountinfo; then
    mount -t cgroup2 none /sys/fs/cgroup || cfail "mount -t cgroup2 none /sys/fs/cgroup failed"
fi
echo "containers: /sys/fs/cgroup: $(grep ' /sys/fs/cgroup ' /proc/self/mountinfo | sed 's/.* - \([^ ]*\) .*/\1/'), controllers: $(cat /sys/fs/cgroup/cgroup.controllers 2>/dev/null)"

# --- two bundles: the VM's busybox as rootfs, a hand-written config.json -----
# bundle DIR CGROUPS-PATH SCRIPT
bundle() {
    mkdir -p $1/rootfs/bin
    cp /bin/busybox $1/rootfs/bin/busybox
    for a in sh mkdir true; do ln -s busybox $1/rootfs/bin/$a; done
    cat >$1/config.json <<EOF
{
  "ociVersion": "1.0.2",
  "process": {
    "terminal": false,
    "user": { "uid": 0, "gid": 0 },
    "args": [ "/bin/busybox", "sh", "-c", "$3" ],
    "env": [ "PATH=/bin" ],
    "cwd": "/"
  },
  "root": { "path": "rootfs", "readonly": false },
  "hostname": "vmctr",
  "mounts": [
    { "destination": "/proc", "type": "proc", "source": "proc" },
    { "destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": [ "nosuid", "strictatime", "mode=755", "size=65536k" ] }
  ],
  "linux": {
    "cgroupsPath": "$2",
    "namespaces": [ { "type": "pid" }, { "type": "ipc" }, { "type": "uts" }, { "type": "mount" }, { "type": "network" } ]
  }
}
EOF
}
rm -rf $CTR
bundle $CTR/docker "/docker/$DID" "mkdir /m1; /bin/busybox true; mkdir /m2"
bundle $CTR/plain /vmtest/plain1 "mkdir /p1"
mkdir -p /var/lib/docker/containers/$DID
cat >/var/lib/docker/containers/$DID/config.v2.json <<EOF
{"ID":"$DID","Name":"/vmweb","Config":{"Image":"busybox:vm","Labels":{}}}
EOF
echo '{"Privileged":false}' >/var/lib/docker/containers/$DID/hostconfig.json

# --- the collector, primary mode --------------------------------------------------
echo "-a always,exit -F arch=b64 -S execve,mkdir -k ctr" >$CRULES
. /lsm-vm/collector.sh
rm -f $CSTORE $CSTORE-wal $CSTORE-shm
start_auditqd $CLOG --store $CSTORE --rules $CRULES || cfail "$AUDITQD_WHY"
CQD=$AUDITQD_PID
sensor=$(grep -m1 -E 'sensor: (lsm|tracepoint|audit only)' $CLOG)
case $sensor in
    *"sensor: lsm"*) echo "containers: auditqd pid $CQD up after $AUDITQD_UP s: sensor:${sensor#*sensor:}" ;;
    *) kill -TERM $CQD; cfail "the sensor is not BPF-LSM: ${sensor:-no sensor line}" ;;
esac

# --- the containers and a host mkdir -------------------------------------------------
runc run --no-pivot -b $CTR/docker $DID </dev/null >/tmp/runc-docker.log 2>&1 \
    || echo "containers: FAIL: runc run $DID: exit $?: $(tail -n 3 /tmp/runc-docker.log)"
runc run --no-pivot -b $CTR/plain plain1 </dev/null >/tmp/runc-plain.log 2>&1 \
    || echo "containers: FAIL: runc run plain1: exit $?: $(tail -n 3 /tmp/runc-plain.log)"
mkdir /tmp/hostdir
echo "containers: ran $DID (docker layout) and plain1 (runc), mkdir /tmp/hostdir on the host"

sleep 1 # let the ring buffer and the audit socket drain into a committed batch
stop_auditqd $CQD
[ $AUDITQD_RC -eq 0 ] || cfail "auditqd exited $AUDITQD_RC after SIGTERM (137: killed after 30 s)"
grep 'container:' $CLOG | sed 's/^.*container:/containers: auditqd: container:/'

# --- checks ------------------------------------------------------------------------
failed=0
bad() { echo "containers: FAIL: $*"; failed=$((failed + 1)); }
# One search for the container mkdirs (each auditq run costs seconds under TCG).
mkdirs=$(auditq search --store $CSTORE -k ctr -sc mkdir --format json 2>&1)
# in_container PATH ID RUNTIME [NAME]: every -k ctr mkdir of PATH names that container
in_container() {
    out=$(echo "$mkdirs" | grep "^{.*\"path\":\"$1\"")
    n=$(echo "$out" | grep -c '^{')
    [ "$n" -gt 0 ] || { bad "$1: no -k ctr mkdir event ($(echo "$mkdirs" | head -n1 | cut -c1-200))"; return; }
    want="\"id\":\"$2\",\"runtime\":\"$3\"${4:+,\"name\":\"$4\"}"
    wrong=$(echo "$out" | sed 's/.*"container":{\([^}]*\)}.*/\1/; t; s/.*/no container/' | grep -v -F "$want")
    if [ -z "$wrong" ]; then
        echo "containers: $1: $n event(s) in $3 ${4:-$2}: ok"
    else
        bad "$1: $(echo "$wrong" | wc -l) of $n event(s) not in $want: $(echo "$wrong" | head -n1)"
    fi
}
in_container /m1 $DID docker vmweb
in_container /m2 $DID docker vmweb
in_container /p1 plain1 runc
out=$(auditq search --store $CSTORE --host-only -k ctr -f /tmp/hostdir --format json 2>&1)
n=$(echo "$out" | grep -c '^{')
if [ "$n" -gt 0 ] && ! echo "$out" | grep -q '"container":'; then
    echo "containers: /tmp/hostdir: $n event(s) with --host-only, no container: ok"
else
    bad "/tmp/hostdir: --host-only finds $n event(s): $(echo "$out" | head -n1 | cut -c1-300)"
fi
list=$(auditq containers --store $CSTORE --format json 2>&1)
for c in "$DID docker" "plain1 runc"; do # one line per container, then its id and runtime
    if echo "$list" | sed 's/{"audit_events"/\n&/g' | grep "\"id\":\"${c% *}\"" | grep -q "\"runtime\":\"${c#* }\""; then
        echo "containers: auditq containers lists ${c#* } ${c% *}: ok"
    else
        bad "auditq containers does not list ${c#* } ${c% *}: $(echo "$list" | cut -c1-300)"
    fi
done
rm -rf /var/lib/docker $CTR
echo "containers: took $(($(cut -d. -f1 /proc/uptime) - t0)) s"
if [ $failed -eq 0 ]; then
    echo "containers: PASS (6 checks)"
else
    echo "containers: FAIL ($failed of 6 checks)"
    sed 's/^/  auditqd: /' $CLOG | tail -n 20
    exit 1
fi
