#!/usr/bin/env bash
# The Debian 12 VM test bed, in one command (as root):  bash scripts/vm/test.sh
# Proves the product on a real Debian 12 host — systemd as PID 1, pure cgroup v2, AppArmor — which this
# machine (hybrid cgroup v1, no systemd) is not. It
#   1. builds or reuses the cached Debian 12 image (scripts/vm/build-image.sh; the only network use);
#   2. makes a fresh copy-on-write disk over it (qcow2) and a payload disk holding this checkout as it is
#      (tracked and untracked files, node_modules, the built panel), the host's node, CRIU
#      (/opt/criu), the engine's C helpers built from this checkout's sources and the debian-12 tarball
#      (built here with debootstrap once, cached in /var/cache/ovz/templates);
#   3. boots QEMU without a NIC; the guest runs scripts/vm/guest.sh — the README's run command, then the
#      host suites (native/test/vm/guest-os.vm.test.ts, host.vm.test.ts) — and powers off;
#   4. boots the same disk again (a host reboot): native/test/vm/reboot.vm.test.ts;
#   5. copies the guest's results to test-results/vm/ (serial logs, vitest JSON, timings) and exits
#      non-zero when a guest suite failed or a boot did not finish within the deadline.
# Every loop device, mount and temporary file it makes is removed on exit, also on failure.
#   OVZ_VM_DEADLINE=2400   seconds each boot may take (TCG on 2 busy cores is slow)
#   OVZ_VM_GUEST_BUILD=1  let the guest's run command build the panel (else: built here, cached)
#   OVZ_VM_CACHE, OVZ_VM_MIRROR   see build-image.sh (the panel's build is cached in $OVZ_VM_CACHE/panel)
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "vm/test.sh: run as root (loop mounts, the image build)" >&2; exit 1; }
for t in qemu-system-x86_64 qemu-img; do
  command -v $t >/dev/null || { echo "vm/test.sh: needs $t (apt-get install qemu-system-x86 qemu-utils)" >&2; exit 1; }
done
checkout=$(pwd -P)
deadline=${OVZ_VM_DEADLINE:-2400}
cache=${OVZ_VM_CACHE:-/var/cache/ovz-vm}
out=$checkout/test-results/vm
rm -rf "$out" && mkdir -p "$out"
log() { echo "vm: $*" | tee -a "$out/summary.txt"; }

t=$(date +%s)
image=$(bash scripts/vm/build-image.sh)
log "image $image ready in $(($(date +%s) - t)) s"

tmp=$(mktemp -d /var/tmp/ovz-vm-run.XXXXXX)
mnt=$tmp/mnt
qemu_pid=
cleanup() {
  if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
    kill "$qemu_pid"
    wait "$qemu_pid" 2>/dev/null || true
  fi
  # `mount -o loop` detaches its loop device at umount
  if mountpoint -q "$mnt"; then umount "$mnt" || umount -l "$mnt"; fi
  mountpoint -q "$mnt" || rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT

# ---- the payload disk: the checkout at its host path, node, CRIU, C helpers; results come back on it ----
t=$(date +%s)
truncate -s 8G "$tmp/payload.img"
mkfs.ext4 -q -F -L ovz-payload "$tmp/payload.img"
mkdir -p "$mnt" && mount -o loop "$tmp/payload.img" "$mnt"
mkdir -p "$mnt/bind$checkout" "$mnt/copy" "$mnt/vm" "$mnt/results"
# the checkout as it is: tracked files (minus deleted ones) and untracked ones git does not ignore
git ls-files -z -co --exclude-standard | while IFS= read -r -d '' f; do
  if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
done | tar --null -T - -cf - | tar -xf - -C "$mnt/bind$checkout"
# node_modules as a real directory (a symlinked one — a worktree's — is copied through: Next's bundler
# does not resolve packages outside the checkout)
mkdir -p "$mnt/bind$checkout/node_modules" && cp -a "$(readlink -f node_modules)/." "$mnt/bind$checkout/node_modules/"
lock=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.ovz-lock-hash 2>/dev/null)" != "$lock" ]; then
  # the guest has no network, so install.sh's `npm ci` could not run there: test these node_modules
  log "!!! WARNING: node_modules/.ovz-lock-hash does not match package-lock.json (node_modules were not installed"
  log "!!!          from this lock file by install.sh); the guest uses them as they are"
  echo "$lock" >"$mnt/bind$checkout/node_modules/.ovz-lock-hash"
