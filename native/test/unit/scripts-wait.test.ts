/**
 * run.sh waits for the daemons it starts (scripts/lib/wait.sh): as long as the daemon lives, up to a deadline —
 * on a slow host (a busy VPS, a VM under emulation) the engine takes a minute to compile its TypeScript at
 * start-up, far more than the fixed 20 s run.sh used to allow — and it gives up at once when the daemon died.
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const REPO = path.resolve(import.meta.dirname, "../../..");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ovz-wait-"));

/** Runs `script` in bash with wait.sh sourced; returns its exit status and how long it took. */
function bash(script: string): { status: number | null; ms: number; out: string } {
  const t0 = Date.now();
  const env = { ...process.env, T: tmp };
  const r = spawnSync("bash", ["-c", `source scripts/lib/wait.sh; ${script}`], { cwd: REPO, encoding: "utf8", env });
  return { status: r.status, ms: Date.now() - t0, out: r.stdout.trim() };
}

describe("run.sh's wait for its daemons (scripts/lib/wait.sh)", () => {
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("waits while the daemon lives and succeeds once the check passes", () => {
    // a "daemon" that opens its socket after 1.5 s; the deadline is far away
    const daemon = `(sleep 1.5; touch "$T/sock"; sleep 5) >/dev/null 2>&1 &`;
    const r = bash(`${daemon} wait_for $! 60 test -e "$T/sock"; echo "rc=$?"`);
    expect(r.out).toBe("rc=0");
    expect(r.ms).toBeGreaterThanOrEqual(1400);
    expect(r.ms).toBeLessThan(5000);
  });

  it("gives up at once when the daemon exited, and says so", () => {
    const r = bash(`(exit 3) & pid=$!; sleep 0.3; wait_for $pid 60 false; echo "rc=$? $(wait_failure $pid 60)"`);
    expect(r.out).toBe("rc=1 exited during start-up");
    expect(r.ms).toBeLessThan(5000);
  });

  it("gives up at the deadline when the daemon lives but never answers", () => {
    const daemon = "sleep 30 >/dev/null 2>&1 & pid=$!";
    const r = bash(`${daemon}; wait_for $pid 2 false; echo "rc=$? $(wait_failure $pid 2)"; kill $pid`);
    expect(r.out).toBe("rc=1 did not answer within 2 s");
    expect(r.ms).toBeGreaterThanOrEqual(900); // SECONDS counts whole seconds: 1 to 2 s
    expect(r.ms).toBeLessThan(5000);
  });

  it("run.sh waits for the engine's socket and the panel through wait_for, with one deadline", () => {
    const run = fs.readFileSync(path.join(REPO, "scripts/run.sh"), "utf8");
    expect(run).toMatch(/^\s*if ! wait_for "\$engine_pid" "\$start_timeout" test -S "\$OVZ_SOCKET"; then$/m);
    expect(run).toMatch(/^\s*if ! wait_for "\$panel_pid" "\$start_timeout" panel_up; then$/m);
    expect(run).not.toMatch(/seq 1 1[02]0/);
    expect(execFileSync("bash", ["-n", "scripts/run.sh"], { cwd: REPO, encoding: "utf8" })).toBe("");
  });
});
