#!/usr/bin/env bash
# Install what this project needs on a Debian 12 host, only what is missing: Debian packages (apt)
# and npm packages (npm ci). Idempotent; safe to run on every start and in CI.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(lxc btrfs-progs busybox-static debootstrap uidmap nftables zstd iproute2 util-linux xz-utils openssl)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install: apt packages missing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Debian's lxc-net would create lxcbr0 and NAT containers to the host's uplink: never on this platform.
if [ -f /etc/default/lxc-net ] && ! grep -q '^USE_LXC_BRIDGE="false"' /etc/default/lxc-net; then
  sed -i 's/^USE_LXC_BRIDGE=.*/USE_LXC_BRIDGE="false"/' /etc/default/lxc-net
fi

# The web tier's group: members may talk to the engine socket.
getent group ovz >/dev/null || groupadd --system ovz

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "install: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
