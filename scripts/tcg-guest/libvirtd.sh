#!/usr/bin/env bash
# Serves qemu:///system without systemd, for the QEMU/TCG guest test and bench/tcg-guest.sh.
#
#   libvirtd.sh start STATE_DIR   prints "reused" when a daemon already answers (it is left alone),
#                                 else starts one under tini and prints "started <pid>"
#   libvirtd.sh stop STATE_DIR    stops the daemon that `start` started (no-op otherwise)
#
# What the QEMU driver needs on a machine without libvirt-daemon-system (measured on Debian 12):
# the user and group libvirt-qemu and the group kvm must exist even when qemu.conf runs QEMU as
# root, and qemu.conf must say user/group root, security_driver "none" and namespaces [] (a
# per-domain mount namespace is fragile inside a container: see below). tini reaps QEMU's
# children: without a reaping init every destroy or revert waits ~2 s. Networks are never started:
# any autostart link is removed first, and no network is ever defined.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/daemon.sh"

uri=qemu:///system
qemu_conf=/etc/libvirt/qemu.conf
marker="# written by visag scripts/tcg-guest/libvirtd.sh"
# The daemon exits by itself after this long with no client and no running domain, so a test
# that was killed does not leave it behind for good.
idle_exit_seconds=300

die() { echo "libvirtd.sh: $*" >&2; exit 1; }

answers() { timeout 5 virsh -c "$uri" uri >/dev/null 2>&1; }

prepare_host() {
    getent group kvm >/dev/null || groupadd --system kvm
    getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu
    getent passwd libvirt-qemu >/dev/null ||
        useradd --system --no-create-home --home-dir /var/lib/libvirt --shell /usr/sbin/nologin \
            --gid libvirt-qemu --groups kvm libvirt-qemu
    mkdir -p /var/log/libvirt/qemu /var/lib/libvirt/qemu /var/cache/libvirt/qemu /etc/libvirt
    if [ ! -e "$qemu_conf" ] || grep -qF "$marker" "$qemu_conf"; then
        cat > "$qemu_conf" <<EOF
$marker
user = "root"
group = "root"
security_driver = "none"
# QEMU's output goes to /var/log/libvirt/qemu/<domain>.log directly: no virtlogd to run.
stdio_handler = "file"
# No private mount namespace per domain: inside a container its set-up (moving /dev nodes such as
# /dev/full into the domain's /dev) fails now and then, and a revert fails with it.
namespaces = []
EOF
    else
        for setting in 'user = "root"' 'group = "root"' 'security_driver = "none"' 'namespaces = []'; do
            grep -qxF "$setting" "$qemu_conf" || die "$qemu_conf is not ours and lacks: $setting"
        done
    fi
    # A network started by the daemon would mean a bridge and NAT rules on this machine.
    shopt -s nullglob
    for link in /etc/libvirt/qemu/networks/autostart/*.xml; do
        echo "libvirtd.sh: removing network autostart $link" >&2
        rm -f "$link"
    done
}

start() {
    local state=$1
    mkdir -p "$state"
    if answers; then
        echo reused
        return
    fi
    [ "$(id -u)" -eq 0 ] || die "must run as root to serve $uri"
    for tool in /usr/sbin/libvirtd tini qemu-system-x86_64; do
        command -v "$tool" >/dev/null || die "$tool is missing (scripts/install-test-deps.sh installs it)"
    done
    prepare_host
    # The daemon keeps no descriptor of ours: a caller that waits for this script's descriptors to close
    # (Foundation's Process does) would otherwise wait for the daemon.
    (
        for fd in /proc/"$BASHPID"/fd/*; do
            fd=${fd##*/}
            if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
        done
        exec setsid tini -s -- /usr/sbin/libvirtd --timeout "$idle_exit_seconds" \
            --pid-file "$state/libvirtd.daemon.pid" </dev/null >"$state/libvirtd.log" 2>&1
    ) &
    local pid=$!
    echo "$pid" > "$state/libvirtd.pid"
    for _ in $(seq 100); do
        if answers; then
            echo "started $pid"
            return
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    stop "$state" >/dev/null 2>&1 || true
    tail -n 20 "$state/libvirtd.log" >&2 || true
    die "libvirtd did not answer on $uri within 20 s"
}

stop() {
    local pidfile=$1/libvirtd.pid
    [ -f "$pidfile" ] || return 0
    # tini -s passes SIGTERM on to libvirtd and exits with it.
    stop_daemon "$pidfile" 15
    echo stopped
}

case "${1:-}:${2:-}" in
    start:?*) start "$2" ;;
    stop:?*) stop "$2" ;;
    *) die "usage: libvirtd.sh start|stop STATE_DIR" ;;
esac
