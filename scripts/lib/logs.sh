# Log files of the engine and the panel: they name every tenant's containers, so they are not for every
# local user. The directory is root:ovz 0750; each file 0640, group ovz (the panel's group), owned by the
# process that writes it. Files from older installs (0644) are fixed on every run.
#   source scripts/lib/logs.sh; prepare_logs DIR   → creates DIR, engine.log, panel.log, panel-build.log
prepare_logs() {
  local dir=$1
  install -d -m 0750 -o root -g ovz "$dir"
  chown root:ovz "$dir" && chmod 0750 "$dir"
  local f
  for f in engine.log panel-build.log panel.log; do
    touch "$dir/$f"
    chmod 0640 "$dir/$f"
    if [ "$f" = panel.log ]; then chown ovz-panel:ovz "$dir/$f"; else chown root:ovz "$dir/$f"; fi
  done
}
