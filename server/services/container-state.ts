/**
 * What every container service shares, with no service imports of its own (the leaf of services/):
 * the loaded container type, the rule for container names, the engine of a container's node, and
 * refreshing the stored state from that engine.
 */
import type { Container, Db, Node, Plan, Tenant } from "../db/client.js";
import { engineFor, type EnginePort } from "../engine/index.js";
import { isEngineError, PanelError } from "../errors.js";

/** A container row with the plan, node and tenant it belongs to (what containerProcedure loads). */
export type FullContainer = Container & { plan: Plan; node: Node; tenant: Tenant };

/** Names are referred to wherever a ctid is: never all digits, no spaces or shell-special characters. */
export { CONTAINER_NAME_RE } from "../../native/src/identity.js";

export function engineOf(c: { node: Node }): EnginePort {
  return engineFor(c.node.endpoint);
}

/**
 * The node's state of the container, stored; "error" when the node no longer has it, the old state when unreachable.
 * `onlyIfChanged` (a page view, with `c` just read): no write when the state is the one `c` has; a page view is a
 * read, and SQLite has one writer at a time. Operations write always: their `c` was read before they ran.
 */
export async function syncState(db: Db, c: FullContainer, opts: { onlyIfChanged?: boolean } = {}): Promise<string> {
  const store = async (state: string) => {
    if (!opts.onlyIfChanged || state !== c.state) await db.container.update({ where: { id: c.id }, data: { state } });
  };
  try {
    const info = await engineOf(c).call("container.status", { ctid: c.ctid });
    await store(info.state);
    return info.state;
  } catch (e) {
    if (isEngineError(e, "NOT_FOUND")) {
      await store("error");
      return "error";
    }
    return c.state;
  }
}

/** The owner's words for a suspension: who suspended it, why, and what to do. */
export function suspensionMessage(c: { ctid: number; hostname: string; suspendReason: string | null }): string {
  const why = c.suspendReason ? `: ${c.suspendReason}` : "";
  return `Container ${c.ctid} (${c.hostname}) is suspended by your provider${why}. It cannot be started until they unsuspend it; contact them.`;
}

/**
 * Refuses to run a suspended container (start, restart, resume): the seller's suspension (billing API v1) is
 * lifted by its unsuspend only. Everyone is refused, sellers with a hint at the unsuspend.
 */
export function assertNotSuspended(
  c: { ctid: number; hostname: string; suspendedAt: Date | null; suspendReason: string | null },
  role: string,
): void {
  if (!c.suspendedAt) return;
  const msg =
    role === "customer"
      ? suspensionMessage(c)
      : `Container ${c.ctid} (${c.hostname}) is suspended (${c.suspendReason ?? "no reason given"}); unsuspend it first.`;
  throw new PanelError("CONFLICT", msg);
}
