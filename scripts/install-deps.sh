#!/usr/bin/env bash
# Installs the system packages visag builds and runs against, if any is missing (Debian 12, as root).
set -euo pipefail
cd "$(dirname "$0")"
bash apt-install-missing.sh libgsl-dev libopenblas-dev libopenblas-serial-dev pkg-config libssl-dev libvirt-dev \
    librsvg2-dev libcairo2-dev fonts-dejavu-core openssh-server openssh-client
command -v swift >/dev/null || { echo "swift is not on PATH (Swift 6 toolchain needed)" >&2; exit 1; }
