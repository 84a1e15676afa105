#!/usr/bin/env bash
# Imitates: a container escape that rewrites /proc/sys/kernel/core_pattern to
# "|/path/to/payload" so the kernel runs it as root on the next crash.
# Harmless: the file is opened O_WRONLY and closed; nothing is written, so
# the sysctl keeps its value (checked before and after).
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin   # fixed PATH: deterministic exe paths in the records
DIR=${1:?scratch dir}
. "$(dirname "$0")/common.bash"
before=$(cat /proc/sys/kernel/core_pattern)
"$PY" -c 'import os; fd = os.open("/proc/sys/kernel/core_pattern", os.O_WRONLY); os.close(fd)'
after=$(cat /proc/sys/kernel/core_pattern)
[ "$before" = "$after" ] || { echo "core_pattern changed?!" >&2; exit 1; }
echo "core_pattern opened O_WRONLY and closed; value still: $after"
