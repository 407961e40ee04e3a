#!/usr/bin/env bash
# Install what this project needs on a Debian 12 host, only what is missing: Debian packages (apt)
# and npm packages (npm ci). Idempotent; safe to run on every start and in CI.
#   bash scripts/install.sh          a production node (run.sh)
#   bash scripts/install.sh --test   plus what the test suite needs (test.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages (scripts/lib/packages.sh): a production node's; with --test also the test suite's.
what=production
[ "${1:-}" = --test ] && what=test
# shellcheck source=lib/packages.sh
source scripts/lib/packages.sh
mapfile -t APT_PACKAGES < <(apt_packages "$what")
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install: apt packages missing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# A kernel that enforces AppArmor: the containers' profile (scripts/apparmor/lxc-container-ovz: LXC's default
# plus the mounts systemd's sandboxing needs in an unprivileged container) goes next to LXC's profiles, which
# /etc/apparmor.d/lxc-containers loads at every boot; load them now too, not only at the next boot (where
# the apparmor service did not run yet, containers would not start). The engine uses it once it is loaded.
if [ -d /etc/apparmor.d/lxc ]; then
  install -m 0644 scripts/apparmor/lxc-container-ovz /etc/apparmor.d/lxc/lxc-container-ovz
  # containers with the nesting feature (docs/features.md)
  install -m 0644 scripts/apparmor/lxc-container-ovz-nesting /etc/apparmor.d/lxc/lxc-container-ovz-nesting
fi
if apparmor_enforced && [ -f /etc/apparmor.d/lxc-containers ] && command -v apparmor_parser >/dev/null; then
  apparmor_parser -r -W /etc/apparmor.d/lxc-containers
fi

# Debian's lxc-net would create lxcbr0 and NAT containers to the host's uplink: never on this platform.
if [ -f /etc/default/lxc-net ] && ! grep -q '^USE_LXC_BRIDGE="false"' /etc/default/lxc-net; then
  sed -i 's/^USE_LXC_BRIDGE=.*/USE_LXC_BRIDGE="false"/' /etc/default/lxc-net
fi

# The web tier's group (members may talk to the engine socket) and the unprivileged user the panel
# runs as (the privilege split: only the engine runs as root).
getent group ovz >/dev/null || groupadd --system ovz
if ! id ovz-panel >/dev/null 2>&1; then
  useradd --system --gid ovz --home-dir /var/lib/ovz-panel --create-home --shell /usr/sbin/nologin ovz-panel
fi
# Debian's postgresql package starts a cluster on port 5432; tests use private clusters and the panel
# defaults to SQLite, so nothing here needs it.

# npm ci when node_modules was not installed from this exact lock file (a stamp holds its hash).
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.ovz-lock-hash 2>/dev/null)" != "$lock_hash" ]; then
  echo "install: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" >node_modules/.ovz-lock-hash
fi

# CRIU 4.2.1 for checkpoint/restore (built once into /opt/criu; a no-op when it passes `criu check`).
bash scripts/install-criu.sh

# Prisma clients (one per database) are generated, not committed.
gen=server/db/generated
if [ ! -f $gen/sqlite/client.ts ] || [ ! -f $gen/postgresql/client.ts ] || [ prisma/models.prisma -nt $gen/sqlite/client.ts ]; then
  echo "install: prisma generate"
  for url in file:/tmp/ovz-generate.db postgresql://generate@127.0.0.1:1/generate; do
    DATABASE_URL=$url CHECKPOINT_DISABLE=1 node_modules/.bin/prisma generate >/dev/null
  done
fi
