/**
 * The backup scheduler of the panel process (docs/backup-policies.md). Every interval (60 s by default) a
 * tick:
 * 1. forgets the slot of containers that lost their policy, and gives containers that have a policy but no
 *    slot yet (just attached, a new container, a changed schedule) the policy's next slot: one updateMany per
 *    policy and plan concerned, never one query per container;
 * 2. reads the containers whose slot has come (`policyNextAt <= now`), in pages of `batch` ordered by id,
 *    and keeps those whose own time has come: the slot plus the container's jitter offset;
 * 3. runs them, at most `perNode` at a time on each node (every node's queue in parallel), each run an
 *    operation; the slot moves to the first one still ahead (a run missed while the panel was down runs
 *    once, not once per missed slot). A busy container (another operation) keeps its slot: the next tick
 *    tries again.
 * A tick never overlaps the previous one: one still running makes the next a no-op.
 */
import type { BackupPolicy, Db } from "../../db/client.js";
import { PanelError } from "../../errors.js";
import type { FullContainer } from "../container-state.js";
import { waitForOperation } from "../operations.js";
import { jitterWindowSec, perNodeConcurrency } from "./config.js";
import { startPolicyRun } from "./run.js";
import { dueAt, jitterOffsetSec, nextSlot, nextSlotAfterRun, parseSchedule } from "./schedule.js";

/** Containers in these states are backed up; others (being created, failed, destroyed) are not. */
const SCHEDULED_STATES = ["running", "stopped", "suspended"];

export interface SchedulerOptions {
  db: Db;
  /** the clock (tests step it); Date now by default */
  now?: () => Date;
  jitterSec?: number;
  perNode?: number;
  /** containers read per query */
  batch?: number;
  log?: (line: string) => void;
}

export interface TickResult {
  /** containers whose run started, in start order */
  started: string[];
  succeeded: number;
  failed: number;
  /** due but another operation ran on them: tried again next tick */
  busy: number;
}

type Due = FullContainer & { policy: BackupPolicy };

export function createBackupScheduler(o: SchedulerOptions) {
  const now = o.now ?? (() => new Date());
  const window = o.jitterSec ?? jitterWindowSec();
  const perNode = o.perNode ?? perNodeConcurrency();
  const batch = o.batch ?? 500;
  const log = o.log ?? ((line: string) => console.error(line));
  const db = o.db;
  let ticking = false;
  let timer: NodeJS.Timeout | null = null;

  async function assignSlots(at: Date) {
    await db.container.updateMany({
      where: { policyNextAt: { not: null }, backupPolicyId: null, plan: { backupPolicyId: null } },
      data: { policyNextAt: null },
    });
    const pending = await db.container.findMany({
      where: {
        policyNextAt: null,
        state: { in: SCHEDULED_STATES },
        OR: [{ backupPolicyId: { not: null } }, { plan: { backupPolicyId: { not: null } } }],
      },
      distinct: ["backupPolicyId", "planId"],
      select: {
        backupPolicyId: true,
        planId: true,
        backupPolicy: { select: { schedule: true } },
        plan: { select: { backupPolicy: { select: { schedule: true } } } },
      },
    });
    for (const p of pending) {
      const sched = parseSchedule((p.backupPolicy ?? p.plan.backupPolicy)?.schedule ?? "");
      if (!sched) continue;
      await db.container.updateMany({
        where: {
          policyNextAt: null,
          ...(p.backupPolicyId ? { backupPolicyId: p.backupPolicyId } : { backupPolicyId: null, planId: p.planId }),
        },
        data: { policyNextAt: nextSlot(sched, at) },
      });
    }
  }

  async function findDue(at: Date): Promise<Due[]> {
    const out: Due[] = [];
    let cursor: string | undefined;
    for (;;) {
      const rows = await db.container.findMany({
        where: { policyNextAt: { lte: at }, state: { in: SCHEDULED_STATES } },
        include: { plan: { include: { backupPolicy: true } }, node: true, tenant: true, backupPolicy: true },
        orderBy: { id: "asc" },
        take: batch,
        ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
      });
      for (const r of rows) {
        const policy = r.backupPolicy ?? r.plan.backupPolicy;
        if (!policy || !r.policyNextAt) continue;
        if (dueAt(r.policyNextAt, jitterOffsetSec(r.id, window)) <= at) out.push({ ...r, policy });
      }
      if (rows.length < batch) return out;
      cursor = rows[rows.length - 1]!.id;
    }
  }

  async function runOne(c: Due, r: TickResult) {
    const at = now();
    const sched = parseSchedule(c.policy.schedule)!;
    let op;
    try {
      op = await startPolicyRun(db, c, c.policy, now);
    } catch (e) {
      if (e instanceof PanelError && e.code === "CONFLICT") return void r.busy++;
      log(`[panel] backup scheduler: container ${c.ctid} could not start its run: ${String(e)}`);
      r.failed++;
      await db.container.update({
        where: { id: c.id },
        data: { policyNextAt: nextSlotAfterRun(sched, at, jitterOffsetSec(c.id, window)), policyLastStatus: "failed" },
      });
      return;
    }
    r.started.push(c.id);
    await db.container.update({
      where: { id: c.id },
      data: {
        policyNextAt: nextSlotAfterRun(sched, at, jitterOffsetSec(c.id, window)),
        policyLastAt: at,
        policyLastOpId: op.id,
        policyLastStatus: "running",
      },
    });
    await waitForOperation(op.id);
    const end = await db.operation.findUnique({ where: { id: op.id }, select: { status: true } });
    const status = end?.status === "succeeded" ? "succeeded" : "failed";
    if (status === "succeeded") r.succeeded++;
    else r.failed++;
    await db.container.updateMany({ where: { id: c.id, policyLastOpId: op.id }, data: { policyLastStatus: status } });
  }

  async function runAll(due: Due[]): Promise<TickResult> {
    const r: TickResult = { started: [], succeeded: 0, failed: 0, busy: 0 };
    const byNode = new Map<string, Due[]>();
    for (const c of due) byNode.set(c.nodeId, [...(byNode.get(c.nodeId) ?? []), c]);
    await Promise.all(
      [...byNode.values()].map(async (queue) => {
        const worker = async () => {
          for (let c = queue.shift(); c; c = queue.shift()) await runOne(c, r);
        };
        await Promise.all(Array.from({ length: Math.min(perNode, queue.length) }, worker));
      }),
    );
    return r;
  }

  /** One tick; null when the previous one still runs. */
  async function tick(): Promise<TickResult | null> {
    if (ticking) return null;
    ticking = true;
    try {
      const at = now();
      await assignSlots(at);
      return await runAll(await findDue(at));
    } finally {
      ticking = false;
    }
  }

  return {
    tick,
    /** Ticks every `intervalMs`, the next one `intervalMs` after the last one ended. */
    start(intervalMs: number) {
      const loop = async () => {
        try {
          await tick();
        } catch (e) {
          log(`[panel] backup scheduler: a tick failed; the next one retries: ${String(e)}`);
        }
        if (timer) timer = setTimeout(() => void loop(), intervalMs).unref();
      };
      timer = setTimeout(() => void loop(), intervalMs).unref();
    },
    stop() {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
export type BackupScheduler = ReturnType<typeof createBackupScheduler>;
