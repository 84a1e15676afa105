#!/usr/bin/env bash
# Imitates: ptrace of another user's process (credential/code injection,
# e.g. CVE-2019-13272-style tracing across uids). Root PTRACE_ATTACHes to a
# `sleep 30` owned by nobody, waits for the stop, and PTRACE_DETACHes.
# Harmless: the tracee is our own sleep; nothing is read or poked; killed after.
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin   # fixed PATH: deterministic exe paths in the records
DIR=${1:?scratch dir}
. "$(dirname "$0")/common.bash"
# setpriv run directly (not via a shell function) so $! is the sleep itself.
setpriv --reuid=$NOBODY_UID --regid=$NOBODY_GID --clear-groups sleep 30 &
SLEEP_PID=$!
trap 'kill "$SLEEP_PID" 2>/dev/null || true; wait "$SLEEP_PID" 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ "$(cat /proc/$SLEEP_PID/comm)" = sleep ] && break; sleep 0.1; done   # let setpriv exec sleep
[ "$(cat /proc/$SLEEP_PID/comm)" = sleep ] || { echo "tracee is not sleep" >&2; exit 1; }
echo "tracee pid $SLEEP_PID: $(tr '\0' ' ' < /proc/$SLEEP_PID/cmdline) uid $(awk '/^Uid/{print $2}' /proc/$SLEEP_PID/status)"
"$PY" - "$SLEEP_PID" <<'PYEOF'
import ctypes, os, sys
PTRACE_ATTACH, PTRACE_DETACH, WALL = 16, 17, 0x40000000
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
pid = int(sys.argv[1])
if libc.ptrace(PTRACE_ATTACH, pid, None, None) != 0:
    sys.exit("PTRACE_ATTACH failed: errno %d" % ctypes.get_errno())
os.waitpid(pid, WALL)
if libc.ptrace(PTRACE_DETACH, pid, None, None) != 0:
    sys.exit("PTRACE_DETACH failed: errno %d" % ctypes.get_errno())
print("attached to and detached from", pid)
PYEOF
kill "$SLEEP_PID"; wait "$SLEEP_PID" 2>/dev/null || true
trap - EXIT
