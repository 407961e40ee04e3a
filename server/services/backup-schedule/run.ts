/**
 * One scheduled run of a container's policy: an operation (the same machinery as a manual backup, with its
 * log), then, in the same operation, pruning by the policy's retention. Only what this policy made is pruned:
 * backups whose row carries the policy's id, snapshots whose description names it. Manual backups and
 * snapshots, and those of another policy, are never touched.
 */
import type { Actor } from "../../auth/roles.js";
import type { BackupPolicy, Db, Operation } from "../../db/client.js";
import { engineFor } from "../../engine/index.js";
import { audit } from "../audit.js";
import type { FullContainer } from "../container-state.js";
import { startOperation, type OpHandle } from "../operations.js";
import { backupContainer, deleteBackupRow } from "../snapshots.js";
import { selectRetained, type Retention } from "./retention.js";

/** The description that marks a policy's snapshots. */
export const snapshotMark = (policyId: string) => `scheduled by backup policy ${policyId}`;

const pad = (n: number) => String(n).padStart(2, "0");
/** auto-YYYYMMDD-HHMMSS (UTC): a scheduled snapshot's name, dated by the scheduler's clock. */
export function snapshotName(at: Date): string {
  return (
    `auto-${at.getUTCFullYear()}${pad(at.getUTCMonth() + 1)}${pad(at.getUTCDate())}-` +
    `${pad(at.getUTCHours())}${pad(at.getUTCMinutes())}${pad(at.getUTCSeconds())}`
  );
}
function snapshotTime(name: string): Date | null {
  const m = /^auto-(\d{4})(\d\d)(\d\d)-(\d\d)(\d\d)(\d\d)$/.exec(name);
  return m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)) : null;
}

/** Who the scheduler's operations and audit entries name. */
export function schedulerActor(c: { tenantId: string }, policy: BackupPolicy): Actor {
  return {
    userId: "",
    role: "admin",
    tenantId: c.tenantId,
    label: `backup scheduler (policy ${policy.name})`,
    via: "cli",
  };
}

const describeKeep = (r: Retention) => `keep daily ${r.keepDaily}, weekly ${r.keepWeekly}, monthly ${r.keepMonthly}`;

async function pruneBackups(db: Db, actor: Actor, c: FullContainer, policy: BackupPolicy, h: OpHandle) {
  const rows = await db.backup.findMany({
    where: { containerId: c.id, policyId: policy.id },
    include: { node: { select: { id: true, name: true, endpoint: true } } },
  });
  const { keep, remove } = selectRetained(
    rows.map((row) => ({ id: row.id, at: row.createdAt, row })),
    policy,
  );
  for (const x of remove) {
    await deleteBackupRow({ db, actor, ip: null, userAgent: null }, x.row);
    h.log(`pruned backup ${x.row.engineId} of ${x.at.toISOString()}`);
  }
  h.log(`retention (${describeKeep(policy)}): ${keep.length} kept, ${remove.length} pruned`);
}

async function snapshotWork(db: Db, actor: Actor, c: FullContainer, policy: BackupPolicy, at: Date, h: OpHandle) {
  const eng = engineFor(c.node.endpoint);
  const mark = snapshotMark(policy.id);
  const name = snapshotName(at);
  await eng.call("snapshot.create", { ctid: c.ctid, name, description: mark });
  h.log(`snapshot ${name} taken`);
  const ctx = { db, actor, ip: null, userAgent: null };
  await audit(ctx, {
    action: "container.snapshot",
    target: `container ${c.ctid} (${c.hostname})`,
    tenantId: c.tenantId,
    details: { snapshot: name, policy: policy.id },
  });
  const mine = (await eng.call("snapshot.list", { ctid: c.ctid }))
    .filter((s) => s.description === mark)
    .map((s) => ({ id: s.name, at: snapshotTime(s.name) ?? new Date(s.createdAt) }));
  const { keep, remove } = selectRetained(mine, policy);
  for (const s of remove) {
    await eng.call("snapshot.delete", { ctid: c.ctid, name: s.id });
    await audit(ctx, {
      action: "container.snapshotDelete",
      target: `container ${c.ctid} (${c.hostname})`,
      tenantId: c.tenantId,
      details: { snapshot: s.id, policy: policy.id },
    });
    h.log(`pruned snapshot ${s.id}`);
  }
  h.log(`retention (${describeKeep(policy)}): ${keep.length} kept, ${remove.length} pruned`);
}

/**
 * Starts the run as an operation and returns it (throws CONFLICT while another operation runs on the
 * container, like any operation). `now` dates the backup or snapshot (the scheduler's clock).
 */
export async function startPolicyRun(
  db: Db,
  c: FullContainer,
  policy: BackupPolicy,
  now: () => Date,
): Promise<Operation> {
  const actor = schedulerActor(c, policy);
  if (policy.kind === "snapshot") {
    const at = now();
    return startOperation(
      db,
      actor,
      {
        type: "snapshot",
        tenantId: c.tenantId,
        containerId: c.id,
        message: `scheduled snapshot of container ${c.ctid} (policy ${policy.name})`,
      },
      (h) => snapshotWork(db, actor, c, policy, at, h),
    );
  }
  return backupContainer({ db, actor, ip: null, userAgent: null }, c, {
    id: policy.id,
    at: now,
    after: (h) => pruneBackups(db, actor, c, policy, h),
  });
}
