#!/usr/bin/env bash
# A one-host Slurm cluster in a folder, for the Slurm sweep tests and bench/slurm-sweep.sh.
#
#   cluster.sh start STATE_DIR   writes STATE_DIR/slurm.conf, starts munged, slurmctld and slurmd,
#                                waits until sinfo shows the node idle; prints "SLURM_CONF=<path>"
#   cluster.sh stop STATE_DIR    stops every daemon `start` started there (no-op otherwise)
#
# Clients reach this cluster, and no other, through SLURM_CONF=STATE_DIR/slurm.conf. Everything
# lives in STATE_DIR: the munge key, socket and seed, Slurm's state, spool, logs and pid files.
# Ports are picked free above 20000 (never Slurm's 6817/6818), so a real cluster's daemons on the
# same host are not disturbed. Needs root (jobs run as the submitting user, slurmd as root) and
# Debian's slurmctld, slurmd, slurm-client and munge (scripts/install-test-deps.sh installs them).
#
# What a container needs (measured in a Docker container, Debian 12, Slurm 22.05; up with the node
# idle in 0.1 to 1.3 s): no cgroup plugin anywhere (proctrack/linuxproc, task/none,
# jobacct_gather/none), root as SlurmUser and SlurmdUser, munged with its own socket and key (Slurm
# finds the socket through AuthInfo), and the node named after the short host name at 127.0.0.1.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/daemon.sh"

die() { echo "cluster.sh: $*" >&2; exit 1; }

# The daemons keep no descriptor of ours: a caller that waits for this script's output to close
# (Foundation's Process does) would otherwise wait for the daemons. What they print goes to LOG.
detach() {
    for fd in /proc/"$BASHPID"/fd/*; do
        fd=${fd##*/}
        if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    exec </dev/null >>"$1" 2>&1
}

port_in_use() { (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }

free_port() {
    local port
    for _ in $(seq 50); do
        port=$((20000 + RANDOM % 30000))
        port_in_use "$port" || port_in_use $((port + 1)) || { echo "$port"; return; }
    done
    die "no free port pair found above 20000"
}

wait_for_file() {
    local path=$1 what=$2
    for _ in $(seq 100); do
        [ -s "$path" ] && return 0
        sleep 0.1
    done
    die "$what did not start within 10 s"
}

start() {
    local state
    state=$(realpath -m "$1")
    [ "$(id -u)" -eq 0 ] || die "must run as root (slurmd runs jobs as their submitting user)"
    for tool in munged mungekey slurmctld slurmd sinfo sbatch; do
        command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] ||
            die "$tool is missing (scripts/install-test-deps.sh installs slurmctld slurmd slurm-client munge)"
    done
    [ ! -e "$state/slurm.conf" ] || die "$state already holds a cluster: stop it first"
    mkdir -p "$state"/{munge,ctld,spool,log}
    # The key stays 0600; the socket's folder must be searchable by every client.
    chmod 0755 "$state" "$state/munge"

    # munge: its own key (0600, owned by the daemon's user) and socket, never /run/munge's.
    /usr/sbin/mungekey --create --keyfile="$state/munge/munge.key" --bits=1024 >/dev/null
    chmod 0600 "$state/munge/munge.key"
    local socket=$state/munge/munge.socket
    (detach "$state/log/munged.out"; exec /usr/sbin/munged --force --socket="$socket" --key-file="$state/munge/munge.key" \
        --pid-file="$state/munge/munged.pid" --log-file="$state/log/munged.log" \
        --seed-file="$state/munge/munged.seed") || die "munged did not start: $(tail -n 3 "$state/log/munged.log" 2>&1)"
    wait_for_file "$state/munge/munged.pid" munged

    local node cpus memory_mib port
    node=$(uname -n)
    node=${node%%.*}  # slurmctld compares it with its short host name
    cpus=$(nproc)
    memory_mib=$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)
    port=$(free_port)
    cat > "$state/slurm.conf" <<EOF
# Written by visag scripts/slurm/cluster.sh: a one-host cluster for tests, in $state.
ClusterName=visagtest
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
# No cgroups: a container rarely lets slurmd manage them.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
# The next job starts as soon as a core is free, not at the next scheduler pass (measured: about
# 1 s sooner per wave of tasks). A job whose dependency can never be met stays pending with reason
# DependencyNeverSatisfied, as on most clusters (no kill_invalid_depend).
SchedulerParameters=sched_min_interval=0,batch_sched_delay=0
SchedulerType=sched/backfill
KillWait=5
InactiveLimit=0
MinJobAge=600
SlurmdTimeout=120
MessageTimeout=10
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory_mib State=UNKNOWN
PartitionName=visag Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
    export SLURM_CONF=$state/slurm.conf
    (detach "$state/log/slurmctld.out"; exec /usr/sbin/slurmctld -i -f "$SLURM_CONF") || die "slurmctld did not start: $(tail -n 5 "$state/log/slurmctld.log" 2>&1)"
    wait_for_file "$state/slurmctld.pid" slurmctld
    (detach "$state/log/slurmd.out"; exec /usr/sbin/slurmd -f "$SLURM_CONF" -N "$node") || die "slurmd did not start: $(tail -n 5 "$state/log/slurmd.log" 2>&1)"
    wait_for_file "$state/slurmd.pid" slurmd
    for _ in $(seq 250); do
        if [ "$(sinfo -h -n "$node" -o %t 2>/dev/null)" = idle ]; then
            echo "SLURM_CONF=$SLURM_CONF"
            return
        fi
        sleep 0.1
    done
    local shown
    shown=$(sinfo -h -n "$node" -o %t 2>&1 || true)
    stop "$state" >/dev/null 2>&1 || true
    tail -n 5 "$state/log/slurmctld.log" "$state/log/slurmd.log" >&2 || true
    die "the node did not become idle within 25 s (sinfo: ${shown:-nothing})"
}

stop() {
    local state
    state=$(realpath -m "$1")
    [ -e "$state/slurm.conf" ] || return 0
    # Jobs still running would outlive slurmd (slurmstepd is its own process): cancel them first.
    if [ -s "$state/slurmctld.pid" ] && kill -0 "$(cat "$state/slurmctld.pid")" 2>/dev/null; then
        SLURM_CONF=$state/slurm.conf timeout 10 scancel --full --quiet --user="$(id -un)" 2>/dev/null || true
        for _ in $(seq 50); do
            [ -z "$(SLURM_CONF=$state/slurm.conf timeout 5 squeue -h -o %i 2>/dev/null)" ] && break
            sleep 0.2
        done
    fi
    stop_daemon "$state/slurmd.pid"
    stop_daemon "$state/slurmctld.pid"
    stop_daemon "$state/munge/munged.pid"
    rm -f "$state/slurm.conf"
    echo stopped
}

case "${1:-}:${2:-}" in
    start:?*) start "$2" ;;
    stop:?*) stop "$2" ;;
    *) die "usage: cluster.sh start|stop STATE_DIR" ;;
esac
