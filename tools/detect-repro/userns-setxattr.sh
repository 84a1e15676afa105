#!/usr/bin/env bash
# Imitates: file-capability tricks from an unprivileged user namespace
# (CVE-2023-0386-like: set security.capability inside `unshare -Ur`), and the
# "uid-0 process right after an unprivileged user namespace" pattern (a
# setuid-root exec following unshare -Ur). Harmless: the xattr goes on an empty,
# non-executable file owned by nobody; the setuid program is a copy of /bin/true.
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin   # fixed PATH: deterministic exe paths in the records
DIR=${1:?scratch dir}
. "$(dirname "$0")/common.bash"
setuid_scratch "$DIR"
cleanup() { rm -rf "$SD/ns" "$SD/suid-true"; [ "$SD" = "$DIR" ] || rmdir "$SD"; }
trap cleanup EXIT
mkdir "$SD/ns"; chown $NOBODY_UID:$NOBODY_GID "$SD/ns"
as_nobody touch "$SD/ns/capfile"
make_suid_copy /bin/true "$SD/suid-true"
# 1) v2 security.capability (magic 0x02000000|effective, permitted=CAP_SETUID)
#    set from inside the namespace; the kernel may convert it to v3 (rootid).
as_nobody_session unshare -Ur "$PY" -c '
import os, struct, sys
value = struct.pack("<5I", 0x02000001, 1 << 7, 0, 0, 0)
try:
    os.setxattr(sys.argv[1], "security.capability", value)
    print("setxattr security.capability succeeded; read back:", os.getxattr(sys.argv[1], "security.capability").hex())
except OSError as e:
    print("setxattr failed:", e)
' "$SD/ns/capfile"
"$PY" -c 'import os, sys
try: print("host view of security.capability:", os.getxattr(sys.argv[1], "security.capability").hex())
except OSError as e: print("host view: no security.capability:", e)' "$SD/ns/capfile"
# 2) same kind of session: unshare -Ur true, then exec of a setuid-root binary.
as_nobody_session sh -c 'unshare -Ur true && exec "$0"' "$SD/suid-true"
echo "unshare -Ur true, then setuid-root exec: exit 0"
