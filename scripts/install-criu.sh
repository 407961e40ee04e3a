#!/usr/bin/env bash
# CRIU for checkpoint/restore (vzctl chkpnt/restore). Debian bookworm's criu 3.17 fails on this kernel
# ("vdso: Unexpected rt vDSO area bounds") and stock 4.1.1 has three bugs on kernel 6.16+, so we build
# CRIU 4.2.1 from Debian sid's orig tarball (fetched through apt with a private config: only Debian's
# archive) against bookworm's libraries, with the patches in scripts/criu-patches/ (each says why), and
# install it under /opt/criu (never over the system's criu).
# Idempotent: does nothing when /opt/criu/sbin/criu was built from this version with these patches (its stamp
# /opt/criu/.ovz-build says so) and `criu check` says "Looks good"; rebuilds when a patch changed.
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

# What /opt/criu must have been built from: the version and the patches' contents. A system criu, however
# new, lacks the patches (a container's veth would not restore on kernels before 6.14), so it is not used.
PATCH_DIR=$(pwd -P)/scripts/criu-patches
STAMP="$VERSION $(cat "$PATCH_DIR"/*.patch | sha256sum | cut -c1-16)"
if criu_ok $PREFIX/sbin/criu && [ "$(cat $PREFIX/.ovz-build 2>/dev/null)" = "$STAMP" ]; then
  echo "install-criu: $($PREFIX/sbin/criu --version | head -1) at $PREFIX/sbin/criu ($STAMP) passes criu check"
  exit 0
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
for p in "$PATCH_DIR"/*.patch; do
  patch -p1 --quiet --forward <"$p" || { echo "install-criu: patch $(basename "$p") does not apply" >&2; exit 1; }
done
make -j2 NETWORK_LOCK_DEFAULT=NETWORK_LOCK_NFTABLES criu >$work/build.log 2>&1 ||
  { tail -30 $work/build.log >&2; echo "install-criu: build failed (log $work/build.log)" >&2; exit 1; }
rm -f $PREFIX/.ovz-build
make install-criu PREFIX=$PREFIX >>$work/build.log 2>&1
cd $work && rm -rf build

if ! criu_ok $PREFIX/sbin/criu; then
  $PREFIX/sbin/criu check >&2 || true
  echo "install-criu: $PREFIX/sbin/criu check failed" >&2
  exit 1
fi
echo "$STAMP" >$PREFIX/.ovz-build
echo "install-criu: built CRIU $VERSION into $PREFIX in $(($(date +%s) - start)) s; criu check: Looks good"
