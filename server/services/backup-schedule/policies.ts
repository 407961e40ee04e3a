/**
 * Backup policies (docs/backup-policies.md): list, create, update and delete them in the caller's tenants,
 * attach one to a plan (sellers: the default of the plan's containers) or to a container (whoever sees the
 * container, a customer too), and the container's view (its policy, the next and the last run). A policy
 * never keeps more than the plan allows: keep-daily + keep-weekly + keep-monthly is at most the plan's
 * maxBackups (a backup policy) or maxSnapshots (a snapshot policy), checked wherever the two meet.
 */
import type { Actor } from "../../auth/roles.js";
import type { BackupPolicy, Db, Plan } from "../../db/client.js";
import { PanelError } from "../../errors.js";
import { audit, type AuditCtx } from "../audit.js";
import type { FullContainer } from "../container-state.js";
import { canSeeTenant, ownedBy, type Who } from "../scope.js";
import { maxKept } from "./retention.js";
import { dueAt, formatSchedule, jitterOffsetSec, nextSlotAfterRun, parseSchedule } from "./schedule.js";
import { jitterWindowSec } from "./config.js";

export type PolicyCtx = AuditCtx & { db: Db; actor: Actor; scope: string[] | null };

export interface PolicyInput {
  name: string;
  kind: "backup" | "snapshot";
  schedule: string;
  keepDaily: number;
  keepWeekly: number;
  keepMonthly: number;
}

export function policyView(p: BackupPolicy) {
  return {
    id: p.id,
    tenantId: p.tenantId,
    name: p.name,
    kind: p.kind as "backup" | "snapshot",
    schedule: p.schedule,
    keepDaily: p.keepDaily,
    keepWeekly: p.keepWeekly,
    keepMonthly: p.keepMonthly,
    updatedAt: p.updatedAt.toISOString(),
  };
}
export type PolicyView = ReturnType<typeof policyView>;

const NOT_FOUND = "No such backup policy (or not one of yours); check the list of policies.";

/** The canonical schedule text, or BAD_REQUEST with the syntax. */
function canonical(schedule: string): string {
  const s = parseSchedule(schedule);
  if (!s)
    throw new PanelError("BAD_REQUEST", `Write the schedule as "daily 03:00" or "weekly sun 03:00" (UTC).`, {
      schedule: "daily HH:MM or weekly DAY HH:MM",
    });
  return formatSchedule(s);
}

function checkKeeps(p: { keepDaily: number; keepWeekly: number; keepMonthly: number }): void {
  if (maxKept(p) < 1)
    throw new PanelError("BAD_REQUEST", "Keep at least one backup: set keep daily, weekly or monthly to 1 or more.", {
      keepDaily: "at least one of the three must be 1 or more",
    });
}

/** QUOTA_EXCEEDED unless the policy keeps at most what the plan allows. */
export function assertWithinPlan(p: PolicyInput | BackupPolicy, plan: Plan): void {
  const cap = p.kind === "snapshot" ? plan.maxSnapshots : plan.maxBackups;
  const kept = maxKept(p);
  if (kept > cap)
    throw new PanelError(
      "QUOTA_EXCEEDED",
      `Plan "${plan.name}" allows ${cap} ${p.kind}(s) per container, and policy "${p.name}" may keep ${kept} ` +
        `(daily ${p.keepDaily} + weekly ${p.keepWeekly} + monthly ${p.keepMonthly}); keep fewer.`,
    );
}

export async function listPolicies(db: Db, who: Who) {
  const rows = await db.backupPolicy.findMany({
    where: ownedBy(who),
    orderBy: { name: "asc" },
    include: { _count: { select: { plans: true, containers: true } } },
    take: 500,
  });
  return rows.map((p) => ({ ...policyView(p), plans: p._count.plans, containers: p._count.containers }));
}

export async function loadPolicy(db: Db, scope: string[] | null, id: string): Promise<BackupPolicy> {
  const p = await db.backupPolicy.findUnique({ where: { id } });
  if (!p || !canSeeTenant(scope, p.tenantId)) throw new PanelError("NOT_FOUND", NOT_FOUND);
  return p;
}

async function assertNameFree(db: Db, tenantId: string, name: string, except?: string) {
  const other = await db.backupPolicy.findFirst({
    where: { tenantId, name, ...(except ? { NOT: { id: except } } : {}) },
  });
  if (other)
    throw new PanelError("CONFLICT", `There is already a backup policy named "${name}"; choose another name.`, {
      name: "already exists",
    });
}

/** A policy of the caller's own tenant. */
export async function createPolicy(ctx: PolicyCtx, input: PolicyInput) {
  const data = { ...input, schedule: canonical(input.schedule) };
  checkKeeps(data);
  await assertNameFree(ctx.db, ctx.actor.tenantId, data.name);
  const p = await ctx.db.backupPolicy.create({ data: { ...data, tenantId: ctx.actor.tenantId } });
  await audit(ctx, {
    action: "backupPolicy.create",
    target: `backup policy ${p.name}`,
    tenantId: p.tenantId,
    details: data,
  });
  return policyView(p);
}

/** Where a policy applies: its containers' (own or through their plan) and its plans' limits. */
const usesPolicy = (policyId: string) => ({
  OR: [{ backupPolicyId: policyId }, { backupPolicyId: null, plan: { backupPolicyId: policyId } }],
});