fi
[ -d server/db/generated ] && cp -a server/db/generated "$mnt/bind$checkout/server/db/"
# The built panel: the run command would build it in the guest, which takes many minutes under emulation.
# Use the checkout's .next when it is current (built from exactly these sources); otherwise build it here,
# in the payload's copy seen at the checkout's path in a private mount namespace (the build holds absolute
# paths), stamped as the guest's run command will compute it, and keep it in the cache for the next run
# with the same sources (the key hashes every file the build can read, not tests or docs).
# OVZ_VM_GUEST_BUILD=1 leaves the build to the guest.
# shellcheck source=../lib/panel-build.sh
source scripts/lib/panel-build.sh
panel_current=0
panel_key=$(
  cd "$mnt/bind$checkout" && {
    echo "$checkout"
    find . \( -path ./node_modules -o -path ./.next -o -path ./e2e -o -path ./docs -o -path ./bench \
      -o -path ./scripts -o -path '*/test' \) -prune -o -type f ! -name '*.md' -print0 | sort -z | xargs -0 sha256sum
  } | sha256sum | cut -c1-16
)
panel_cache=$cache/panel/$panel_key
if [ -n "${OVZ_VM_GUEST_BUILD:-}" ]; then
  log "OVZ_VM_GUEST_BUILD: the guest's run command builds the panel"
elif [ ! -L node_modules ] && panel_build_current; then
  cp -a .next "$mnt/bind$checkout/"
  panel_current=1
elif [ -f "$panel_cache/.next/BUILD_ID" ]; then
  cp -a "$panel_cache/.next" "$mnt/bind$checkout/"
  log "panel: the build cached in $panel_cache"
else
  t=$(date +%s)
  NEXT_TELEMETRY_DISABLED=1 unshare -m --propagation private bash -c '
    set -e
    mount --bind "$1" "$2" && cd "$2"
    node_modules/.bin/next build >"$3" 2>&1 || { tail -30 "$3"; exit 1; }
    source scripts/lib/panel-build.sh && panel_build_stamp >.next/ovz-build-stamp
  ' sh "$mnt/bind$checkout" "$checkout" "$tmp/next-build.log" || { cp "$tmp/next-build.log" "$out/"; exit 1; }
  cp "$tmp/next-build.log" "$out/"
  # one cached build at a time: they are large and any change to the sources makes a new one
  rm -rf "$cache/panel" && mkdir -p "$panel_cache.tmp"
  cp -a "$mnt/bind$checkout/.next" "$panel_cache.tmp/" && mv "$panel_cache.tmp" "$panel_cache"
  log "panel built on the host for the guest in $(($(date +%s) - t)) s (cached in $panel_cache)"
