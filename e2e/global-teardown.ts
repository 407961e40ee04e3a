import fs from "node:fs";
import type { TestEngine } from "../native/test/helpers/engine.js";
import { readState, STATE_FILE } from "./stack.js";

const g = globalThis as unknown as { __e2eEngine?: TestEngine };

export default async function globalTeardown(): Promise<void> {
  if (!fs.existsSync(STATE_FILE)) return;
  const s = readState();
  try {
    process.kill(s.panelPid, "SIGTERM");
  } catch {
    /* already gone */
  }
  // The engine object lives in this process (same as global setup): destroy containers, netns, pool, cgroups.
  await g.__e2eEngine?.cleanup();
  fs.rmSync(s.dbDir, { recursive: true, force: true });
  fs.rmSync(STATE_FILE, { force: true });
}
