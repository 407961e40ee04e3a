# Debian packages, chosen in one place: what a production node needs, and what only the test suite
# needs on top (installed by scripts/test.sh, never by run.sh on a production host).
#   source scripts/lib/packages.sh; apt_packages production|test   → one package per line
#                                    criu_packages runtime|build      → CRIU's (scripts/install-criu.sh)
# SYSFS (default /sys) is where the kernel's AppArmor state is read (tests point it elsewhere).

# true when the running kernel enforces AppArmor (Debian's and Ubuntu's do): LXC then needs the
# apparmor userspace to load its profile "lxc-container-default-cgns", or no container starts
apparmor_enforced() {
  [ "$(cat "${SYSFS:-/sys}/module/apparmor/parameters/enabled" 2>/dev/null)" = Y ]
}

apt_packages() {
  local what=${1:-production}
  # engine: LXC and its userspace, storage, templates, networking; lxcfs: the containers' own view of /proc (the
  # engine runs its own instance, native/src/lxcfs.ts); curl: run.sh waits for the panel with it; openssh-client:
  # ssh-keygen gives clones and containers from templates their own SSH host keys (native/src/ssh-host-keys.ts)
  local pkgs=(lxc lxcfs btrfs-progs busybox-static debootstrap uidmap nftables dnsmasq-base zstd iproute2 util-linux
    xz-utils openssl curl ca-certificates openssh-client)
  if apparmor_enforced; then pkgs+=(apparmor); fi
  # tests: private PostgreSQL clusters, Debian's Chromium for Playwright, iperf3 for the shaping tests,
  # QEMU for the Debian 12 VM test bed (scripts/vm/test.sh; debootstrap builds its image)
  if [ "$what" = test ]; then pkgs+=(postgresql chromium iperf3 qemu-system-x86 qemu-utils); fi
  printf '%s\n' "${pkgs[@]}"
}

# CRIU 4.2.1, built from source into /opt/criu by scripts/install-criu.sh: what the build needs, and the
# libraries the built binary runs with (kept after the build; a prebuilt /opt/criu needs them too)
criu_packages() {
  if [ "${1:-runtime}" = build ]; then
    printf '%s\n' dpkg-dev build-essential pkgconf libbsd-dev libcap-dev libgnutls28-dev libnet1-dev \
      libnftables-dev libnl-3-dev libprotobuf-c-dev libprotobuf-dev protobuf-c-compiler protobuf-compiler \
      python3-protobuf uuid-dev libaio-dev
  else
    printf '%s\n' libprotobuf-c1 libnl-3-200 libnet1 libnftables1 libbsd0 libcap2 libgnutls30 libuuid1 libaio1 nftables
  fi
}
