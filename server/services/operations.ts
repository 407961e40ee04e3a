/**
 * Slow work is an operation: a row with type, progress, a log and a final status. startOperation()
 * records it and returns at once; the work runs in the background of the panel process and streams its
 * progress and log lines into the database, where the UI reads them; each change is also published on the
 * live event bus (events/operation-events.ts: created, progress, log, finished, and the container's start and
 * end of an operation), which tells open panel pages to read again. One operation at a time per
 * container. Each records the process running it (the panel, or a vzctl/prlctl run); one left "running"
 * by a process that is gone is marked failed by the next process that starts (recovery.ts, run once at
 * start-up: instrumentation.ts for the panel, server/cli/main.ts for a command line run), or here as soon
 * as it blocks a new operation on its container.
 */
import { actorUserId, type Actor } from "../auth/roles.js";
import { chunks } from "../db/chunks.js";
import type { Db, Operation } from "../db/client.js";
import { describeError, isEngineError, PanelError } from "../errors.js";
import type { OpEvent } from "../../native/src/protocol/schema.js";
import { publishOperation } from "./events/operation-events.js";
import { ownerAlive, PROCESS_ID, withLock } from "./locks.js";
import { operationEnded } from "./notify/hooks.js";
import { parentTenantOf } from "./scope.js";

export const OP_TYPES = [
  "create",
  "start",
  "stop",
  "restart",
  "reinstall",
  "destroy",
  "backup",
  "restore",
  "migrate",
  "clone",
  "snapshot",
  "template",
] as const;
export type OpType = (typeof OP_TYPES)[number];

/** The statuses of an operation that has not ended. */
const ACTIVE = ["queued", "running"];

export interface OpHandle {
  id: string;
  log(line: string): void;
  progress(percent: number, message?: string): void;
}

/** An engine call's progress events into an operation: its percent mapped onto base..base+span. */
export function relay(op: OpHandle, base: number, span: number) {
  return (e: OpEvent) => {
    if (e.kind === "log") op.log(e.line);
    else op.progress(base + (span * e.percent) / 100, e.message);
  };
}

const g = globalThis as unknown as { __ovzOps?: Map<string, Promise<void>> };
const running = (g.__ovzOps ??= new Map());

/** Ids of the operations this process is running. */
export function runningOperationIds(): string[] {
  return [...running.keys()];
}

/**
 * Marks operations whose process is gone (a panel or CLI run that crashed or was killed) as failed;
 * returns their containers. Operations of live processes — this one, the panel while a vzctl runs, a
 * vzctl while the panel restarts — are left alone.
 */
export async function failStaleOperations(db: Db): Promise<{ count: number; containerIds: string[] }> {
  const open = await db.operation.findMany({
    where: { status: { in: ACTIVE } },
    select: { id: true, owner: true, containerId: true, tenantId: true, type: true },
  });
  // this process's own in memory, not as a `notIn` list (it may be longer than a query's parameters)
  const stale = open.filter((o) => !running.has(o.id) && !ownerAlive(o.owner));
  if (!stale.length) return { count: 0, containerIds: [] };
  let count = 0;
  for (const part of chunks(stale.map((o) => o.id))) {
    const r = await db.operation.updateMany({
      where: { id: { in: part }, status: { in: ACTIVE } },
      data: {
        status: "failed",
        error:
          "The process running this operation (panel or command line) stopped before it finished; check the container's state and retry.",
        finishedAt: new Date(),
      },
    });
    count += r.count;
  }
  for (const o of stale) publishOperation(o, "finished", "failed");
  return {
    count,
    containerIds: [...new Set(stale.map((o) => o.containerId).filter((x): x is string => !!x))],
  };
}

/**
 * The one rule of "one operation at a time per container": throws CONFLICT naming the operation that still
 * runs on the container. An operation left by a process that is gone (a killed vzctl run, a crashed panel)
 * blocks nothing: it is marked failed here. startOperation calls it under the container's lock, right before
 * it records the new operation, so of concurrent calls exactly one is recorded; quick actions that change
 * the root filesystem (snapshots) and a clone's source call it too.
 */
