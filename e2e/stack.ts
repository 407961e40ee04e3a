/**
 * The real stack for e2e tests, shared by global setup/teardown and the specs through a state file: a
 * real engine (own netns), the panel's production build as the ovz-panel user, on PostgreSQL (a private
 * cluster: a second node can join, nodes.e2e.ts).
 */
import fs from "node:fs";
import path from "node:path";

export const STATE_FILE = path.resolve("test-results/e2e-stack.json");
export const ADMIN = { email: "admin@e2e.test", password: "e2e-admin-password" };

export interface StackState {
  baseURL: string;
  panelPid: number;
  /** the panel's log and PKI (owned by ovz-panel) */
  runDir: string;
  /** postgresql://… of the panel's database */
  databaseUrl: string;
  /** OVZ_PANEL_PKI of the panel: its CA and client certificate */
  panelPki: string;
  panelLog: string;
  engine: { id: string; stateDir: string; socket: string; cgroupParent: string; netns: string };
}

export function readState(): StackState {
  return JSON.parse(fs.readFileSync(STATE_FILE, "utf8")) as StackState;
}
