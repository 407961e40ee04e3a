import fs from "node:fs";
import path from "node:path";
import type { TestEngine } from "../native/test/helpers/engine.js";
import type { PgCluster } from "../server/test/helpers/pg-cluster.js";
import { readState, STATE_FILE } from "./stack.js";

const g = globalThis as unknown as { __e2eEngine?: TestEngine; __e2ePg?: PgCluster };

export default async function globalTeardown(): Promise<void> {
  if (!fs.existsSync(STATE_FILE)) return;
  const s = readState();
  try {
    process.kill(s.panelPid, "SIGTERM");
  } catch {
    /* already gone */
  }
  await waitGone(s.panelPid);
  // The engine and cluster objects live in this process (same as global setup): destroy containers,
  // netns, pool, cgroups; stop PostgreSQL and delete its directory.
  try {
    await g.__e2eEngine?.cleanup();
  } finally {
    g.__e2ePg?.stop();
    // the panel's log outlives the run, for failures
    if (fs.existsSync(s.panelLog)) fs.copyFileSync(s.panelLog, path.resolve("test-results/panel.log"));
    fs.rmSync(s.runDir, { recursive: true, force: true });
    fs.rmSync(STATE_FILE, { force: true });
  }
}

/** The panel exits within a few seconds of SIGTERM (it holds database connections until then). */
async function waitGone(pid: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
