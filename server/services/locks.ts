/**
 * Keyed locks for check-then-write sections (allocation check + insert, busy check + insert, address
 * picks), held across every process that shares the database — the panel and each vzctl/prlctl run.
 *
 * Two layers: an in-process queue per key (callers of one process wait in order, without polling), then
 * a row in the Lock table (primary key = the key: inserting it is the acquisition, so exactly one process
 * wins on SQLite and PostgreSQL alike). The row names its holder ("host:pid:starttime:nonce"); a holder
 * whose process is gone (same host: /proc tells) or whose lease ran out is taken over, so a crash never
 * wedges a key. Sections are short (no engine call longer than the lease is made under a lock).
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import type { Db } from "../db/client.js";
import { PanelError } from "../errors.js";

const g = globalThis as unknown as { __ovzLocks?: Map<string, Promise<unknown>> };
const tails = (g.__ovzLocks ??= new Map());

/** How long a holder may keep a key before others may take it over (its process may still be alive). */
export const LEASE_MS = 120_000;
/** How long a caller waits for a key before giving up with a CONFLICT. */
export const WAIT_MS = 60_000;

function startTime(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // field 22 (starttime), counted after the ")" that ends the command name
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

/** This process, as recorded on operations and locks: "host:pid:starttime". */
export const PROCESS_ID = `${os.hostname()}:${process.pid}:${startTime(process.pid) ?? "0"}`;

/**
 * Whether the process named by an owner string ("host:pid:starttime[:…]") may still be running: false
 * only when it was on this host and its pid is gone or now belongs to another process.
 */
export function ownerAlive(owner: string | null | undefined): boolean {
  if (!owner) return false;
  const [host, pid, start] = owner.split(":");
  if (host !== os.hostname()) return true; // another host: only its lease can tell
  const now = startTime(Number(pid));
  return now !== null && now === start;
}

async function inProcess<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = tails.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  const tail = prev.then(() => mine);
  tails.set(key, tail);
  await prev.catch(() => {});
  try {
    return await fn();
  } finally {
    release();
    if (tails.get(key) === tail) tails.delete(key);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function acquire(db: Db, key: string, owner: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  for (let i = 0; ; i++) {
    try {
      await db.lock.create({ data: { key, owner, expiresAt: new Date(Date.now() + LEASE_MS) } });
      return;
    } catch (e) {
      if ((e as { code?: string }).code !== "P2002") throw e;
    }
    const held = await db.lock.findUnique({ where: { key } });
    if (held && (held.expiresAt.getTime() < Date.now() || !ownerAlive(held.owner))) {
      // the holder died or overran its lease: remove exactly that holding (a racing taker may win)
      await db.lock.deleteMany({ where: { key, owner: held.owner } });
      continue;
    }
    if (Date.now() > deadline) {
      throw new PanelError(
        "CONFLICT",
        `Another process holds "${key}" (${held?.owner ?? "just released"}); try again in a moment.`,
      );
    }
    await sleep(Math.min(200, 10 * 2 ** Math.min(i, 4)) + Math.random() * 10);
  }
}

/** Runs `fn` holding `key` in this process and in the database. */
export async function withLock<T>(db: Db, key: string, fn: () => Promise<T>): Promise<T> {
  return inProcess(key, async () => {
    const owner = `${PROCESS_ID}:${crypto.randomBytes(4).toString("hex")}`;
    await acquire(db, key, owner);
    try {
      return await fn();
    } finally {
      await db.lock
        .deleteMany({ where: { key, owner } })
        .catch((e) => console.error(`[panel] could not release lock ${key}; it expires by itself`, e));
    }
  });
}
