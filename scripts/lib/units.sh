# systemd units for a node (scripts/systemd/*.service), used by run.sh where systemd is PID 1: the engine
# (root), the containers' delegated cgroup with onboot and shutdown, the unprivileged panel.
#   source scripts/lib/units.sh
#   systemd_is_init                   → 0 when systemd runs this host (units are used), else run.sh uses nohup
#   env_file_set FILE KEY VALUE       → sets KEY=VALUE in FILE (0600), keeping the admin's other lines
#   install_units CHECKOUT            → renders the units into /etc/systemd/system, daemon-reload, enable;
#                                       prints the names of the units whose file changed
UNIT_DIR=${OVZ_UNIT_DIR:-/etc/systemd/system}
UNITS=(ovz-engine.service ovz-containers.service ovz-panel.service)
# the delegated cgroup (systemd puts system services in system.slice; ovz-containers.service sets no Slice=)
CONTAINERS_CGROUP=system.slice/ovz-containers.service

systemd_is_init() {
  [ -d /run/systemd/system ] && [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]
}

env_file_set() { # FILE KEY VALUE
  local file=$1 key=$2 value=$3
  [ -f "$file" ] || install -m 0600 /dev/null "$file"
  { grep -v "^$key=" "$file" || true; echo "$key=$value"; } >"$file.new"
  chmod 0600 "$file.new" && mv -f "$file.new" "$file"
}

# ProtectHome=yes hides /home, /root and /run/user: a checkout there needs read-only instead
protect_home() { # CHECKOUT
  case "$1/" in /home/* | /root/* | /run/user/*) echo read-only ;; *) echo yes ;; esac
}

# PrivateTmp=yes gives the unit its own /tmp and /var/tmp: a checkout there would vanish from its view
private_tmp() { # CHECKOUT
  case "$1/" in /tmp/* | /var/tmp/*) echo no ;; *) echo yes ;; esac
}

# without a private /tmp the panel still needs a writable one (tsx's compile cache lives there)
tmp_rw() { # CHECKOUT
  [ "$(private_tmp "$1")" = no ] && echo " /tmp /var/tmp"
  true
}

install_units() { # CHECKOUT
  local checkout=$1 node unit changed=()
  node=$(command -v node)
  local deadline
  deadline=$(sed -n 's/^OVZ_STOP_DEADLINE=//p' /etc/ovz/engine.env 2>/dev/null | tail -1)
  for unit in "${UNITS[@]}"; do
    sed -e "s|@CHECKOUT@|$checkout|g" -e "s|@NODE@|$node|g" -e "s|@PROTECT_HOME@|$(protect_home "$checkout")|g" \
      -e "s|@PRIVATE_TMP@|$(private_tmp "$checkout")|g" -e "s|@TMP_RW@|$(tmp_rw "$checkout")|g" \
      -e "s|@STOP_TIMEOUT@|$((${deadline:-180} + 60))|g" "scripts/systemd/$unit" >"$UNIT_DIR/$unit.new"
    if cmp -s "$UNIT_DIR/$unit.new" "$UNIT_DIR/$unit"; then
      rm -f "$UNIT_DIR/$unit.new"
    else
      mv -f "$UNIT_DIR/$unit.new" "$UNIT_DIR/$unit"
      changed+=("$unit")
    fi
  done
  systemctl daemon-reload
  systemctl enable --quiet "${UNITS[@]}"
  echo "${changed[*]}"
}

# the main pid of a unit (0 when it is not running)
unit_pid() { systemctl show -p MainPID --value "$1"; }

# A daemon an earlier run.sh started with nohup (before the units existed): end it so its unit takes over.
# The engine's containers keep running (they never depend on the daemon).
stop_nohup() { # PIDFILE NAME
  local pid
  pid=$(cat "$1" 2>/dev/null || true)
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  # the unit's own process writes the same pid file: leave it
  [ "$(sed -n 's/^0:://p' "/proc/$pid/cgroup" 2>/dev/null)" = "/system.slice/ovz-$2.service" ] && return 0
  echo "stopping the $2 started without systemd (pid $pid); its unit takes over"
  kill "$pid"
  local i
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$1"
}
