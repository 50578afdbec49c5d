#!/usr/bin/env bash
# Installs what the test suite needs beyond the build, if missing (Debian 12, as root):
# - chromium: ReportBrowserTests opens report.html headless (about 120 MB to download);
# - poppler-utils: FigurePDFTests reads a figure's PDF back with pdftotext;
# - QEMU and libvirtd for qemu:///system, tini to reap QEMU's children, and what the tiny guest
#   is built from (busybox-static, dropbear-bin; scripts/tcg-guest/build-guest.sh fetches the
#   kernel with apt-get download) for QEMUGuestTests. About 60 packages in all;
# - Slurm (slurmctld, slurmd, slurm-client) and munge: SlurmSweepTests and bench/slurm-sweep.sh run a
#   one-host cluster (scripts/slurm/cluster.sh). 8 packages more, 3.5 MB;
# - Go and govmomi (golang-go, golang-github-vmware-govmomi-dev; about 82 MB to download) and python3:
#   ESXSimulatorTests serve an ESX host with govmomi's vSphere API simulator behind a SOAP-rewriting proxy
#   (scripts/esx-sim). Its Go main is built here, once (about 30 s of CPU), so the test finds it cached.
set -euo pipefail
cd "$(dirname "$0")"
bash apt-install-missing.sh chromium poppler-utils qemu-system-x86 qemu-utils libvirt-daemon libvirt-daemon-driver-qemu \
    libvirt-clients tini busybox-static dropbear-bin slurmctld slurmd slurm-client munge \
    golang-go golang-github-vmware-govmomi-dev python3
bash esx-sim/build.sh >/dev/null
