/**
 * Container records: the engine's source of truth for which containers exist on this host, one JSON
 * file per container in <stateDir>/containers/<ctid>.json, written atomically. Writing the record is the
 * commit point of a create; removing it is the last step of a destroy.
 */
import { readdir, rm } from "node:fs/promises";
import path from "node:path";
import { defaultLimits, type Limits } from "./settings.js";
import type { NetConfig } from "./net/types.js";
import { readJson, writeFileAtomic } from "./fsutil.js";

export interface ContainerRecord {
  ctid: number;
  name: string | null;
  hostname: string;
  template: string;
  limits: Limits;
  /** idmap slot: container uid 0 = idmapBase + slot*65536 on the host */
  idmapSlot: number;
  init: string;
  haltSignal: string;
  onboot: boolean;
  /** start order at host boot (OpenVZ --bootorder): higher first; null/absent = last */
  bootorder?: number | null;
  createdAt: string;
  /** network devices, addresses, firewall and rate (records from before networking have none: empty) */
  net?: NetConfig;
  /** set when the container was made from a backup (backup.restore) */
  restoredFrom?: { backup: string; at: string };
  /** set when the container was made as a copy of another (container.clone) */
  clonedFrom?: { ctid: number; at: string };
}

export class RecordStore {
  constructor(private readonly dir: string) {}

  private file(ctid: number): string {
    return path.join(this.dir, `${ctid}.json`);
  }

  /** A record; limits added to the engine after it was written get their defaults. */
  async get(ctid: number): Promise<ContainerRecord | null> {
    const rec = await readJson<ContainerRecord>(this.file(ctid));
    return rec && { ...rec, limits: { ...defaultLimits(), ...rec.limits } };
  }

  put(rec: ContainerRecord): Promise<void> {
    return writeFileAtomic(this.file(rec.ctid), JSON.stringify(rec, null, 2) + "\n");
  }

  async remove(ctid: number): Promise<void> {
    await rm(this.file(ctid), { force: true });
  }

  async list(): Promise<ContainerRecord[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const out: ContainerRecord[] = [];
    for (const n of names) {
      const m = /^(\d+)\.json$/.exec(n);
      if (!m) continue;
      const r = await this.get(Number(m[1]));
      if (r) out.push(r);
    }
    return out.sort((a, b) => a.ctid - b.ctid);
  }
}
