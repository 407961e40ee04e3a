#!/usr/bin/env bash
# Quick start, command 1 of 2: install what is missing, start the host engine (root) on this host,
# make sure the busybox and debian-12 templates exist, migrate the panel's database (SQLite by
# default), seed the first admin (printing how to log in) and start the panel as the unprivileged
# ovz-panel user. Re-running it is safe.
#   OVZ_SKIP_DEBIAN=1    skip building debian-12 (needs Debian's archive, ~1 min)
#   OVZ_PANEL_PORT=3000  OVZ_PANEL_HOST=127.0.0.1  where the panel listens
#   DATABASE_URL=…       file:/var/lib/ovz-panel/panel.db (default) or postgresql://…
#   OVZ_START_TIMEOUT=300  seconds the engine and the panel may take to start (it stops early if one dies)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "run.sh: run as root (the engine manages cgroups, mounts and user namespaces)"; exit 1; }
bash scripts/install.sh
# shellcheck source=lib/logs.sh
source scripts/lib/logs.sh
# shellcheck source=lib/wait.sh
source scripts/lib/wait.sh
# how long the engine and the panel may take to start (a slow host compiles the sources for a minute)
start_timeout=${OVZ_START_TIMEOUT:-300}
logs=${OVZ_LOG_DIR:-/var/log/ovz}
prepare_logs "$logs"

export OVZ_STATE_DIR=${OVZ_STATE_DIR:-/var/lib/ovz}
export OVZ_SOCKET=${OVZ_SOCKET:-/run/ovz/engine.sock}
mkdir -p "$OVZ_STATE_DIR"
pidfile="$OVZ_STATE_DIR/engine.pid"
if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  echo "engine already running (pid $(cat "$pidfile"))"
else
  echo "starting engine (log: $logs/engine.log)"
  nohup node --import tsx native/src/main.ts >>"$logs/engine.log" 2>&1 &
  engine_pid=$!
  if ! wait_for "$engine_pid" "$start_timeout" test -S "$OVZ_SOCKET"; then
    tail -20 "$logs/engine.log"
    echo "engine did not start: it $(wait_failure "$engine_pid" "$start_timeout") (log: $logs/engine.log)"
    exit 1
  fi
fi

call() { node --import tsx native/src/tools/engine-call.ts "$@"; }
have=$(call template.list '{}')
grep -q '"name": "busybox"' <<<"$have" || call template.build '{"kind":"busybox"}' >/dev/null
if [ -z "${OVZ_SKIP_DEBIAN:-}" ] && ! grep -q '"name": "debian-12"' <<<"$have"; then
  call template.build '{"kind":"debian-12"}' >/dev/null
fi
call engine.info '{}' >/dev/null
echo "engine ready on $OVZ_SOCKET — try: node --import tsx native/src/tools/engine-call.ts container.list"

# ---- the panel (unprivileged) ----
export DATABASE_URL=${DATABASE_URL:-file:/var/lib/ovz-panel/panel.db}
export NEXT_TELEMETRY_DISABLED=1 CHECKPOINT_DISABLE=1
port=${OVZ_PANEL_PORT:-3000}
host=${OVZ_PANEL_HOST:-127.0.0.1}
as_panel() { setpriv --reuid=ovz-panel --regid=ovz --init-groups -- env HOME=/var/lib/ovz-panel "$@"; }
install -d -o ovz-panel -g ovz -m 0750 /var/lib/ovz-panel
as_panel node --import tsx server/db/migrate.ts
as_panel node --import tsx server/seed.ts --email "${OVZ_ADMIN_EMAIL:-admin@localhost}" ${OVZ_ADMIN_PASSWORD:+--password "$OVZ_ADMIN_PASSWORD"}
# ---- the compatible commands (vzctl, prlctl, vzlist, vzps, pstat) on the PATH ----
# They read the panel's database and the engine socket from /etc/ovz/ovz.conf (0600: it may hold a
# PostgreSQL password) and run as the database file's owner (see server/cli/env.ts).
install -d -m 0755 /etc/ovz
conf=/etc/ovz/ovz.conf
[ -f "$conf" ] || printf '# ovz-panel settings for vzctl/prlctl/vzlist (written by scripts/run.sh)\n' >"$conf"
set_conf() { { grep -v "^$1=" "$conf" || true; echo "$1=$2"; } >"$conf.new" && mv -f "$conf.new" "$conf"; }
set_conf DATABASE_URL "$DATABASE_URL"
set_conf OVZ_SOCKET "$OVZ_SOCKET"
# vz.conf's default template for `vzctl create`/`prlctl create` without --ostemplate (kept once set)
grep -q '^DEF_OSTEMPLATE=' "$conf" || set_conf DEF_OSTEMPLATE "$([ -z "${OVZ_SKIP_DEBIAN:-}" ] && echo debian-12 || echo busybox)"
chmod 0600 "$conf"
bash scripts/install-cli.sh /usr/local/sbin

# shellcheck source=lib/panel-build.sh
source scripts/lib/panel-build.sh
if ! panel_build_current; then
  echo "building the panel (next build, ~1 min)"
  node_modules/.bin/next build >"$logs/panel-build.log" 2>&1 || { tail -30 "$logs/panel-build.log"; exit 1; }
  panel_build_stamp >.next/ovz-build-stamp
fi
install -d -o ovz-panel -g ovz .next/cache
chown -R ovz-panel:ovz .next/cache
ppid_file=/var/lib/ovz-panel/panel.pid
if [ -f "$ppid_file" ] && kill -0 "$(cat "$ppid_file")" 2>/dev/null; then
  echo "panel already running (pid $(cat "$ppid_file")); restart it with: kill $(cat "$ppid_file") && bash scripts/run.sh"
else
  NODE_ENV=production OVZ_SOCKET=$OVZ_SOCKET nohup setpriv --reuid=ovz-panel --regid=ovz --init-groups -- \
    env HOME=/var/lib/ovz-panel node --import tsx server/http/main.ts -p "$port" -H "$host" >>"$logs/panel.log" 2>&1 &
  panel_pid=$!
  echo $panel_pid >"$ppid_file"
  panel_up() { curl -s -o /dev/null "http://$host:$port/login"; }
  if ! wait_for "$panel_pid" "$start_timeout" panel_up; then
    tail -20 "$logs/panel.log"
    echo "panel did not start: it $(wait_failure "$panel_pid" "$start_timeout") (log: $logs/panel.log)"
    exit 1
  fi
fi
echo "panel ready: http://localhost:$port (log: $logs/panel.log) — runs as user ovz-panel, talks to the engine over $OVZ_SOCKET"
