/**
 * Snapshot metadata (description, creation time): <stateDir>/snapshots/<ctid>.json, written atomically.
 * A leaf shared by the snapshot operations (snapshots.ts) and the engine's core (a destroy removes it).
 */
import { rm } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { readJson, writeFileAtomic } from "./fsutil.js";

const metaFileSchema = z.object({
  version: z.literal(1),
  snapshots: z.record(z.string(), z.object({ description: z.string(), createdAt: z.string() })),
});
export type MetaFile = z.infer<typeof metaFileSchema>;

/** <stateDir>/snapshots/<ctid>.json */
export class SnapshotMetaStore {
  constructor(private readonly dir: string) {}

  private file(ctid: number): string {
    return path.join(this.dir, `${ctid}.json`);
  }

  async read(ctid: number): Promise<MetaFile["snapshots"]> {
    const raw = await readJson<unknown>(this.file(ctid)).catch(() => null);
    const parsed = metaFileSchema.safeParse(raw);
    return parsed.success ? parsed.data.snapshots : {};
  }

  async write(ctid: number, snapshots: MetaFile["snapshots"]): Promise<void> {
    const body: MetaFile = { version: 1, snapshots };
    await writeFileAtomic(this.file(ctid), JSON.stringify(body, null, 2) + "\n", 0o600);
  }

  async remove(ctid: number): Promise<void> {
    await rm(this.file(ctid), { force: true });
  }
}
