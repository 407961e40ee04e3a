/**
 * The real stack for e2e tests, shared by global setup/teardown and the specs through a state file.
 */
import fs from "node:fs";
import path from "node:path";

export const STATE_FILE = path.resolve("test-results/e2e-stack.json");
export const ADMIN = { email: "admin@e2e.test", password: "e2e-admin-password" };

export interface StackState {
  baseURL: string;
  panelPid: number;
  dbDir: string;
  databaseUrl: string;
  engine: { id: string; stateDir: string; socket: string; cgroupParent: string; netns: string };
}

export function readState(): StackState {
  return JSON.parse(fs.readFileSync(STATE_FILE, "utf8")) as StackState;
}
