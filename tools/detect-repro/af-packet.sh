#!/usr/bin/env bash
# Imitates: opening an AF_PACKET raw socket (sniffing, or the packet-socket
# kernel bugs such as CVE-2020-14386 / CVE-2017-7308). As nobody it fails with
# EPERM (expected); as root it succeeds and is closed at once. Harmless: no
# bind, no ring setup, nothing sent or received.
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin   # fixed PATH: deterministic exe paths in the records
DIR=${1:?scratch dir}
. "$(dirname "$0")/common.bash"
code='
import os, socket
try:
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.close()
    print("uid", os.getuid(), "AF_PACKET socket opened and closed")
except OSError as e:
    print("uid", os.getuid(), "AF_PACKET socket failed as expected:", e)
'
as_nobody "$PY" -c "$code"
"$PY" -c "$code"
