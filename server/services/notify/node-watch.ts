/**
 * node.unreachable / node.recovered for the administrators. The usage sampler asks every node each run
 * (usage.ts); a node whose engine cannot be reached (ENGINE_UNAVAILABLE: connection refused, no socket,
 * TLS or timeout) FAILS_BEFORE_ALERT runs in a row is reported once — a restart of the engine is not an
 * outage — and its first answer after that once more, with how long it was gone. Kept per panel process.
 */
import type { Db } from "../../db/client.js";
import { PanelError } from "../../errors.js";
import { emitSafely } from "./emit.js";

export const FAILS_BEFORE_ALERT = 3;

interface Watch {
  fails: number;
  since: Date | null;
  alerted: boolean;
}
const g = globalThis as unknown as { __ovzNodeWatch?: Map<string, Watch> };
const watches = (g.__ovzNodeWatch ??= new Map());

export function resetNodeWatch(): void {
  watches.clear();
}

/** Is this error the node's engine not answering (not a failure of the request itself)? */
export function isUnreachable(e: unknown): boolean {
  return e instanceof PanelError && e.code === "ENGINE_UNAVAILABLE";
}

type NodeRef = { id: string; name: string };

/** The node answered: says it is back if it was reported gone. */
export async function nodeAnswered(db: Db, node: NodeRef, now = new Date()): Promise<void> {
  const w = watches.get(node.id);
  watches.delete(node.id);
  if (!w?.alerted || !w.since) return;
  const min = Math.max(1, Math.round((now.getTime() - w.since.getTime()) / 60_000));
  await emitSafely(db, {
    type: "node.recovered",
    tenantId: "",
    summary: `Node ${node.name} answers again after about ${min} minute${min === 1 ? "" : "s"}`,
    details: [`The panel could not reach its engine from ${w.since.toISOString()} to ${now.toISOString()}.`],
    data: { nodeId: node.id, name: node.name, since: w.since.toISOString(), minutes: min },
  });
}

/** The node's engine did not answer one sampler run. */
export async function nodeUnreachable(db: Db, node: NodeRef, reason: string, now = new Date()): Promise<void> {
  const w = watches.get(node.id) ?? { fails: 0, since: now, alerted: false };
  w.fails++;
  watches.set(node.id, w);
  if (w.alerted || w.fails < FAILS_BEFORE_ALERT) return;
  w.alerted = true;
  await emitSafely(db, {
    type: "node.unreachable",
    tenantId: "",
    summary: `Node ${node.name} does not answer: its containers' state and usage are unknown`,
    details: [
      `The panel has not reached its engine since ${w.since!.toISOString()} (${w.fails} tries): ${reason}`,
      "Check that the host is up and that ovz-engine runs on it (systemctl status ovz-engine; journalctl -u ovz-engine).",
    ],
    data: { nodeId: node.id, name: node.name, since: w.since!.toISOString(), error: reason },
  });
}
