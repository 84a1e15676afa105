#!/usr/bin/env bash
# Runs detect-repro scripts under a private auditd with auditq's rule packs
# loaded, and leaves the kernel audit state as it found it (enabled flag,
# auditd pid, rules). Run it as root; it takes the test suite's audit lock.
#   capture.sh OUTDIR [script.sh ...]     (default: every *.sh but itself)
# OUTDIR gets audit.log (RAW), windows.tsv (script, start, end, rc), *.out,
# rules (what was loaded) and load-errors.txt.
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
LOCK=/run/lock/auditq-kernel-audit.lock
if [ "${AUDITQ_REPRO_LOCKED:-}" != 1 ]; then
    exec env AUDITQ_REPRO_LOCKED=1 flock -w 900 "$LOCK" "$0" "$@"
fi
HERE=$(cd "$(dirname "$0")" && pwd)
D=$(mkdir -p "$1" && cd "$1" && pwd); shift
RULES_DIR=${RULES_DIR:-$HERE/../../audit_rules}
if [ $# -eq 0 ]; then
    set -- $(cd "$HERE" && ls *.sh | grep -v '^capture.sh$')
fi

status() { auditctl -s | awk -v k="$1" '$1==k{print $2}'; }
ENABLED0=$(status enabled); PID0=$(status pid)
auditctl -s > "$D/auditctl-s.before"; auditctl -l > "$D/auditctl-l.before"
[ "$PID0" = 0 ] || { echo "an auditd (pid $PID0) is already attached; not replacing it" >&2; exit 1; }
grep -qx 'No rules' "$D/auditctl-l.before" || { echo "rules already loaded; this script only handles an empty rule set" >&2; exit 1; }

mkdir -p "$D/plugins.d"
sed -e '/^#/d' -e "s#@D@#$D#g" "$(dirname "$0")/../private-auditd.conf.in" > "$D/auditd.conf"
chmod 640 "$D/auditd.conf"

AUDITD_PID=
restore() {
    auditctl -D >/dev/null 2>&1 || true
    auditctl -e "$ENABLED0" >/dev/null 2>&1 || true
    if [ -n "$AUDITD_PID" ]; then kill -TERM "$AUDITD_PID" 2>/dev/null || true; wait "$AUDITD_PID" 2>/dev/null || true; fi
    auditctl -s > "$D/auditctl-s.after"; auditctl -l > "$D/auditctl-l.after"
}
trap restore EXIT

auditd -n -s nochange -c "$D" > "$D/auditd.stdout" 2>&1 &
AUDITD_PID=$!
for _ in $(seq 100); do [ "$(status pid)" = "$AUDITD_PID" ] && break; sleep 0.1; done
[ "$(status pid)" = "$AUDITD_PID" ] || { echo "auditd did not attach" >&2; exit 1; }
[ "$ENABLED0" = 1 ] || auditctl -e 1 >/dev/null

cat "$RULES_DIR"/{20,21,22,31,32,40,50,60}-*.rules | grep -v '^-D\|^-b\|^-f\|^--backlog\|^-e' > "$D/rules"
# One auditctl call per line (auditctl -R stops at the first failing line,
# and 3.0.9's -c does not combine with -R), so every failure is listed.
: > "$D/load-errors.txt"
while IFS= read -r line; do
    case $line in ''|'#'*) continue;; esac
    read -ra args <<< "$line"
    out=$(auditctl "${args[@]}" 2>&1) || printf '%s\n   -> %s\n' "$line" "$out" >> "$D/load-errors.txt"
done < "$D/rules"
auditctl -l > "$D/rules.loaded"

: > "$D/windows.tsv"
for s in "$@"; do
    name=${s%.sh}
    scratch=$(mktemp -d /tmp/detect-repro-run.XXXXXX)
    sleep 1.1
    start=$(date +%s.%N)
    rc=0; "$HERE/$s" "$scratch" > "$D/$name.out" 2>&1 || rc=$?
    end=$(date +%s.%N)
    printf '%s\t%s\t%s\t%s\n' "$s" "$start" "$end" "$rc" >> "$D/windows.tsv"
    rm -rf "$scratch"
done
sleep 2
