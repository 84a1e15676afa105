#!/usr/bin/env bash
# Imitates: PwnKit (CVE-2021-4034): a login session runs setuid-root pkexec
# with argc 0 and GCONV_PATH tricks in the environment, after making a
# "GCONV_PATH=." directory. Harmless: "pkexec" is a setuid-root copy of
# /bin/true in the scratch dir (glibc ignores GCONV_PATH in setuid programs);
# the directory is empty and everything is removed afterwards.
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin   # fixed PATH: deterministic exe paths in the records
DIR=${1:?scratch dir}
. "$(dirname "$0")/common.bash"
setuid_scratch "$DIR"
cleanup() { rm -rf "$SD/pkexec" "$SD/work"; [ "$SD" = "$DIR" ] || rmdir "$SD"; }
trap cleanup EXIT
make_suid_copy /bin/true "$SD/pkexec"
mkdir -p "$SD/work"; chown $NOBODY_UID:$NOBODY_GID "$SD/work"
# 1) execve(path, argv={NULL}, envp={"GCONV_PATH=.", "PATH=GCONV_PATH=."}).
#    Since Linux 5.18 the kernel turns the empty argv into {""}.
as_nobody_session "$PY" -c '
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
argv = (ctypes.c_char_p * 1)(None)
envp = (ctypes.c_char_p * 3)(b"GCONV_PATH=.", b"PATH=GCONV_PATH=.", None)
libc.execve(sys.argv[1].encode(), argv, envp)
sys.exit("execve failed: errno %d" % ctypes.get_errno())
' "$SD/pkexec" && echo "argc-0 exec of setuid copy: exit 0"
# 2) mkdir "work/GCONV_PATH=." as the same kind of session.
as_nobody_session mkdir "$SD/work/GCONV_PATH=."
echo "made $SD/work/GCONV_PATH=."
