#!/usr/bin/env bash
# Builds the tiny worker guest the QEMU/TCG test boots, from Debian packages only: the cloud kernel
# (downloaded with apt-get, unpacked with dpkg-deb, never installed) and an initramfs of busybox-static
# plus dropbear (the guest's SSH server, the report's guest channel) with a throwaway host key and
# admin key. Prints the directory holding vmlinuz, initramfs.gz, admin_ed25519 and known_hosts.
#
# The result is cached per kernel version and per version of this script, under
# $VISAG_GUEST_CACHE (default /var/cache/visag-guest), so a rerun costs one apt-cache query.
set -euo pipefail

cache_root=${VISAG_GUEST_CACHE:-/var/cache/visag-guest}
# Modules the virtio-net interface needs, in load order (the cloud kernel builds them as modules).
modules=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net)
# The guest's SSH port; the host forwards a loopback port to it.
guest_ssh_port=2222

die() { echo "build-guest: $*" >&2; exit 1; }

kernel_package() {
    local dep
    dep=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-/ {print $2; exit}')
    if [ -z "$dep" ]; then
        # No package lists yet (a machine where every package was already installed).
        apt-get update -qq >/dev/null
        dep=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-/ {print $2; exit}')
    fi
    [ -n "$dep" ] || die "apt knows no linux-image-cloud-amd64"
    echo "$dep"
}

for tool in busybox dropbearkey ssh-keygen dpkg-deb gzip; do
    command -v "$tool" >/dev/null || die "$tool is missing (scripts/install-test-deps.sh installs it)"
done
[ -x /usr/sbin/dropbear ] || die "/usr/sbin/dropbear is missing (dropbear-bin)"
# grep reads the whole list: with -q it would stop early and pipefail would see busybox die of SIGPIPE.
busybox --list | grep -x cpio >/dev/null || die "this busybox has no cpio applet"

package=$(kernel_package)
script_hash=$(sha256sum "$0" | cut -c1-12)
out="$cache_root/$package-$script_hash"
if [ -f "$out/done" ]; then
    echo "$out"
    exit 0
fi

mkdir -p "$cache_root"
# One build at a time; a build that was killed leaves a .build.* directory the next one removes.
exec 9>"$cache_root/.lock"
flock -w 600 9 || die "another build holds $cache_root/.lock"
if [ -f "$out/done" ]; then
    echo "$out"
    exit 0
