#!/usr/bin/env bash
# Imitates: Dirty Pipe (CVE-2022-0847): an unprivileged login session splices
# one byte of a read-only root-owned file (/etc/passwd) into a pipe, then
# writes to the pipe. Harmless: no pipe-buffer flag preparation (the pipe is
# fresh), the kernel (6.18) is fixed, and /etc/passwd is opened O_RDONLY.
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin   # fixed PATH: deterministic exe paths in the records
DIR=${1:?scratch dir}
. "$(dirname "$0")/common.bash"
sum_before=$(sha256sum /etc/passwd)
as_nobody_session "$PY" -c '
import os
fd = os.open("/etc/passwd", os.O_RDONLY)
r, w = os.pipe()
n = os.splice(fd, w, 1, offset_src=0)
os.write(w, b"x")
print("spliced", n, "byte(s); pipe holds", os.read(r, 16))
for f in (fd, r, w): os.close(f)
'
[ "$sum_before" = "$(sha256sum /etc/passwd)" ] || { echo "/etc/passwd changed?!" >&2; exit 1; }
