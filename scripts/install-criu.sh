#!/usr/bin/env bash
# CRIU for checkpoint/restore (vzctl chkpnt/restore). Debian bookworm's criu 3.17 fails on this kernel
# ("vdso: Unexpected rt vDSO area bounds") and stock 4.1.1 has three bugs on kernel 6.16+, so we build
# CRIU 4.2.1 from Debian sid's orig tarball (fetched through apt with a private config: only Debian's
# archive) against bookworm's libraries and install it under /opt/criu (never over the system's criu).
# Idempotent: does nothing when /opt/criu/sbin/criu exists and `criu check` says "Looks good".
set -euo pipefail

PREFIX=/opt/criu
VERSION=4.2.1
DEB_VERSION=4.2.1-1
SHA256=29ec0ee09e296479fe7048c80980e8ef1d0684d0b0204c2b101dfea19f6725b9
ORIG=criu_${VERSION}.orig.tar.xz
# Build dependencies and the runtime libraries the built binary links against (kept when build deps are
# not needed any more), listed in scripts/lib/packages.sh.
# shellcheck source=lib/packages.sh
source "$(dirname "$0")/lib/packages.sh"
mapfile -t BUILD_DEPS < <(criu_packages build)
mapfile -t RUNTIME_DEPS < <(criu_packages runtime)

# The engine's idmapped-mount helper for restores (native/helpers/ovz-idmap-mount.c; see its comment).
HELPER_SRC=native/helpers/ovz-idmap-mount.c
HELPER=/usr/local/lib/ovz/ovz-idmap-mount
cd "$(dirname "$0")/.."
if [ ! -x $HELPER ] || [ $HELPER_SRC -nt $HELPER ]; then
  command -v gcc >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends build-essential >/dev/null; }
  mkdir -p "$(dirname $HELPER)"
  gcc -O2 -Wall -Werror -o $HELPER.tmp $HELPER_SRC && mv $HELPER.tmp $HELPER
  echo "install-criu: built $HELPER"
fi
# Gratuitous ARP for addresses that moved to this node (native/helpers/ovz-garp.c; used after a migration).
GARP=/usr/local/lib/ovz/ovz-garp
if [ ! -x $GARP ] || [ native/helpers/ovz-garp.c -nt $GARP ]; then
  command -v gcc >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends build-essential >/dev/null; }
  mkdir -p "$(dirname $GARP)"
  gcc -O2 -Wall -Werror -o $GARP.tmp native/helpers/ovz-garp.c && mv $GARP.tmp $GARP
  echo "install-criu: built $GARP"
fi

# Live PTY limits: remounts a container's /dev/pts with max= (native/helpers/ovz-devpts-max.c).
DEVPTS=/usr/local/lib/ovz/ovz-devpts-max
if [ ! -x $DEVPTS ] || [ native/helpers/ovz-devpts-max.c -nt $DEVPTS ]; then
  command -v gcc >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends build-essential >/dev/null; }
  mkdir -p "$(dirname $DEVPTS)"
  gcc -O2 -Wall -Werror -o $DEVPTS.tmp native/helpers/ovz-devpts-max.c && mv $DEVPTS.tmp $DEVPTS
  echo "install-criu: built $DEVPTS"
fi

criu_ok() { # $1 = binary
  [ -x "$1" ] || return 1
  "$1" check 2>&1 | grep -q "Looks good"
}

if criu_ok $PREFIX/sbin/criu; then
  echo "install-criu: $($PREFIX/sbin/criu --version | head -1) at $PREFIX/sbin/criu passes criu check"
  exit 0
fi

# A system criu is good enough only if it is >= 4.2 and passes `criu check` (bookworm's 3.17 does not).
if command -v criu >/dev/null 2>&1; then
  sys=$(command -v criu)
  # a criu that cannot run (e.g. a copied /opt/criu without its libraries) is no version: build below
  v=$("$sys" --version 2>/dev/null | sed -n 's/^Version: *//p' | head -1 || true)
  if [ -n "$v" ] && [ "$(printf '%s\n4.2\n' "$v" | sort -V | head -1)" = "4.2" ] && criu_ok "$sys"; then
    mkdir -p $PREFIX/sbin
    ln -sf "$sys" $PREFIX/sbin/criu
    echo "install-criu: using system criu $v ($sys)"
    exit 0
  fi
fi

start=$(date +%s)
missing=()
for p in "${BUILD_DEPS[@]}" "${RUNTIME_DEPS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-criu: apt packages missing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

work=/var/cache/ovz/criu-build
mkdir -p $work/apt/lists/partial $work/apt/cache/archives/partial $work/src
cd $work
if ! echo "$SHA256  src/$ORIG" | sha256sum -c --status 2>/dev/null; then
  # Private apt config: sid's deb-src only for this download; the host's sources and lists stay untouched.
  echo "deb-src http://deb.debian.org/debian sid main" >$work/apt/sources.list
  APT_OPTS=(-o Dir::Etc::sourcelist=$work/apt/sources.list -o Dir::Etc::sourceparts=-
    -o Dir::State::Lists=$work/apt/lists -o Dir::Cache=$work/apt/cache -o APT::Sandbox::User=root)
  apt-get "${APT_OPTS[@]}" update -qq
  # The .dsc may 404 (sid moves on); the orig tarball is what we need and its hash is pinned below.
  (cd src && apt-get "${APT_OPTS[@]}" source --download-only "criu=$DEB_VERSION" >/dev/null 2>&1) || true
  if [ ! -f src/$ORIG ]; then
    url=$(apt-get "${APT_OPTS[@]}" source --print-uris "criu=$DEB_VERSION" 2>/dev/null |
      grep -o "'[^']*$ORIG'" | tr -d "'" | head -1)
    # sid may have moved on to a newer criu: the same file from the archive's pool (hash-checked below)
    [ -n "$url" ] || url="http://deb.debian.org/debian/pool/main/c/criu/$ORIG"
    /usr/lib/apt/apt-helper download-file "$url" src/$ORIG "SHA256:$SHA256"
  fi
fi
echo "$SHA256  src/$ORIG" | sha256sum -c --status || { echo "install-criu: sha256 mismatch for $ORIG" >&2; exit 1; }

rm -rf build && mkdir build
tar -xJf src/$ORIG -C build --strip-components=1
cd build
make -j2 NETWORK_LOCK_DEFAULT=NETWORK_LOCK_NFTABLES criu >$work/build.log 2>&1 ||
  { tail -30 $work/build.log >&2; echo "install-criu: build failed (log $work/build.log)" >&2; exit 1; }
make install-criu PREFIX=$PREFIX >>$work/build.log 2>&1
cd $work && rm -rf build

if ! criu_ok $PREFIX/sbin/criu; then
  $PREFIX/sbin/criu check >&2 || true
  echo "install-criu: $PREFIX/sbin/criu check failed" >&2
  exit 1
fi
echo "install-criu: built CRIU $VERSION into $PREFIX in $(($(date +%s) - start)) s; criu check: Looks good"
