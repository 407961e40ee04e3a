#!/usr/bin/env bash
# Quick start, command 1 of 2: install what is missing, start the host engine (root) on this host,
# and make sure the busybox and debian-12 templates exist. Re-running it is safe.
#   OVZ_SKIP_DEBIAN=1  skip building debian-12 (needs Debian's archive, ~1 min)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "run.sh: run as root (the engine manages cgroups, mounts and user namespaces)"; exit 1; }
bash scripts/install.sh

export OVZ_STATE_DIR=${OVZ_STATE_DIR:-/var/lib/ovz}
export OVZ_SOCKET=${OVZ_SOCKET:-/run/ovz/engine.sock}
mkdir -p "$OVZ_STATE_DIR" /var/log/ovz
pidfile="$OVZ_STATE_DIR/engine.pid"
if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  echo "engine already running (pid $(cat "$pidfile"))"
else
  echo "starting engine (log: /var/log/ovz/engine.log)"
  nohup node --import tsx native/src/main.ts >>/var/log/ovz/engine.log 2>&1 &
  for _ in $(seq 1 100); do [ -S "$OVZ_SOCKET" ] && break; sleep 0.2; done
  [ -S "$OVZ_SOCKET" ] || { tail -20 /var/log/ovz/engine.log; echo "engine did not start"; exit 1; }
fi

call() { node --import tsx native/src/tools/engine-call.ts "$@"; }
have=$(call template.list '{}')
grep -q '"name": "busybox"' <<<"$have" || call template.build '{"kind":"busybox"}' >/dev/null
if [ -z "${OVZ_SKIP_DEBIAN:-}" ] && ! grep -q '"name": "debian-12"' <<<"$have"; then
  call template.build '{"kind":"debian-12"}' >/dev/null
fi
call engine.info '{}'
echo "engine ready on $OVZ_SOCKET — try: node --import tsx native/src/tools/engine-call.ts container.list"
