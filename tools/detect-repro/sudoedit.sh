#!/usr/bin/env bash
# Imitates: Baron Samedit (CVE-2021-3156): a login session runs setuid-root
# sudoedit with -s and an argument ending in a backslash ('\' and 'abc\').
# Harmless: "sudoedit" is a setuid-root copy of /bin/true in the scratch dir,
# which ignores its arguments; it is removed afterwards.
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin   # fixed PATH: deterministic exe paths in the records
DIR=${1:?scratch dir}
. "$(dirname "$0")/common.bash"
setuid_scratch "$DIR"
cleanup() { rm -f "$SD/sudoedit"; [ "$SD" = "$DIR" ] || rmdir "$SD"; }
trap cleanup EXIT
make_suid_copy /bin/true "$SD/sudoedit"
as_nobody_session "$SD/sudoedit" -s '\'
as_nobody_session "$SD/sudoedit" -s 'abc\'
echo "ran sudoedit -s '\\' and sudoedit -s 'abc\\' (setuid copy of true)"
