# Debian packages, chosen in one place: what a production node needs, and what only the test suite
# needs on top (installed by scripts/test.sh, never by run.sh on a production host).
#   source scripts/lib/packages.sh; apt_packages production|test   → one package per line
# SYSFS (default /sys) is where the kernel's AppArmor state is read (tests point it elsewhere).

# true when the running kernel enforces AppArmor (Debian's and Ubuntu's do): LXC then needs the
# apparmor userspace to load its profile "lxc-container-default-cgns", or no container starts
apparmor_enforced() {
  [ "$(cat "${SYSFS:-/sys}/module/apparmor/parameters/enabled" 2>/dev/null)" = Y ]
}

apt_packages() {
  local what=${1:-production}
  # engine: LXC and its userspace, storage, templates, networking; curl: run.sh waits for the panel with it
  local pkgs=(lxc btrfs-progs busybox-static debootstrap uidmap nftables dnsmasq-base zstd iproute2 util-linux
    xz-utils openssl curl ca-certificates)
  if apparmor_enforced; then pkgs+=(apparmor); fi
  # tests: private PostgreSQL clusters, Debian's Chromium for Playwright, iperf3 for the shaping tests
  if [ "$what" = test ]; then pkgs+=(postgresql chromium iperf3); fi
  printf '%s\n' "${pkgs[@]}"
}
