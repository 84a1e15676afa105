#!/usr/bin/env bash
# Imitates: loading a kernel module (rootkits, container escapes with
# CAP_SYS_MODULE). Harmless: the "module" is 100 zero bytes; this kernel has no
# module support (CONFIG_MODULES unset) so finit_module fails (ENOSYS), and on a
# kernel with modules it would fail with ENOEXEC. insmod's failure is expected.
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin   # fixed PATH: deterministic exe paths in the records
DIR=${1:?scratch dir}
command -v insmod >/dev/null || { echo "insmod missing: apt-get install kmod" >&2; exit 1; }
head -c 100 /dev/zero > "$DIR/notamodule.ko"
trap 'rm -f "$DIR/notamodule.ko"' EXIT
rc=0; insmod "$DIR/notamodule.ko" || rc=$?
echo "insmod exit status $rc (failure expected)"
