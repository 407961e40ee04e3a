/**
 * What the two sides of a migration (migrate-source.ts, migrate-target.ts) share; migrate.ts composes them.
 */
import type { ContainerInfo, OpContext } from "./engine-types.js";
import type { EngineInternals } from "./engine-internals.js";
import type { ContainerRecord } from "./records.js";

/** The snapshots a migration sends: the base while the container runs, the final one once it is frozen. */
export const BASE = ".mig-base";
export const FINAL = ".mig-final";

export interface MigrateDeps extends EngineInternals {
  checkName(name: string, ctid: number): Promise<void>;
}

/** The lifecycle steps a migration runs (lifecycle.ts). */
export interface MigrateLifecycle {
  start(ctid: number, ctx: OpContext): Promise<ContainerInfo>;
  /** Stop under the caller's lock. */
  stopLocked(rec: ContainerRecord, opts: { force?: boolean }, ctx: OpContext): Promise<void>;
  destroy(ctid: number, opts: { force?: boolean }, ctx: OpContext): Promise<void>;
}