fi
# the host's node (the guest is the same Debian 12, same glibc) and CRIU
mkdir -p "$mnt/copy/usr/local/bin"
cp -L "$(command -v node)" "$mnt/copy/usr/local/bin/node"
[ -x /opt/criu/sbin/criu ] && mkdir -p "$mnt/copy/opt" && cp -a /opt/criu "$mnt/copy/opt/"
# the engine's C helpers, built from this checkout's sources (install-criu.sh would need gcc in the guest)
if command -v gcc >/dev/null; then
  mkdir -p "$mnt/copy/usr/local/lib/ovz"
  for src in native/helpers/*.c; do
    gcc -O2 -Wall -Werror -o "$mnt/copy/usr/local/lib/ovz/$(basename "$src" .c)" "$src"
  done
fi
# the debian-12 template's tarball (the guest has no network to debootstrap it): the one the root tests
# cache, built here once if missing
debian=$(node --import tsx -e '
  import("./native/src/templates/debian-cache.ts").then(async (m) => console.log(await m.cachedDebianTarball()))')
mkdir -p "$mnt/copy/var/cache/ovz/templates" && cp "$debian" "$mnt/copy/var/cache/ovz/templates/debian-12.tar.zst"
cat >"$mnt/vm/env" <<ENV
OVZ_VM_CHECKOUT=$checkout
OVZ_VM_BINDS="$checkout"
OVZ_VM_PANEL_CURRENT=$panel_current
ENV
umount "$mnt"
log "payload ($(du -sh --apparent-size "$tmp/payload.img" | cut -f1) apparent) ready in $(($(date +%s) - t)) s"

# ---- boots ----
qemu-img create -q -f qcow2 -F raw -b "$image/base.img" "$tmp/root.qcow2"
boot() { # $1 = boot number; streams the serial console to $out/serial-$1.log; returns qemu's status
  local n=$1 t0 rc
  t0=$(date +%s)
  log "boot $n: QEMU (TCG, no NIC), deadline $deadline s, serial log $out/serial-$n.log"
  timeout -k 30 "$deadline" qemu-system-x86_64 -accel tcg,thread=single -cpu qemu64 -smp 2 -m 6144 \
    -nographic -nic none -no-reboot \
    -kernel "$image/vmlinuz" -initrd "$image/initrd.img" -append "root=/dev/vda rw console=ttyS0 quiet panic=10" \
    -drive "file=$tmp/root.qcow2,format=qcow2,if=virtio" -drive "file=$tmp/payload.img,format=raw,if=virtio" \
    </dev/null >"$out/serial-$n.log" 2>&1 &
  qemu_pid=$!
  tail -n +1 -f --pid=$qemu_pid "$out/serial-$n.log" &
  rc=0
  wait $qemu_pid || rc=$?
  qemu_pid=
  wait
  log "boot $n: QEMU ended (status $rc) after $(($(date +%s) - t0)) s"
  case $rc in 124 | 137) log "!!! boot $n did not finish within $deadline s: stopped" ;; esac
  return 0
}
results() { # copy the guest's results out of the payload disk
  mount -o loop "$tmp/payload.img" "$mnt" # rw: replays the journal of a guest that was cut off
  cp -a "$mnt/results/." "$out/"
  umount "$mnt"
}

boot 1
results
status=0
if [ ! -f "$out/phase1.done" ]; then
  log "!!! boot 1 did not finish its script (see $out/serial-1.log)"
  status=1
elif ! grep -q '"suite_rc":0}' "$out/phase1.done"; then
  log "boot 1: $(cat "$out/phase1.done")"
  log "!!! boot 1 failed (run command or host suite): no reboot (boot 2 needs what boot 1 leaves behind)"
  status=1
else
  log "boot 1: $(cat "$out/phase1.done")"
  boot 2
  results
  if [ -f "$out/phase2.done" ]; then log "boot 2: $(cat "$out/phase2.done")"; else
    log "!!! boot 2 did not finish its script (see $out/serial-2.log)"
    status=1
  fi
fi
# one line per suite from vitest's JSON: "phase1: N passed, N failed, N skipped"
for p in phase1os phase1 phase2; do
  f=$out/$p.json
  if [ ! -f "$f" ]; then log "$p: no report"; status=1; continue; fi
  line=$(node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const skipped = r.numPendingTests + r.numTodoTests;
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped/todo`);
    process.exit(r.success && r.numFailedTests === 0 ? 0 : 1);
  ' "$f") || status=1
  log "$p: $line"
done
log "$([ $status = 0 ] && echo PASSED || echo FAILED) — results in $out"
exit $status
