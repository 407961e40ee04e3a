#!/usr/bin/env bash
# The Debian 12 VM test bed, step 1 of 2: builds (once) and caches a bootable Debian 12 (bookworm) root
# disk — linux-image-amd64, systemd as PID 1 (pure cgroup v2), the product's runtime apt packages
# (scripts/lib/packages.sh, with apparmor: Debian's kernel enforces it) — and prints the cache directory.
#   bash scripts/vm/build-image.sh            → /var/cache/ovz-vm/<key>  (base.img, vmlinuz, initrd.img)
# The key is a hash of this script and the package list, so a second run reuses the image and a change
# to either builds a new one. Network is used only here, and only to reach Debian's archive (debootstrap
# and apt inside the chroot); the guest itself runs without a NIC. The image knows nothing about the
# checkout: scripts/vm/test.sh brings it on a second disk each run, and the unit below runs its
# scripts/vm/guest.sh at every boot.
#   OVZ_VM_CACHE   cache directory (default /var/cache/ovz-vm; old keys are kept, delete them by hand)
#   OVZ_VM_MIRROR  Debian mirror (default http://deb.debian.org/debian)
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "build-image.sh: run as root (debootstrap, chroot, mkfs)" >&2; exit 1; }
cache=${OVZ_VM_CACHE:-/var/cache/ovz-vm}
mirror=${OVZ_VM_MIRROR:-http://deb.debian.org/debian}
suite=bookworm
# what debootstrap puts in: systemd as init, e2fsprogs (the root fs); the kernel comes with the updates
base_pkgs=systemd-sysv,udev,kmod,e2fsprogs,dbus,procps

# The product's packages for a production node, from the one list (scripts/lib/packages.sh). The guest's
# kernel enforces AppArmor whatever this host's does: answer the list's AppArmor probe for the guest.
# shellcheck source=../lib/packages.sh
source scripts/lib/packages.sh
probe=$(mktemp -d)
mkdir -p "$probe/module/apparmor/parameters" && echo Y >"$probe/module/apparmor/parameters/enabled"
mapfile -t product_pkgs < <(SYSFS=$probe apt_packages production)
rm -rf "$probe"
# CRIU's runtime libraries: scripts/vm/test.sh brings the host's /opt/criu instead of building it in the guest
mapfile -t -O "${#product_pkgs[@]}" product_pkgs < <(criu_packages runtime)

key=$({ cat "$0"; echo "$suite $base_pkgs ${product_pkgs[*]}"; } | sha256sum | cut -c1-16)
out=$cache/$key
if [ -f "$out/base.img" ] && [ -f "$out/vmlinuz" ] && [ -f "$out/initrd.img" ]; then
  echo "$out"
  exit 0
fi

command -v debootstrap >/dev/null && command -v mkfs.ext4 >/dev/null ||
  { echo "build-image.sh: needs debootstrap and e2fsprogs (apt-get install debootstrap e2fsprogs)" >&2; exit 1; }
mkdir -p "$cache"
work=$(mktemp -d "$cache/build.XXXXXX")
R=$work/root
mounted=()
cleanup() {
  local m
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    m=${mounted[i]}
    umount "$m" 2>/dev/null || umount -l "$m" || echo "build-image.sh: could not unmount $m" >&2
  done
  # --one-file-system: never into a bind mount that failed to unmount
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
start=$(date +%s)
echo "build-image: debootstrap $suite from $mirror into $work (log: $work/build.log) …" >&2
debootstrap --variant=minbase --include="$base_pkgs" "$suite" "$R" "$mirror" >"$work/build.log" 2>&1 ||
  { tail -30 "$work/build.log" >&2; exit 1; }
for m in proc sys dev; do
  case $m in
    proc) mount -t proc proc "$R/proc" ;;
    sys) mount -t sysfs sys "$R/sys" ;;
    dev) mount --bind /dev "$R/dev" ;;
  esac
  mounted+=("$R/$m")
done
# no service may start inside the chroot; apt reaches the archive through the host's resolver
printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d" && chmod 755 "$R/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$R/etc/resolv.conf"
security=${mirror%/debian}/debian-security
cat >"$R/etc/apt/sources.list" <<SOURCES
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security $suite-security main
SOURCES
echo "build-image: apt-get install linux-image-amd64 ${product_pkgs[*]} …" >&2
{
  chroot "$R" apt-get update
  DEBIAN_FRONTEND=noninteractive chroot "$R" apt-get -y dist-upgrade
  DEBIAN_FRONTEND=noninteractive chroot "$R" apt-get install -y --no-install-recommends \
    linux-image-amd64 "${product_pkgs[@]}"
  chroot "$R" apt-get clean
} >>"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; exit 1; }
rm -f "$R/usr/sbin/policy-rc.d" "$R/etc/resolv.conf"
rm -rf "$R"/var/lib/apt/lists/*

echo ovz-vm >"$R/etc/hostname"
echo "127.0.1.1 ovz-vm" >>"$R/etc/hosts"
echo "/dev/vda / ext4 rw,errors=remount-ro 0 1" >"$R/etc/fstab"
# The boot hook: at every boot, after multi-user.target, mount the payload disk (label ovz-payload, made
# by scripts/vm/test.sh) and run the checkout's guest script from it; power off when it ends, whatever
# its outcome (the host reads the results from the payload disk).
cat >"$R/usr/local/sbin/ovz-vm-entry" <<'ENTRY'
#!/bin/sh
set -e
mkdir -p /mnt/ovz-payload
mount -L ovz-payload /mnt/ovz-payload
. /mnt/ovz-payload/vm/env
exec /bin/bash "/mnt/ovz-payload/bind$OVZ_VM_CHECKOUT/scripts/vm/guest.sh"
ENTRY
chmod 755 "$R/usr/local/sbin/ovz-vm-entry"
cat >"$R/etc/systemd/system/ovz-vm-test.service" <<'UNIT'
[Unit]
Description=ovz VM test bed: the payload's guest script, then power off
After=multi-user.target
SuccessAction=poweroff
FailureAction=poweroff

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/ovz-vm-entry
TimeoutStartSec=infinity
StandardOutput=journal+console
StandardError=journal+console

[Install]
WantedBy=multi-user.target
UNIT
chroot "$R" systemctl enable ovz-vm-test.service >/dev/null 2>&1
# agetty on the serial console would hang up ttyS0 in the middle of the test output
chroot "$R" systemctl mask serial-getty@ttyS0.service getty@tty1.service >/dev/null 2>&1

for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount "${mounted[i]}"; done
mounted=()
mkdir -p "$work/out"
cp -L "$R/vmlinuz" "$work/out/vmlinuz"
cp -L "$R/initrd.img" "$work/out/initrd.img"
# a sparse 12 GiB ext4 disk made straight from the tree (no loop mount); the engine's 20 GiB sparse pool
# image lives on it
truncate -s 12G "$work/out/base.img"
mkfs.ext4 -q -F -L ovz-root -d "$R" "$work/out/base.img"
echo "built $(date -u +%FT%TZ) in $(($(date +%s) - start)) s: $suite, ${product_pkgs[*]}" >"$work/out/manifest"
rm -rf "$out"
mv "$work/out" "$out"
echo "build-image: done in $(($(date +%s) - start)) s" >&2
echo "$out"
