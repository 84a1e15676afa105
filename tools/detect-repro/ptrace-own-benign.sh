#!/usr/bin/env bash
# Benign look-alike for the ptrace detector: a debugger-like parent traces
# its own child with the same uid (gdb/strace of one's own program), in a
# login session of nobody. Yama is not built into this kernel; at Yama
# scope 1 parent->child is allowed too. Harmless: attach, wait, detach, kill.
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin   # fixed PATH: deterministic exe paths in the records
DIR=${1:?scratch dir}
. "$(dirname "$0")/common.bash"
echo "yama ptrace_scope: $(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo 'absent (no Yama)')"
as_nobody_session "$PY" -c '
import ctypes, os, signal, sys, time
PTRACE_ATTACH, PTRACE_DETACH, WALL = 16, 17, 0x40000000
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
child = os.fork()
if child == 0:
    time.sleep(10); os._exit(0)
time.sleep(0.2)
if libc.ptrace(PTRACE_ATTACH, child, None, None) != 0:
    os.kill(child, signal.SIGKILL); os.waitpid(child, 0)
    sys.exit("PTRACE_ATTACH failed: errno %d" % ctypes.get_errno())
os.waitpid(child, WALL)
libc.ptrace(PTRACE_DETACH, child, None, None)
os.kill(child, signal.SIGKILL); os.waitpid(child, 0)
print("uid", os.getuid(), "attached to and detached from own child", child)
'
