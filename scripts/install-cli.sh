#!/usr/bin/env bash
# Installs the compatible commands (vzctl, prlctl, vzlist) and the host-scope tools (vzps, pstat) as
# small wrappers in BIN_DIR (default /usr/local/sbin), each running this checkout's code with its own
# tsx, from any working directory.   bash scripts/install-cli.sh [BIN_DIR]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-/usr/local/sbin}
mkdir -p "$bin"
loader="$repo/node_modules/tsx/dist/loader.mjs"
[ -f "$loader" ] || { echo "install-cli: $loader is missing; run scripts/install.sh first" >&2; exit 1; }
wrap() { # name script [tool-arg]
  local tmp="$bin/.$1.$$"
  printf '#!/bin/sh\n# %s: installed by %s/scripts/install-cli.sh\nexec node --import "%s" "%s" %s"$@"\n' \
    "$1" "$repo" "$loader" "$repo/$2" "${3:+$3 }" >"$tmp"
  chmod 0755 "$tmp"
  mv -f "$tmp" "$bin/$1"
}
for t in vzctl prlctl vzlist; do wrap "$t" server/cli/main.ts "$t"; done
wrap vzps native/src/tools/vzps.ts
wrap pstat native/src/tools/pstat.ts
echo "installed vzctl prlctl vzlist vzps pstat into $bin"
