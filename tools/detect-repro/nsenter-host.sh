#!/usr/bin/env bash
# Imitates: joining another process's namespaces with setns (a container
# process breaking out with `nsenter -t 1 -m -u`). Root on the host joins the
# mount and UTS namespaces of PID 1 (its own). Harmless: runs `true`.
# NSENTER_TARGET=self targets a `sleep` this script starts in the host's
# namespaces instead (same namespaces; use it where PID 1's /proc/1/ns is not
# accessible, e.g. a sandbox whose PID 1 has more capabilities than root's shell).
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin   # fixed PATH: deterministic exe paths in the records
DIR=${1:?scratch dir}
T=${NSENTER_TARGET:-1}
SLEEP_PID=
if [ "$T" = self ]; then
    sleep 30 & SLEEP_PID=$!; T=$SLEEP_PID
    trap 'kill "$SLEEP_PID" 2>/dev/null || true; wait "$SLEEP_PID" 2>/dev/null || true' EXIT
fi
nsenter -t "$T" -m -u -- true
echo "nsenter -t $T -m -u -- true: exit 0"
