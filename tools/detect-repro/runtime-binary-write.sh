#!/usr/bin/env bash
# Imitates: CVE-2019-5736, a container process opening the host's runc binary
# (via /proc/self/exe) for writing to overwrite it. Here: root opens runc (and
# crun if installed) O_WRONLY without O_TRUNC and closes it without writing.
# Harmless: content and mtime unchanged (checksum checked). ETXTBSY is possible
# if the binary is running at that moment; that is reported, not fatal.
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin   # fixed PATH: deterministic exe paths in the records
DIR=${1:?scratch dir}
. "$(dirname "$0")/common.bash"
for bin in runc crun; do
    p=$(command -v "$bin" || true)
    [ -n "$p" ] || { echo "$bin not installed, skipped"; continue; }
    p=$(readlink -f "$p")
    sum_before=$(sha256sum "$p")
    "$PY" - "$p" <<'PYEOF'
import os, sys
try:
    fd = os.open(sys.argv[1], os.O_WRONLY)
    os.close(fd)
    print("opened O_WRONLY and closed", sys.argv[1])
except OSError as e:
    print("open failed as may be expected:", sys.argv[1], e)
PYEOF
    [ "$sum_before" = "$(sha256sum "$p")" ] || { echo "$p changed?!" >&2; exit 1; }
done
