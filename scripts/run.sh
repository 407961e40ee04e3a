#!/usr/bin/env bash
# Quick start, command 1 of 2: install what is missing, start the host engine (root) on this host,
# make sure the busybox and debian-12 templates exist, migrate the panel's database (SQLite by
# default), seed the first admin (printing how to log in) and start the panel as the unprivileged
# ovz-panel user. Re-running it is safe. Where systemd is PID 1 (Debian 12, Ubuntu) it installs and enables
# the units ovz-engine, ovz-containers and ovz-panel (scripts/systemd), so all of it comes back after a
# reboot and onboot containers start in boot order; elsewhere (a container, this CI machine) it starts the
# daemons with nohup and starts the onboot containers once per host boot.
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
# shellcheck source=lib/units.sh
source scripts/lib/units.sh
if systemd_is_init; then
  # systemd units (scripts/systemd): they come back after a reboot; the engine's settings in /etc/ovz/engine.env
  install -d -m 0755 /etc/ovz
  env_file_set /etc/ovz/engine.env OVZ_STATE_DIR "$OVZ_STATE_DIR"
  env_file_set /etc/ovz/engine.env OVZ_SOCKET "$OVZ_SOCKET"
  # pure cgroup v2: the containers' cgroups below the unit that delegates them (never systemd's own)
  if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
    env_file_set /etc/ovz/engine.env OVZ_CGROUP_DELEGATE "$CONTAINERS_CGROUP"
  fi
  stop_nohup "$OVZ_STATE_DIR/engine.pid" engine
  changed=$(install_units "$(pwd -P)")
  [[ " $changed " == *" ovz-engine.service "* ]] && systemctl try-restart ovz-engine.service
  echo "starting ovz-engine.service and ovz-containers.service (logs: journalctl -u ovz-engine -u ovz-containers)"
  systemctl start ovz-engine.service
  systemctl start --no-block ovz-containers.service # its start waits for the engine, then starts onboot ones
  engine_pid=$(unit_pid ovz-engine.service)
  if [ "$engine_pid" = 0 ] || ! wait_for "$engine_pid" "$start_timeout" test -S "$OVZ_SOCKET"; then
    journalctl -u ovz-engine.service -n 20 --no-pager
    echo "engine did not start: it $(wait_failure "$engine_pid" "$start_timeout") (journalctl -u ovz-engine)"
    exit 1
  fi
else
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
fi

call() { node --import tsx native/src/tools/engine-call.ts "$@"; }
have=$(call template.list '{}')
grep -q '"name": "busybox"' <<<"$have" || call template.build '{"kind":"busybox"}' >/dev/null
if [ -z "${OVZ_SKIP_DEBIAN:-}" ] && ! grep -q '"name": "debian-12"' <<<"$have"; then
  call template.build '{"kind":"debian-12"}' >/dev/null
fi
call engine.info '{}' >/dev/null
# without systemd nothing else starts the onboot containers after a reboot: once per host boot, here
systemd_is_init || call host.boot '{}' >/dev/null
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
  built=1
fi
install -d -o ovz-panel -g ovz .next/cache
chown -R ovz-panel:ovz .next/cache
panel_up() { curl -s -o /dev/null "http://$host:$port/login"; }
ppid_file=/var/lib/ovz-panel/panel.pid
if systemd_is_init; then
  stop_nohup "$ppid_file" panel
  penv=/etc/ovz/panel.env
  before=$(cat "$penv" 2>/dev/null || true)
  env_file_set "$penv" DATABASE_URL "$DATABASE_URL"
  env_file_set "$penv" OVZ_SOCKET "$OVZ_SOCKET"
  env_file_set "$penv" OVZ_PANEL_PORT "$port"
  env_file_set "$penv" OVZ_PANEL_HOST "$host"
  # a new build, new settings or a new unit file need a restart; otherwise a running panel is left alone
  if [ -n "${built:-}" ] || [ "$before" != "$(cat "$penv")" ] || [[ " $changed " == *" ovz-panel.service "* ]]; then
    systemctl restart ovz-panel.service
  else
    systemctl start ovz-panel.service
  fi
  panel_pid=$(unit_pid ovz-panel.service)
  if [ "$panel_pid" = 0 ] || ! wait_for "$panel_pid" "$start_timeout" panel_up; then
    journalctl -u ovz-panel.service -n 20 --no-pager
    echo "panel did not start: it $(wait_failure "$panel_pid" "$start_timeout") (journalctl -u ovz-panel)"
    exit 1
  fi
  echo "panel ready: http://localhost:$port (journalctl -u ovz-panel) — ovz-panel.service as user ovz-panel, talks to the engine over $OVZ_SOCKET"
  echo "services: ovz-engine, ovz-containers (onboot at boot; stop or suspend at shutdown), ovz-panel — enabled at boot"
  exit 0
fi
if [ -f "$ppid_file" ] && kill -0 "$(cat "$ppid_file")" 2>/dev/null; then
  echo "panel already running (pid $(cat "$ppid_file")); restart it with: kill $(cat "$ppid_file") && bash scripts/run.sh"
else
  NODE_ENV=production OVZ_SOCKET=$OVZ_SOCKET nohup setpriv --reuid=ovz-panel --regid=ovz --init-groups -- \
    env HOME=/var/lib/ovz-panel node --import tsx server/http/main.ts -p "$port" -H "$host" >>"$logs/panel.log" 2>&1 &
  panel_pid=$!
  echo $panel_pid >"$ppid_file"
  if ! wait_for "$panel_pid" "$start_timeout" panel_up; then
    tail -20 "$logs/panel.log"
    echo "panel did not start: it $(wait_failure "$panel_pid" "$start_timeout") (log: $logs/panel.log)"
    exit 1
  fi
fi
echo "panel ready: http://localhost:$port (log: $logs/panel.log) — runs as user ovz-panel, talks to the engine over $OVZ_SOCKET"
