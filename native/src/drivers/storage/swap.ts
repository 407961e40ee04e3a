/**
 * Replacing a container's volume without ever leaving it without one (rollback, restore over an existing
 * container). Shared by the storage drivers; they differ only in how a volume is deleted.
 *
 *   current  = containers/<ctid>            the volume the container runs from
 *   staging  = containers/.staging-<ctid>   the new volume, being built
 *   previous = containers/.previous-<ctid>  the old volume after the swap, kept until the operation commits
 *
 * The swap is two renames (current → previous, staging → current). Whatever the state after a crash,
 * `promote` finishes it and `revert` undoes it, and each is idempotent. (renameat2(RENAME_EXCHANGE) would
 * make it one step, but Node has no binding and Debian 12's mv has no --exchange.)
 */
import fs from "node:fs/promises";
import { EngineError } from "../../errors.js";
import { pathExists } from "./common.js";

export interface SwapPaths {
  ctid: number;
  current: string;
  staging: string;
  previous: string;
  /** delete a volume at a path (idempotent) */
  remove(p: string): Promise<void>;
}

/** current → previous; no-op without a current volume. */
export async function retireCurrent(p: SwapPaths): Promise<void> {
  if (!(await pathExists(p.current))) return;
  if (await pathExists(p.previous)) {
    // Never overwrite a previous volume: it may be the only copy of the container's data.
    throw new EngineError(
      "INTERNAL",
      `container ${p.ctid} still has an earlier volume at ${p.previous} (an interrupted rollback or restore?); restart the engine to repair it`,
    );
  }
  await fs.rename(p.current, p.previous);
}

/** staging → current, retiring current first; no-op when already done. */
export async function promoteStaging(p: SwapPaths): Promise<void> {
  if (!(await pathExists(p.staging))) {
    if (await pathExists(p.current)) return;
    throw new EngineError("INTERNAL", `container ${p.ctid} has neither a new nor a current volume to switch to`);
  }
  await retireCurrent(p);
  await fs.rename(p.staging, p.current);
}

/** Put the previous volume back (dropping a promoted new one), then delete staging. */
export async function revertStaging(p: SwapPaths): Promise<void> {
  if (await pathExists(p.previous)) {
    // previous exists only once this operation retired current, so whatever is at current now is the new volume
    await p.remove(p.current);
    await fs.rename(p.previous, p.current);
  }
  await p.remove(p.staging);
}

export async function discardStaging(p: SwapPaths): Promise<void> {
  await p.remove(p.staging);
  await p.remove(p.previous);
}
