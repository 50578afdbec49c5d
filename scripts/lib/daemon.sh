# Shared by the scripts that serve a daemon to the tests (tcg-guest/libvirtd.sh, slurm/cluster.sh); sourced.

# stop_daemon PIDFILE [SECONDS]: SIGTERM to the process the pid file names, up to SECONDS (default 10) for it to
# exit, then SIGKILL; the pid file is removed. No pid file: nothing to do.
stop_daemon() {
    local pidfile=$1 seconds=${2:-10} pid
    [ -s "$pidfile" ] || { rm -f "$pidfile"; return 0; }
    pid=$(cat "$pidfile")
    if kill -TERM "$pid" 2>/dev/null; then
        for _ in $(seq $((seconds * 10))); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
}
