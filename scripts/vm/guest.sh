#!/usr/bin/env bash
# The Debian 12 VM test bed, inside the guest: run at every boot by the image's ovz-vm-test.service
# (scripts/vm/build-image.sh) from the payload disk scripts/vm/test.sh made, as root, with systemd as
# PID 1 and no network. The unit powers the guest off when this script ends.
#   boot 1: the README's run command (bash scripts/run.sh) as a new user would run it — apt finds every
#           package installed — then the host suites (native/test/vm/guest-os.vm.test.ts: a debian-12
#           container, I/O weights; host.vm.test.ts, which leaves containers for the reboot);
#   boot 2 (the same disk booted again = a host reboot; a marker on the root disk says boot 1 ran):
#           native/test/vm/reboot.vm.test.ts — what came back by itself.
# Results (logs, vitest JSON reports, timings) go to the payload disk's results/, read by the host.
set -uo pipefail
payload=/mnt/ovz-payload
# shellcheck source=/dev/null
. $payload/vm/env # OVZ_VM_CHECKOUT, OVZ_VM_BINDS, OVZ_VM_PANEL_CURRENT
results=$payload/results
state=/var/lib/ovz-vm # on the root disk: it survives the reboot as a host's disk does
mkdir -p "$results" "$state"
up() { cut -d' ' -f1 /proc/uptime; }
note() { echo "ovz-vm: $*"; }
since() { awk -v a="$1" -v b="$(up)" 'BEGIN { printf "%.1f", b - a }'; } # seconds since uptime $1
boot_s=$(up)

# The checkout (and its node_modules' real directory) at the very paths it has on the host: the built
# panel holds absolute paths. Node, CRIU and the engine's C helpers are copied where the host has them.
# At boot 1 this script does it, and installs ovz-vm-mounts.service, which does it at every later boot
# before the product's units start (on a real host the checkout is simply on the root disk; here it is on
# the payload disk, which this unit, started after the units, would mount too late).
if [ ! -f $state/phase1-done ]; then
  for p in $OVZ_VM_BINDS; do
    mkdir -p "$p" && mount --bind "$payload/bind$p" "$p"
  done
  cp -a "$payload/copy/." /
  cat >/usr/local/sbin/ovz-vm-mounts <<MOUNTS
#!/bin/sh
set -e
mkdir -p /run/ovz-vm-payload
mountpoint -q /run/ovz-vm-payload || mount -L ovz-payload /run/ovz-vm-payload
for p in $OVZ_VM_BINDS; do mkdir -p "\$p" && mount --bind "/run/ovz-vm-payload/bind\$p" "\$p"; done
cp -a /run/ovz-vm-payload/copy/. /
MOUNTS
  chmod 755 /usr/local/sbin/ovz-vm-mounts
  cat >/etc/systemd/system/ovz-vm-mounts.service <<'UNIT'
[Unit]
Description=ovz VM test bed: the payload disk and the checkout's bind mounts, before the ovz units
DefaultDependencies=no
# after /tmp is emptied (Debian's tmpfiles.d/tmp.conf "D /tmp"): a checkout under /tmp (CI's clone) would lose
# its mount point between mkdir and mount otherwise
After=local-fs.target systemd-tmpfiles-setup.service
Before=ovz-engine.service ovz-containers.service ovz-panel.service ovz-vm-test.service
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/ovz-vm-mounts
[Install]
WantedBy=multi-user.target
UNIT
  systemctl enable --quiet ovz-vm-mounts.service
fi
cd "$OVZ_VM_CHECKOUT"
export PATH=/opt/criu/sbin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
export NO_COLOR=1 # the serial log is read as text
vitest() { # $1 = report name, rest = vitest filters
  local name=$1
  shift
  node_modules/.bin/vitest run --config native/test/vm/vitest.config.ts --reporter=default --reporter=json \
    --outputFile.json="$results/$name.json" "$@"
}
facts() {
  {
    echo "kernel: $(uname -r)"
    echo "debian: $(cat /etc/debian_version)"
    echo "pid 1: $(cat /proc/1/comm)"
    echo "/sys/fs/cgroup: $(stat -fc %T /sys/fs/cgroup)"
    echo "controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
    echo "apparmor: $(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)"
    echo "boot id: $(cat /proc/sys/kernel/random/boot_id)"
    echo "booted to this script in: ${boot_s} s"
  } | tee "$results/facts-$1.txt"
}

if [ ! -f $state/phase1-done ]; then
  note "boot 1: $(up) s since boot"
  facts 1
  # The panel built on the host for exactly these sources (test.sh checked): stamp it the way run.sh
  # computes stamps here (no git in the guest), so the run command does not rebuild it under emulation.
  if [ "${OVZ_VM_PANEL_CURRENT:-0}" = 1 ]; then
    # shellcheck source=../lib/panel-build.sh
    source scripts/lib/panel-build.sh
    panel_build_stamp >.next/ovz-build-stamp
  fi
  note "the README's run command: OVZ_SKIP_DEBIAN=1 bash scripts/run.sh (no network: no debian-12 template)"
  t0=$(up)
  # its output in run.log; a trace of run.sh's own commands in run.trace (xtrace is not inherited: the
  # scripts it runs and the daemons it starts run as they would without it)
  (exec 9>"$results/run.trace" && BASH_XTRACEFD=9 OVZ_SKIP_DEBIAN=1 bash -x scripts/run.sh) 2>&1 |
    tee "$results/run.log"
  run_rc=${PIPESTATUS[0]}
  run_s=$(since "$t0")
  t1=$(up)
  note "run command: exit $run_rc after $run_s s"
  suite_rc=-1
  if [ "$run_rc" = 0 ]; then
    # a debian-12 container and I/O weights first: the host suite ends by preparing the reboot
    vitest phase1os native/test/vm/guest-os.vm.test.ts
    os_rc=$?
    vitest phase1 native/test/vm/host.vm.test.ts
    suite_rc=$?
    [ "$os_rc" = 0 ] || suite_rc=$os_rc
  fi
  suite_s=$(since "$t1")
  cat /proc/sys/kernel/random/boot_id >$state/phase1-done
  printf '{"boot_s":%s,"run_s":%s,"run_rc":%s,"suite_s":%s,"suite_rc":%s}\n' "$boot_s" "$run_s" "$run_rc" \
    "$suite_s" "$suite_rc" >"$results/phase1.done"
  cp -a /var/log/ovz "$results/logs-1" 2>/dev/null
  journalctl -b --no-pager -u ovz-engine -u ovz-containers -u ovz-panel >"$results/journal-1.txt" 2>&1
  note "boot 1 done: $(cat "$results/phase1.done"); powering off"
else
  note "boot 2 (after the reboot): $(up) s since boot"
  facts 2
  t0=$(up)
  OVZ_VM_PHASE1_BOOT_ID=$(cat $state/phase1-done) OVZ_VM_RESULTS=$results vitest phase2 native/test/vm/reboot.vm.test.ts
  suite_rc=$?
  printf '{"boot_s":%s,"suite_s":%s,"suite_rc":%s}\n' "$boot_s" "$(since "$t0")" "$suite_rc" \
    >"$results/phase2.done"
  cp -a /var/log/ovz "$results/logs-2" 2>/dev/null
  journalctl -b --no-pager -u ovz-engine -u ovz-containers -u ovz-panel >"$results/journal-2.txt" 2>&1
  systemctl status --no-pager 'ovz-*' >"$results/units-2.txt" 2>&1
  note "boot 2 done: $(cat "$results/phase2.done"); powering off"
fi
sync
