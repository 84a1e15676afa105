#!/usr/bin/env bash
# Benign look-alike for the Baron Samedit detector: a login session runs
# setuid-root sudoedit on a file (no -s, no trailing backslash).
# Harmless: "sudoedit" is a setuid-root copy of /bin/true in the scratch dir;
# /etc/hosts is only an argument, never opened. Removed afterwards.
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin   # fixed PATH: deterministic exe paths in the records
DIR=${1:?scratch dir}
. "$(dirname "$0")/common.bash"
setuid_scratch "$DIR"
cleanup() { rm -f "$SD/sudoedit"; [ "$SD" = "$DIR" ] || rmdir "$SD"; }
trap cleanup EXIT
make_suid_copy /bin/true "$SD/sudoedit"
as_nobody_session "$SD/sudoedit" /etc/hosts
echo "ran sudoedit /etc/hosts (setuid copy of true)"