fi
rm -rf "$cache_root"/.build.*
work=$(mktemp -d "$cache_root/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"

# The kernel package, unpacked beside the build (apt-get download warns when _apt cannot write here).
(cd "$work" && apt-get download -qq "$package" 2>/dev/null) || die "apt-get download $package failed"
dpkg-deb -x "$work"/"$package"_*.deb "$work/kernel"
version=${package#linux-image-}
cp "$work/kernel/boot/vmlinuz-$version" "$work/vmlinuz"

root="$work/root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc/dropbear,proc,sys,dev,tmp,run,root/.ssh,lib/modules,lib64,var/log}
chmod 0700 "$root/root" "$root/root/.ssh"
chmod 1777 "$root/tmp"

cp /bin/busybox "$root/bin/busybox"
for applet in $(busybox --list); do
    [ "$applet" = busybox ] || ln -s /bin/busybox "$root/bin/$applet"
done
ln -s /bin/busybox "$root/init"

for m in "${modules[@]}"; do
    found=$(find "$work/kernel/lib/modules/$version" -name "$m.ko" -print -quit)
    [ -n "$found" ] || die "module $m.ko not in $package"
    cp "$found" "$root/lib/modules/"
done

# dropbear and the shared libraries it loads, at the paths the dynamic linker looks in.
cp /usr/sbin/dropbear "$root/usr/sbin/dropbear"
cp /usr/bin/dropbearkey "$root/usr/bin/dropbearkey"
for lib in $( (ldd /usr/sbin/dropbear; ldd /usr/bin/dropbearkey) | grep -o '/[^ ]*' | sort -u); do
    case "$lib" in
        /lib64/*) dest="$root/lib64/$(basename "$lib")" ;;
        *) mkdir -p "$root/lib/x86_64-linux-gnu"; dest="$root/lib/x86_64-linux-gnu/$(basename "$lib")" ;;
    esac
    cp -L "$lib" "$dest"
done

# Keys made for this image only: the guest's host key (its "own key", pinned by the host) and the admin
# key the host's guest channel logs in with (the hypervisor's guest access, as VIX was for the report).
dropbearkey -t ed25519 -f "$root/etc/dropbear/dropbear_ed25519_host_key" >/dev/null 2>&1
host_public=$(dropbearkey -y -f "$root/etc/dropbear/dropbear_ed25519_host_key" | grep '^ssh-ed25519')
ssh-keygen -q -t ed25519 -N '' -C visag-guest-admin -f "$work/admin_ed25519"
cp "$work/admin_ed25519.pub" "$root/root/.ssh/authorized_keys"
chmod 0600 "$root/root/.ssh/authorized_keys"
# Every worker is reached as this alias, whatever its forwarded address.
echo "visag-guest ${host_public% *}" > "$work/known_hosts"

cat > "$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
EOF
echo "root:x:0:" > "$root/etc/group"
echo "/bin/sh" > "$root/etc/shells"

cat > "$root/etc/inittab" <<EOF
::sysinit:/etc/rcS
::respawn:/usr/sbin/dropbear -F -E -s -p $guest_ssh_port -r /etc/dropbear/dropbear_ed25519_host_key
EOF

cat > "$root/etc/rcS" <<EOF
#!/bin/sh
# Mounts, loads the virtio-net driver and configures user-mode networking's fixed address.
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
for m in ${modules[*]}; do insmod /lib/modules/\$m.ko; done
i=0
while [ ! -e /sys/class/net/eth0 ] && [ \$i -lt 50 ]; do sleep 0.1; i=\$((i + 1)); done
hostname visag-worker
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2
echo "visag-guest: network up" > /dev/console
EOF
chmod 0755 "$root/etc/rcS"

# The command every application key is forced to (report §2.12: tunnelling and the object run only).
# "object ID SECONDS" runs the object for SECONDS; it stops early when the requester closes the session.
# "matrix CHANNEL" starts the matrix benchmark's worker, when add-worker.sh put one in the image; the
# session's stdin and stdout are the worker's, so closing the session ends it.
cat > "$root/usr/bin/popcobjrun" <<'EOF'
#!/bin/sh
set -- $SSH_ORIGINAL_COMMAND
if [ "$1" = matrix ]; then
    case "$2" in tcp|tls-keys) ;; *) echo "popcobjrun: expected 'matrix tcp|tls-keys'" >&2; exit 2 ;; esac
    [ -x /opt/visag/matrix-worker ] || { echo "popcobjrun: this image has no matrix worker" >&2; exit 2; }
    exec /opt/visag/matrix-worker "$2"
fi
case "$1:$2:$3" in
    object:?*:?*) ;;
    *) echo "popcobjrun: expected 'object ID SECONDS', got '$SSH_ORIGINAL_COMMAND'" >&2; exit 2 ;;
esac
# A background job's stdin is /dev/null: keep the session's stdin on fd 3 for the watcher.
exec 3<&0
sleep "$3" &
work=$!
( cat >/dev/null; kill $work 2>/dev/null ) <&3 >/dev/null 2>&1 &
watch=$!
echo "started $2"
if wait $work; then
    kill $watch 2>/dev/null
    echo "finished $2"
    exit 0
fi
echo "stopped $2"
exit 1
EOF
chmod 0755 "$root/usr/bin/popcobjrun"

# Prints the guest's view of its network: "<address>/<prefix> <interface>".
cat > "$root/usr/bin/guest-address" <<'EOF'
#!/bin/sh
ip -4 -o addr show dev eth0 | awk '{print $4, $2}'
EOF
chmod 0755 "$root/usr/bin/guest-address"

(cd "$root" && find . | busybox cpio -o -H newc 2>/dev/null) | gzip -1 > "$work/initramfs.gz"

mkdir -p "$out.tmp"
mv "$work/vmlinuz" "$work/initramfs.gz" "$work/admin_ed25519" "$work/admin_ed25519.pub" "$work/known_hosts" "$out.tmp/"
echo "$guest_ssh_port" > "$out.tmp/guest_ssh_port"
echo "$package" > "$out.tmp/kernel_package"
touch "$out.tmp/done"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "$out"