export async function assertIdle(db: Db, containerId: string): Promise<void> {
  const find = () =>
    db.operation.findFirst({
      where: { containerId, status: { in: ACTIVE } },
      select: { id: true, type: true, owner: true, container: { select: { ctid: true } } },
    });
  let busy = await find();
  if (busy && !running.has(busy.id) && !ownerAlive(busy.owner)) {
    await failStaleOperations(db);
    busy = await find();
  }
  if (busy) throw busyError(busy.container?.ctid ?? null, busy);
}

/** "Container 101 is busy: its reinstall (operation …) is still running; wait for it to finish." */
export function busyError(ctid: number | null, busy: { id: string; type: string }): PanelError {
  return new PanelError(
    "CONFLICT",
    `${ctid === null ? "The container" : `Container ${ctid}`} is busy: its ${busy.type} (operation ${busy.id}) ` +
      "is still running; wait for it to finish.",
  );
}

/**
 * Records an operation and runs `work` in the background. Every kind of operation starts here, so the busy
 * rule (assertIdle) cannot be forgotten for a new kind.
 */
export async function startOperation(
  db: Db,
  actor: Actor,
  o: { type: OpType; tenantId: string; containerId: string | null; message: string; targetNodeId?: string },
  work: (op: OpHandle) => Promise<void>,
): Promise<Operation> {
  // Busy check and insert under the container's lock (a row in the Lock table, shared by every process):
  // of concurrent calls exactly one is recorded.
  const parentTenantId = await parentTenantOf(db, o.tenantId);
  const record = async () => {
    if (o.containerId) await assertIdle(db, o.containerId);
    return db.operation.create({
      data: {
        type: o.type,
        status: "running",
        tenantId: o.tenantId,
        parentTenantId,
        containerId: o.containerId,
        userId: actorUserId(actor),
        actor: actor.label,
        owner: PROCESS_ID,
        message: o.message,
        targetNodeId: o.targetNodeId ?? null,
        startedAt: new Date(),
      },
    });
  };
  const op = o.containerId ? await withLock(db, `op:${o.containerId}`, record) : await record();
  publishOperation(op, "created");
  // Writes of one operation are chained so log lines stay in order and never race the final status.
  let chain: Promise<unknown> = Promise.resolve();
  const write = (f: () => Promise<unknown>) => {
    chain = chain.then(f).catch((e) => console.error(`[panel] operation ${op.id} log write failed`, e));
  };
  const handle: OpHandle = {
    id: op.id,
    log: (line) =>
      write(async () => {
        await db.operationLine.create({ data: { operationId: op.id, line: line.slice(0, 2000) } });
        publishOperation(op, "log");
      }),
    progress: (percent, message) =>
      write(async () => {
        await db.operation.update({
          where: { id: op.id },
          data: { progress: Math.max(0, Math.min(100, Math.round(percent))), ...(message ? { message } : {}) },
        });
        publishOperation(op, "progress");
      }),
  };
  const done = (async () => {
    try {
      await work(handle);
      await chain;
      await db.operation.update({
        where: { id: op.id },
        data: { status: "succeeded", progress: 100, finishedAt: new Date() },
      });
      publishOperation(op, "finished", "succeeded");
      await operationEnded(db, op, null);
    } catch (e) {
      // an error users get only as "unexpected error (logged by the panel)": its cause goes to the log
      if (!(e instanceof PanelError) && !isEngineError(e))
        console.error(`[panel] operation ${op.id} (${o.type}) failed:`, e);
      handle.log(`error: ${describeError(e)}`);
      await chain;
      await db.operation
        .update({ where: { id: op.id }, data: { status: "failed", error: describeError(e), finishedAt: new Date() } })
        .catch(() => {});
      publishOperation(op, "finished", "failed");
      await operationEnded(db, op, describeError(e));
    } finally {
      running.delete(op.id);
    }
  })();
  running.set(op.id, done);
  return op;
}

/** Resolves when this process's operation `id` has ended (at once if it is not running here). */
export async function waitForOperation(id: string): Promise<void> {
  await running.get(id);
}

export async function waitForAllOperations(): Promise<void> {
  await Promise.all([...running.values()]);
}
