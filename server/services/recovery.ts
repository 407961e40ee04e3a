/**
 * Repair after a crash, run once per process (the panel at start, each CLI run): operations whose
 * process is gone are marked failed with a sentence saying what to do, and the
 * containers they touched are reconciled with their node — a create that never finished has no container
 * on the node (the engine's journal rolled it back), so its row is removed; any other row takes the
 * node's current state.
 */
import { isEngineError } from "../errors.js";
import type { Db } from "../db/client.js";
import { engineFor } from "../engine/index.js";
import { audit } from "./audit.js";
import { ownerAlive } from "./locks.js";
import { recoverMigrations } from "./migrate.js";
import { failStaleOperations, runningOperationIds } from "./operations.js";

const g = globalThis as unknown as { __ovzRecovered?: WeakSet<object> };

/**
 * Once per database client (per process) unless `force`. Runs at start-up, before this process records
 * anything: the panel's instrumentation.ts, each command line run (server/cli/main.ts).
 */
export async function recoverAfterRestart(
  db: Db,
  opts: { force?: boolean } = {},
): Promise<{ operations: number; removed: number; synced: number }> {
  g.__ovzRecovered ??= new WeakSet();
  if (g.__ovzRecovered.has(db) && !opts.force) return { operations: 0, removed: 0, synced: 0 };
  g.__ovzRecovered.add(db);
  // moves between nodes first: they are finished or undone on the nodes, not only marked failed
  await recoverMigrations(db, (op) => !runningOperationIds().includes(op.id) && !ownerAlive(op.owner)).catch(
    (e: Error) => console.error(`[panel] migration recovery: ${e.message}`),
  );
  const { count: operations, containerIds } = await failStaleOperations(db);
  const touched = new Set(containerIds);
  // "creating" rows whose create runs in no live process are left over from a crashed one: their
  // operation was failed just above, or was never recorded (a row younger than a minute without any
  // operation is another process between its insert and its operation's).
  const creating = await db.container.findMany({
    where: {
      state: "creating",
      operations: { none: { status: { in: ["queued", "running"] } } },
      OR: [{ operations: { some: {} } }, { createdAt: { lt: new Date(Date.now() - 60_000) } }],
    },
    select: { id: true },
  });
  for (const c of creating) touched.add(c.id);
  let removed = 0;
  let synced = 0;
  for (const id of touched) {
    const c = await db.container.findUnique({ where: { id }, include: { node: true } });
    if (!c) continue;
    try {
      const info = await engineFor(c.node.endpoint).call("container.status", { ctid: c.ctid });
      await db.container.update({ where: { id }, data: { state: info.state } });
      synced++;
    } catch (e) {
      if (!isEngineError(e, "NOT_FOUND")) continue; // node unreachable: leave as is
      if (c.state === "creating") {
        await db.operation.updateMany({ where: { containerId: id }, data: { containerId: null } });
        await db.container.delete({ where: { id } });
        await audit(
          { db, actor: null, ip: null, userAgent: null },
          {
            action: "container.recoverRemove",
            target: `container ${c.ctid} (${c.hostname})`,
            tenantId: c.tenantId,
            actorLabel: "panel (restart)",
            details: { reason: "create interrupted by a panel restart; the node has no such container" },
          },
        );
        removed++;
      } else {
        await db.container.update({ where: { id }, data: { state: "error" } });
        synced++;
      }
    }
  }
  return { operations, removed, synced };
}
