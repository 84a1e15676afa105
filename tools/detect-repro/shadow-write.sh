#!/usr/bin/env bash
# Imitates: a non-passwd-tool process (python3) opening the identity files
# for writing (/etc/shadow O_WRONLY, /etc/passwd O_WRONLY|O_APPEND), as a
# backdoor-account writer would. Harmless: both files are opened and closed
# at once, nothing is written, no O_TRUNC. Nothing is created (no sudoers.d).
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin   # fixed PATH: deterministic exe paths in the records
DIR=${1:?scratch dir}
. "$(dirname "$0")/common.bash"
"$PY" - <<'PYEOF'
import os
for path, flags in (("/etc/shadow", os.O_WRONLY),
                    ("/etc/passwd", os.O_WRONLY | os.O_APPEND)):
    fd = os.open(path, flags)
    os.close(fd)
    print("opened and closed", path, oct(flags))
PYEOF