export async function updatePolicy(ctx: PolicyCtx, id: string, patch: Partial<PolicyInput>) {
  const p = await loadPolicy(ctx.db, ctx.scope, id);
  const next = { ...p, ...patch, schedule: canonical(patch.schedule ?? p.schedule) };
  checkKeeps(next);
  if (patch.name !== undefined && patch.name !== p.name) await assertNameFree(ctx.db, p.tenantId, patch.name, p.id);
  // every plan it applies to, directly or through a container of its own
  const plans = await ctx.db.plan.findMany({
    where: { OR: [{ backupPolicyId: p.id }, { containers: { some: { backupPolicyId: p.id } } }] },
  });
  for (const plan of plans) assertWithinPlan(next, plan);
  const u = await ctx.db.backupPolicy.update({
    where: { id: p.id },
    data: {
      name: next.name,
      kind: next.kind,
      schedule: next.schedule,
      keepDaily: next.keepDaily,
      keepWeekly: next.keepWeekly,
      keepMonthly: next.keepMonthly,
    },
  });
  // a new schedule: the scheduler computes each container's next slot again
  if (u.schedule !== p.schedule || u.kind !== p.kind)
    await ctx.db.container.updateMany({ where: usesPolicy(p.id), data: { policyNextAt: null } });
  await audit(ctx, {
    action: "backupPolicy.update",
    target: `backup policy ${u.name}`,
    tenantId: u.tenantId,
    details: patch,
  });
  return policyView(u);
}

/** Deletes a policy; its plans and containers have none after (their backups stay). */
export async function deletePolicy(ctx: PolicyCtx, id: string) {
  const p = await loadPolicy(ctx.db, ctx.scope, id);
  await ctx.db.container.updateMany({ where: usesPolicy(p.id), data: { policyNextAt: null } });
  await ctx.db.backupPolicy.delete({ where: { id: p.id } });
  await audit(ctx, { action: "backupPolicy.delete", target: `backup policy ${p.name}`, tenantId: p.tenantId });
  return { ok: true as const };
}

/** A policy the caller may attach to something of `ownerTenantId`: its own, or the owner's (admins: any). */
async function attachable(ctx: PolicyCtx, policyId: string, ownerTenantId: string) {
  const p = await loadPolicy(ctx.db, ctx.scope, policyId);
  if (ctx.scope !== null && p.tenantId !== ownerTenantId && p.tenantId !== ctx.actor.tenantId)
    throw new PanelError("NOT_FOUND", NOT_FOUND);
  return p;
}

/** Sellers: the plan's default policy (null = none). */
export async function setPlanPolicy(ctx: PolicyCtx, planId: string, policyId: string | null) {
  const plan = await ctx.db.plan.findUnique({ where: { id: planId } });
  if (!plan || (ctx.actor.role !== "admin" && plan.tenantId !== ctx.actor.tenantId))
    throw new PanelError("NOT_FOUND", "No such plan (or not one of yours).");
  const p = policyId ? await attachable(ctx, policyId, plan.tenantId) : null;
  if (p) assertWithinPlan(p, plan);
  await ctx.db.plan.update({ where: { id: plan.id }, data: { backupPolicyId: p?.id ?? null } });
  await ctx.db.container.updateMany({ where: { planId: plan.id, backupPolicyId: null }, data: { policyNextAt: null } });
  await audit(ctx, {
    action: "plan.backupPolicy",
    target: `plan ${plan.name}`,
    tenantId: plan.tenantId,
    details: { policy: p?.name ?? null },
  });
  return { ok: true as const };
}

/** The container's own policy (null = its plan's), within its plan's limits. */
export async function setContainerPolicy(ctx: PolicyCtx, c: FullContainer, policyId: string | null) {
  const p = policyId ? await attachable(ctx, policyId, c.tenantId) : null;
  if (p) assertWithinPlan(p, c.plan);
  await ctx.db.container.update({ where: { id: c.id }, data: { backupPolicyId: p?.id ?? null, policyNextAt: null } });
  await audit(ctx, {
    action: "container.backupPolicy",
    target: `container ${c.ctid} (${c.hostname})`,
    tenantId: c.tenantId,
    details: { policy: p?.name ?? null },
  });
  return { ok: true as const };
}

/** The container's Backups tab: its policy (own or the plan's), when it runs next, how the last run ended. */
export async function containerPolicy(db: Db, c: FullContainer, now = new Date()) {
  const row = await db.container.findUniqueOrThrow({
    where: { id: c.id },
    include: { backupPolicy: true, plan: { include: { backupPolicy: true } } },
  });
  const own = row.backupPolicy;
  const fromPlan = row.plan.backupPolicy;
  const effective = own ?? fromPlan;
  const sched = effective ? parseSchedule(effective.schedule) : null;
  const offset = jitterOffsetSec(c.id, jitterWindowSec());
  const slot = sched ? (row.policyNextAt ?? nextSlotAfterRun(sched, now, offset)) : null;
  // a run the panel did not see end (it stopped meanwhile): its operation says how it ended
  let lastStatus = row.policyLastStatus;
  if (lastStatus === "running" && row.policyLastOpId) {
    const op = await db.operation.findUnique({ where: { id: row.policyLastOpId }, select: { status: true } });
    lastStatus = !op ? null : op.status === "queued" ? "running" : op.status;
  }
  return {
    own: own ? policyView(own) : null,
    plan: fromPlan ? policyView(fromPlan) : null,
    source: own ? ("container" as const) : fromPlan ? ("plan" as const) : null,
    nextRunAt: slot ? dueAt(slot, offset).toISOString() : null,
    lastRunAt: row.policyLastAt?.toISOString() ?? null,
    lastStatus,
    lastOperationId: row.policyLastOpId,
    maxBackups: c.plan.maxBackups,
    maxSnapshots: c.plan.maxSnapshots,
  };
}
