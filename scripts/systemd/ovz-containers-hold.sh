#!/bin/sh
# ExecStart of ovz-containers.service (Type=forking): a process that holds the unit open, moved into a leaf
# cgroup of the unit's delegated subtree — a cgroup v2 cgroup that delegates controllers to its children
# may hold no processes itself — with its pid where the unit's PIDFile= looks. Then this shell exits.
set -eu
mkdir -p /run/ovz
sleep infinity </dev/null >/dev/null 2>&1 &
holder=$!
cg=$(sed -n 's/^0:://p' /proc/self/cgroup)
if [ -n "$cg" ] && [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
  mkdir -p "/sys/fs/cgroup$cg/holder"
  echo "$holder" >"/sys/fs/cgroup$cg/holder/cgroup.procs"
fi
echo "$holder" >/run/ovz/containers-holder.pid
