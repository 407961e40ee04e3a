#!/usr/bin/env bash
# Installs the compatible commands (vzctl, prlctl, vzlist, vzmigrate, vzmlocal), the host-scope tools (vzps, pstat) and
# ovz-node (joins this host to a panel as a node) as
# small wrappers in BIN_DIR (default /usr/local/sbin), each running this checkout's code with its own
# tsx, from any working directory.   bash scripts/install-cli.sh [BIN_DIR]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-/usr/local/sbin}
mkdir -p "$bin"
loader="$repo/node_modules/tsx/dist/loader.mjs"
[ -f "$loader" ] || { echo "install-cli: $loader is missing; run scripts/install.sh first" >&2; exit 1; }
# Each command is bundled once with esbuild (it comes with tsx) into node_modules/.cache/ovz-cli/:
# starting a bundle takes about half the time of compiling the TypeScript on the fly. Re-run this script
# after changing the code (run.sh does). If bundling fails, the wrapper runs the TypeScript through tsx.
# One directory per checkout: git worktrees that share a node_modules must not run each other's code.
out="$repo/node_modules/.cache/ovz-cli/$(printf %s "$repo" | sha256sum | cut -c1-12)"
mkdir -p "$out"
bundle() { # entry name → prints the file to run
  local tmp="$out/.$2.$$.mjs"
  if "$repo/node_modules/.bin/esbuild" "$repo/$1" --bundle --platform=node --format=esm --packages=external \
      --banner:js="import { createRequire as __ovzRequire } from 'module'; const require = __ovzRequire(import.meta.url);" \
      --outfile="$tmp" --log-level=error >&2; then
    mv -f "$tmp" "$out/$2.mjs" && echo "$out/$2.mjs"
  else
    rm -f "$tmp"
    echo "install-cli: bundling $1 failed; $2 runs through tsx" >&2
    echo ""
  fi
}
wrap() { # name script [tool-arg]
  local tmp="$bin/.$1.$$" js
  js=$(bundle "$2" "${2//\//_}")
  if [ -n "$js" ]; then
    printf '#!/bin/sh\n# %s: installed by %s/scripts/install-cli.sh\nexec node "%s" %s"$@"\n' "$1" "$repo" "$js" "${3:+$3 }" >"$tmp"
  else
    printf '#!/bin/sh\n# %s: installed by %s/scripts/install-cli.sh\nexec node --import "%s" "%s" %s"$@"\n' "$1" "$repo" "$loader" "$repo/$2" "${3:+$3 }" >"$tmp"
  fi
  chmod 0755 "$tmp"
  mv -f "$tmp" "$bin/$1"
}
for t in vzctl prlctl vzlist vzmigrate vzmlocal; do wrap "$t" server/cli/main.ts "$t"; done
wrap vzps native/src/tools/vzps.ts
wrap pstat native/src/tools/pstat.ts
wrap ovz-node native/src/tools/node-join.ts
echo "installed vzctl prlctl vzlist vzmigrate vzmlocal vzps pstat ovz-node into $bin"
