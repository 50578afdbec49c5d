#!/usr/bin/env bash
# Adds the matrix benchmark's worker to a guest image that build-guest.sh made: the given visag
# executable and every shared library it loads (Swift runtime, Foundation, GSL, OpenBLAS, OpenSSL,
# glibc: copied from this Debian 12 host, which the guest's userland is not otherwise), in a second
# cpio archive appended to the image's initramfs (the kernel unpacks both). The worker starts through
# the forced command: popcobjrun's "matrix CHANNEL" runs /opt/visag/matrix-worker.
#
# Usage: add-worker.sh IMAGE_DIR VISAG_EXECUTABLE. Prints the directory of the new image. Cached by
# image and executable digest beside IMAGE_DIR; older worker images of the same base are removed.
set -euo pipefail

die() { echo "add-worker: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: add-worker.sh IMAGE_DIR VISAG_EXECUTABLE"
base=$1
binary=$2
[ -f "$base/done" ] || die "$base is not a finished guest image (run build-guest.sh)"
[ -x "$binary" ] || die "$binary is not an executable"
# The port the worker listens on inside the guest; the host forwards a loopback port to it.
guest_worker_port=7000

digest=$(cat "$base/initramfs.gz" "$binary" "$0" | sha256sum | cut -c1-16)
out="$base-worker-$digest"
if [ -f "$out/done" ]; then
    echo "$out"
    exit 0
fi
exec 9>"$base.worker-lock"
flock -w 600 9 || die "another build holds $base.worker-lock"
if [ -f "$out/done" ]; then
    echo "$out"
    exit 0
fi
rm -rf "$base"-worker-*
work=$(mktemp -d "$base.worker-build.XXXXXX")
trap 'rm -rf "$work"' EXIT

root="$work/root"
mkdir -p "$root/opt/visag/lib"
cp "$binary" "$root/opt/visag/visag"
libs=$(ldd "$binary" | grep -o '/[^ ]*' | sort -u)
[ -n "$libs" ] || die "ldd found no libraries for $binary"
loader=
for lib in $libs; do
    cp -L "$lib" "$root/opt/visag/lib/$(basename "$lib")"
    case "$lib" in */ld-linux-x86-64.so.2) loader=$(basename "$lib") ;; esac
done
[ -n "$loader" ] || die "no dynamic loader among $binary's libraries"
strip --strip-unneeded "$root/opt/visag/visag" "$root"/opt/visag/lib/* 2>/dev/null || true

cat > "$root/opt/visag/matrix-worker" <<WORKER
#!/bin/sh
# One matrix worker on the guest's user-mode address, the one the host's forward reaches; OpenBLAS on
# one thread, as on the host. TCG's default CPU (qemu64) advertises SVM and 3DNow! prefetch, so OpenBLAS
# picks its Opteron kernel, whose instructions TCG traps (SIGILL): the SSE3 kernel is forced instead.
export OPENBLAS_NUM_THREADS=1 OPENBLAS_CORETYPE=Prescott
exec /opt/visag/lib/$loader --library-path /opt/visag/lib /opt/visag/visag bench matrix-worker \\
    --channel "\$1" --address 10.0.2.15 --port $guest_worker_port
WORKER
chmod 0755 "$root/opt/visag/matrix-worker"

(cd "$root" && find . | busybox cpio -o -H newc 2>/dev/null) | gzip -1 > "$work/worker.cpio.gz"

mkdir -p "$out.tmp"
for file in vmlinuz admin_ed25519 admin_ed25519.pub known_hosts guest_ssh_port kernel_package; do
    cp -p "$base/$file" "$out.tmp/"
done
cat "$base/initramfs.gz" "$work/worker.cpio.gz" > "$out.tmp/initramfs.gz"
echo "$guest_worker_port" > "$out.tmp/guest_worker_port"
touch "$out.tmp/done"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "$out"
