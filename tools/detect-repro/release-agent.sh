#!/usr/bin/env bash
# Imitates: CVE-2022-0492: unshare user+mount+cgroup namespaces, mount a v1
# cgroup hierarchy, and open its release_agent for writing. Harmless: the mount
# lives only in a private mount namespace; release_agent (only present if the
# mount shows the hierarchy root) is opened O_WRONLY WITHOUT writing (no O_TRUNC).
# The brief's `unshare -Urmc` is written `-UrmC` here: -c is --map-current-user.
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin   # fixed PATH: deterministic exe paths in the records
DIR=${1:?scratch dir}
. "$(dirname "$0")/common.bash"
chmod 755 "$DIR"
check_nobody_can_reach "$DIR"
mkdir -p "$DIR/rel"; chown $NOBODY_UID:$NOBODY_GID "$DIR/rel"
trap 'rmdir "$DIR/rel/cg" 2>/dev/null || true; rmdir "$DIR/rel" 2>/dev/null || true' EXIT
as_nobody_session unshare -UrmC sh -c '
mkdir -p "$1/cg"
mount -t cgroup -o memory cgroup "$1/cg"; echo "mount exit status: $?"
ls "$1/cg" | head -3
if test -e "$1/cg/release_agent"; then
  "$2" -c "
import os, sys
try:
    fd = os.open(sys.argv[1], os.O_WRONLY); os.close(fd); print(\"release_agent opened O_WRONLY, closed unwritten\")
except OSError as e:
    print(\"release_agent open failed:\", e)
" "$1/cg/release_agent"
else
  echo "no release_agent visible in the mount"
fi
exit 0
' sh "$DIR/rel" "$PY"
