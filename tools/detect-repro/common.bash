# Shared helpers for the detect-repro scripts (sourced, not run).
# Everything here is harmless: it only sets a login uid on a child process
# and drops it to user nobody, or picks a directory where setuid works.
PY=/usr/bin/python3                     # not a pyenv shim: nobody must run it
REPRO_AUID=${REPRO_AUID:-4242}          # login uid given to "login sessions"
NOBODY_UID=65534
NOBODY_GID=65534

# as_nobody_session CMD ARGS...: run CMD as a login session of nobody
# (auid=$REPRO_AUID uid=65534). Root may write /proc/self/loginuid.
as_nobody_session() {
    sh -c 'echo "$0" > /proc/self/loginuid && exec setpriv --reuid=65534 --regid=65534 --clear-groups "$@"' \
        "$REPRO_AUID" "$@"
}

# as_nobody CMD ARGS...: run CMD as nobody, login uid left as inherited.
as_nobody() {
    setpriv --reuid=$NOBODY_UID --regid=$NOBODY_GID --clear-groups "$@"
}

# suid_capable_dir DIR: print DIR if its filesystem allows setuid, else a
# fresh directory under /var/tmp (or /root) whose filesystem does.
suid_capable_dir() {
    local d=$1 c
    if ! findmnt -n -T "$d" -o OPTIONS | tr ',' '\n' | grep -qx nosuid; then
        echo "$d"; return
    fi
    for c in /var/tmp /root; do
        if ! findmnt -n -T "$c" -o OPTIONS | tr ',' '\n' | grep -qx nosuid; then
            mktemp -d "$c/detect-repro.XXXXXX"; return
        fi
    done
    echo "no filesystem without nosuid found" >&2; return 1
}

# setuid_scratch DIR: sets SD to a directory for setuid copies (DIR, or one
# under /var/tmp or /root when DIR's filesystem is nosuid) that user nobody
# can reach.
setuid_scratch() {
    chmod 755 "$1"
    SD=$(suid_capable_dir "$1")
    chmod 755 "$SD"
    check_nobody_can_reach "$SD"
}

# make_suid_copy SRC DEST: a setuid-root copy of SRC at DEST.
make_suid_copy() {
    cp "$1" "$2"; chown root:root "$2"; chmod 4755 "$2"
}

# check_nobody_can_reach DIR: nobody must be able to traverse to DIR.
check_nobody_can_reach() {
    if ! as_nobody test -x "$1"; then
        echo "nobody cannot reach $1: pick a scratch dir under /tmp or /var/tmp" >&2; return 1
    fi
}
