/**
 * Notifications from the containers' kernel counters (OpenVZ's beancounters' failcnt), fed by the usage
 * sampler (usage.ts) with each container's counters and the ones of its previous sample:
 *   container.oom        the OOM killer killed processes in it since the last sample
 *   container.limit_hit  forks were refused at its process limit since the last sample
 * The counters start at 0 with each run of the container: after a restart the whole count is new. A
 * container seen for the first time (no previous sample) raises nothing: its counts may be old.
 * At most one notification per container and event per REPEAT_MS (a service respawned and killed every few
 * seconds sends one mail, not hundreds), counted in this process; the next one says how many in between.
 */
import type { Db } from "../../db/client.js";
import { emitSafely } from "./emit.js";

export const REPEAT_MS = 30 * 60_000;

export interface LimitCounters {
  oomKills: number;
  forkFails: number;
}

export interface LimitSample {
  container: { id: string; ctid: number; hostname: string; tenantId: string };
  /** this run of the container (usage.ts: the net stats' boot id or the init pid) */
  boot: string;
  cur: LimitCounters;
  /** the previous sample's run and counters (null: none stored) */
  prev: { boot: string | null; oomKills: number | null; forkFails: number | null } | null;
}

/** Pure: what happened since the previous sample (0 when nothing, or when there is no previous sample). */
export function limitDeltas(s: Pick<LimitSample, "boot" | "cur" | "prev">): LimitCounters {
  if (!s.prev) return { oomKills: 0, forkFails: 0 };
  const sameRun = s.prev.boot === s.boot;
  const since = (cur: number, was: number | null) => {
    if (!sameRun) return cur; // counted since this run started
    if (was === null) return 0; // the previous sample predates these counters
    return cur >= was ? cur - was : cur;
  };
  return { oomKills: since(s.cur.oomKills, s.prev.oomKills), forkFails: since(s.cur.forkFails, s.prev.forkFails) };
}

/** Per process: when each container's event was last sent, and what was held back since. */
const g = globalThis as unknown as { __ovzLimitEvents?: Map<string, { at: number; held: number }> };
const last = (g.__ovzLimitEvents ??= new Map());

export function resetLimitEvents(): void {
  last.clear();
}

/** Raises the events of one sampler run; returns how many were raised (held back ones not counted). */
export async function emitLimitEvents(db: Db, samples: readonly LimitSample[], now: Date): Promise<number> {
  let raised = 0;
  for (const s of samples) {
    const d = limitDeltas(s);
    const c = s.container;
    const who = `Container ${c.ctid} (${c.hostname})`;
    const due: { type: "container.oom" | "container.limit_hit"; n: number; what: (n: number) => string }[] = [];
    if (d.oomKills > 0)
      due.push({
        type: "container.oom",
        n: d.oomKills,
        what: (n) =>
          `${who}: ${n} process${n === 1 ? " was" : "es were"} killed because it ran out of memory at its RAM limit`,
      });
    if (d.forkFails > 0)
      due.push({
        type: "container.limit_hit",
        n: d.forkFails,
        what: (n) => `${who}: ${n} new process${n === 1 ? " was" : "es were"} refused at its process limit`,
      });
    for (const e of due) {
      const key = `${e.type}:${c.id}`;
      const was = last.get(key);
      if (was && now.getTime() - was.at < REPEAT_MS) {
        was.held += e.n;
        continue;
      }
      const n = e.n + (was?.held ?? 0);
      last.set(key, { at: now.getTime(), held: 0 });
      await emitSafely(db, {
        type: e.type,
        tenantId: c.tenantId,
        summary: e.what(n),
        details: [
          e.type === "container.oom"
            ? "Raise the container's RAM (or swap) limit, or find what uses the memory (ps, top inside it)."
            : "Raise the container's process limit (numproc), or find what starts so many processes.",
          `At most one such message per ${REPEAT_MS / 60_000} minutes per container; this one counts all since the last.`,
        ],
        data: { containerId: c.id, ctid: c.ctid, hostname: c.hostname, count: n },
      });
      raised++;
    }
  }
  return raised;
}
