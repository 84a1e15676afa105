#!/usr/bin/env bash
# Benign look-alike for the identity-file detectors: the shadow tools
# (useradd, userdel) legitimately write /etc/passwd, /etc/shadow, /etc/group.
# Harmless: a throwaway user without home, with a nologin shell, removed at once.
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin   # fixed PATH: deterministic exe paths in the records
DIR=${1:?scratch dir}
. "$(dirname "$0")/common.bash"
NAME=auditq-det-$$
trap 'userdel "$NAME" 2>/dev/null || true' EXIT
useradd -M -N -s /usr/sbin/nologin "$NAME"
userdel "$NAME"
trap - EXIT
echo "created and deleted $NAME"
