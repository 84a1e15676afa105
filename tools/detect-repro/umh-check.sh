#!/usr/bin/env bash
# Usermode-helper check (core_pattern pipe): triggers NOTHING. It only prints
# core_pattern and whether it is a pipe ("|prog"), i.e. whether a crash here
# would make the kernel start a helper as root (parent kthreadd, ppid 2).
# Harmless: two reads.
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin   # fixed PATH: deterministic exe paths in the records
DIR=${1:?scratch dir}
cp=$(cat /proc/sys/kernel/core_pattern)
echo "core_pattern: $cp"
case $cp in
    '|'*) echo "pipe: yes (a crash would run ${cp#|} via the usermode helper)";;
    *)    echo "pipe: no (a crash writes a core file; no usermode helper runs)";;
esac
echo "modprobe: $(cat /proc/sys/kernel/modprobe 2>/dev/null || echo 'absent')"
