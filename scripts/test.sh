#!/usr/bin/env bash
# Quick start, command 2 of 2: the whole test suite. Installs what is missing first.
# Root-only suites (real containers) run when this runs as root, as CI does; otherwise they are
# skipped with a loud notice.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export NEXT_TELEMETRY_DISABLED=1 CHECKPOINT_DISABLE=1
echo "== typecheck"
npx tsc -p tsconfig.json --noEmit
echo "== tests"
mkdir -p test-results
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json "$@" || status=$?
# One plain closing line: "N passed, N failed, N skipped".
node -e '
  const r = require("./test-results/vitest.json");
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' || true
exit $status
