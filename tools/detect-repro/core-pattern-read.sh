#!/usr/bin/env bash
# Benign look-alike for the kernel-hook detector: reading core_pattern
# (what sysctl -a, systemd-coredump checks and monitoring agents do).
# Harmless: a read.
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin   # fixed PATH: deterministic exe paths in the records
DIR=${1:?scratch dir}
cat /proc/sys/kernel/core_pattern
