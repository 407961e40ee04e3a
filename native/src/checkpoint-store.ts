/**
 * Where checkpoints live: <stateDir>/dumps/<ctid> (a complete dump with its meta.json) and
 * <stateDir>/dumps/.<ctid>.partial (one being written). A leaf, so that the engine's core (container info,
 * removal) and the checkpoint operations (checkpoint.ts) read the same files without importing each other.
 */
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { EngineError } from "./errors.js";
import { readJson } from "./fsutil.js";

export interface CheckpointInfo {
  createdAt: string;
  /** bytes of the CRIU images */
  sizeBytes: number;
}

export const dumpMetaSchema = z.object({
  version: z.literal(1),
  ctid: z.number(),
  createdAt: z.string(),
  sizeBytes: z.number(),
  configHash: z.string(),
  /** the container ran with its own view of /proc (lxcfs mounts, which its restore must bind again) */
  view: z.boolean().optional(),
});
export type DumpMeta = z.infer<typeof dumpMetaSchema>;

/** True when the container has a complete dump (cheap; for refusals in other operations). */
export function hasCheckpoint(stateDir: string, ctid: number): boolean {
  return existsSync(path.join(stateDir, "dumps", String(ctid), "meta.json"));
}

/** The refusal for operations that would change a checkpointed container's files under its dump. */
export function checkpointedError(ctid: number, what: string): EngineError {
  return new EngineError(
    "FROZEN",
    `container ${ctid} is suspended (checkpointed to disk); resume it, or stop it to discard the checkpoint, ` +
      `then ${what}`,
  );
}

export class DumpStore {
  constructor(protected readonly stateDir: string) {}

  protected root(): string {
    return path.join(this.stateDir, "dumps");
  }
  dumpDir(ctid: number): string {
    return path.join(this.root(), String(ctid));
  }
  protected partialDir(ctid: number): string {
    return path.join(this.root(), `.${ctid}.partial`);
  }

  protected async meta(ctid: number): Promise<DumpMeta | null> {
    const raw = await readJson<unknown>(path.join(this.dumpDir(ctid), "meta.json")).catch(() => null);
    const m = dumpMetaSchema.safeParse(raw);
    return m.success ? m.data : null;
  }

  /** The container's dump, or null. */
  async info(ctid: number): Promise<CheckpointInfo | null> {
    const m = await this.meta(ctid);
    return m ? { createdAt: m.createdAt, sizeBytes: m.sizeBytes } : null;
  }

  async remove(ctid: number): Promise<void> {
    await rm(this.dumpDir(ctid), { recursive: true, force: true });
    await rm(this.partialDir(ctid), { recursive: true, force: true });
  }
}
