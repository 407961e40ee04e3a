/**
 * Container records: the engine's source of truth for which containers exist on this host, one JSON
 * file per container in <stateDir>/containers/<ctid>.json, written atomically. Writing the record is the
 * commit point of a create; removing it is the last step of a destroy.
 */
import { readdir, rm } from "node:fs/promises";
import path from "node:path";
import { defaultLimits, type Limits } from "./settings.js";
import type { Features } from "./features.js";
import type { NetConfig } from "./net/types.js";
import { readJson, writeFileAtomic } from "./fsutil.js";
import { trace } from "./trace.js";

export interface ContainerRecord {
  ctid: number;
  name: string | null;
  hostname: string;
  template: string;
  limits: Limits;
  /** enabled features (features.ts); records from before features have none: [] */
  features?: Features;
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

/**
 * The records, cached in memory: the first read loads every file once, and every write goes through put() and
 * remove(), which write the file first (the durable copy) and then the cache. The engine is the only writer of
 * its state directory, so the cache never goes stale; a restart loads the files again. Callers get copies.
 */
export class RecordStore {
  private cache: Map<number, ContainerRecord> | null = null;
  private loading: Promise<Map<number, ContainerRecord>> | null = null;

  constructor(private readonly dir: string) {}

  private file(ctid: number): string {
    return path.join(this.dir, `${ctid}.json`);
  }

  /** A record; limits added to the engine after it was written get their defaults. */
  async get(ctid: number): Promise<ContainerRecord | null> {
    const rec = (await this.all()).get(ctid);
    return rec ? structuredClone(rec) : null;
  }

  async put(rec: ContainerRecord): Promise<void> {
    const all = await this.all();
    await writeFileAtomic(this.file(rec.ctid), JSON.stringify(rec, null, 2) + "\n");
    all.set(rec.ctid, withDefaults(structuredClone(rec)));
  }

  async remove(ctid: number): Promise<void> {
    const all = await this.all();
    await rm(this.file(ctid), { force: true });
    all.delete(ctid);
  }

  /** The first record `pred` accepts (a copy), without copying the others: a lookup that costs no clone per record. */
  async find(pred: (r: Readonly<ContainerRecord>) => boolean): Promise<ContainerRecord | null> {
    for (const r of (await this.all()).values()) if (pred(r)) return structuredClone(r);
    return null;
  }

  /** The idmap slots the records hold. */
  async idmapSlots(): Promise<Set<number>> {
    return new Set([...(await this.all()).values()].map((r) => r.idmapSlot));
  }

  async list(): Promise<ContainerRecord[]> {
    return [...(await this.all()).values()].sort((a, b) => a.ctid - b.ctid).map((r) => structuredClone(r));
  }

  private all(): Promise<Map<number, ContainerRecord>> {
    if (this.cache) return Promise.resolve(this.cache);
    this.loading ??= this.load().then(
      (m) => (this.cache = m),
      (e: unknown) => {
        this.loading = null; // the next call tries again
        throw e;
      },
    );
    return this.loading;
  }

  private async load(): Promise<Map<number, ContainerRecord>> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      names = [];
    }
    const out = new Map<number, ContainerRecord>();
    for (const n of names) {
      const m = /^(\d+)\.json$/.exec(n);
      if (!m) continue;
      const ctid = Number(m[1]);
      trace("record", String(ctid));
      const rec = await readJson<ContainerRecord>(this.file(ctid));
      if (rec) out.set(ctid, withDefaults(rec));
    }
    return out;
  }
}

function withDefaults(rec: ContainerRecord): ContainerRecord {
  return { ...rec, limits: { ...defaultLimits(), ...rec.limits } };
}
