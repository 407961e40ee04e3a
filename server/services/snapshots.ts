/**
 * Snapshots and backups of a container, for the command line (vzctl snapshot*, backup/restore; prlctl
 * snapshot*, backup/restore) and the panel. Snapshots are instant (the engine's CoW); switching to one
 * replaces the root filesystem, so a running container is stopped first and started again after.
 * Backups and restores are slow: they run as operations (progress and log in the database). A restore
 * keeps the panel's view authoritative: after the engine recreated the container from the archive, the
 * row's addresses, firewall, rate, DNS servers, limits, hostname and name are applied again, so a backup
 * taken before an address or plan change cannot bring old settings back (root's SSH keys too).
 *
 * The panel keeps a Backup row per backup it made (owner tenant, node, engine id, plan, size): backups
 * outlive their container (containerId becomes null on destroy), so a customer can restore a destroyed
 * container's backup as a new container, or download it (app/api/backups/[id]/download). The plan caps
 * how many snapshots (maxSnapshots) and backups (maxBackups) a container may keep.
 */
import type { Actor } from "../auth/roles.js";
import type { Backup, Db } from "../db/client.js";
import { engineFor } from "../engine/index.js";
import { isEngineError, PanelError } from "../errors.js";
import type { OpEvent } from "../../native/src/protocol/schema.js";
import { audit, type AuditCtx } from "./audit.js";
import { syncState, type FullContainer } from "./container-state.js";
import { reserveContainer } from "./container-create.js";
import { canSeeTenant, ownedBy, type Who } from "./scope.js";
import { effectiveLimits } from "./limits.js";
import { loadNetConfig } from "./network.js";
import type { NetMode } from "./net-modes.js";
import { assertIdle, startOperation, type OpHandle } from "./operations.js";

type Ctx = AuditCtx & { db: Db; actor: Actor };

const target = (c: FullContainer) => `container ${c.ctid} (${c.hostname})`;
const eng = (c: FullContainer) => engineFor(c.node.endpoint);
const relay = (op: OpHandle) => (e: OpEvent) => (e.kind === "log" ? op.log(e.line) : op.progress(e.percent, e.message));

export async function listSnapshots(c: FullContainer) {
  return eng(c).call("snapshot.list", { ctid: c.ctid });
}

export async function createSnapshot(ctx: Ctx, c: FullContainer, opts: { name?: string; description?: string }) {
  await assertIdle(ctx.db, c.id); // a snapshot in the middle of a reinstall or restore holds half of each
  const have = await listSnapshots(c);
  if (have.length >= c.plan.maxSnapshots) {
    throw new PanelError(
      "QUOTA_EXCEEDED",
      `Plan "${c.plan.name}" allows ${c.plan.maxSnapshots} snapshot(s) per container and container ${c.ctid} has ${have.length}; delete one (${have.map((x) => x.name).join(", ") || "none"}) first.`,
    );
  }
  const s = await eng(c).call("snapshot.create", {
    ctid: c.ctid,
    ...(opts.name ? { name: opts.name } : {}),
    ...(opts.description ? { description: opts.description } : {}),
  });
  await audit(ctx, {
    action: "container.snapshot",
    target: target(c),
    tenantId: c.tenantId,
    details: { snapshot: s.name },
  });
  return s;
}

export async function deleteSnapshot(ctx: Ctx, c: FullContainer, name: string) {
  await assertIdle(ctx.db, c.id);
  await eng(c).call("snapshot.delete", { ctid: c.ctid, name });
  await audit(ctx, {
    action: "container.snapshotDelete",
    target: target(c),
    tenantId: c.tenantId,
    details: { snapshot: name },
  });
}

/** Rolls the container back to a snapshot; a running container is stopped first and started after. */
export async function switchSnapshot(ctx: Ctx, c: FullContainer, name: string, log: (line: string) => void = () => {}) {
  await assertIdle(ctx.db, c.id); // it replaces the root filesystem an operation may be working on
  const e = eng(c);
  const before = await e.call("container.status", { ctid: c.ctid });
  if (!(await e.call("snapshot.list", { ctid: c.ctid })).some((s) => s.name === name)) {
    throw new PanelError("NOT_FOUND", `Container ${c.ctid} has no snapshot "${name}"; list them with snapshot-list.`);
  }
  const wasRunning = before.state !== "stopped";
  if (wasRunning) {
    log("Stopping container ...");
    await e.call("container.stop", { ctid: c.ctid });
  }
  try {
    await e.call("snapshot.rollback", { ctid: c.ctid, name });
  } finally {
    if (wasRunning) {
      log("Starting container ...");
      await e.call("container.start", { ctid: c.ctid }).catch(() => {});
    }
    await syncState(ctx.db, c);
  }
  await audit(ctx, {
    action: "container.snapshotSwitch",
    target: target(c),
    tenantId: c.tenantId,
    details: { snapshot: name, restarted: wasRunning },
  });
}

export async function listBackups(c: FullContainer) {
  return eng(c).call("backup.list", { ctid: c.ctid });
}

/**
 * Backs a container up (an operation). A policy's run (backup-schedule/run.ts) passes `policy`: its backups
 * are bounded by the policy's retention (checked against maxBackups when the policy is set) instead of the
 * count check, are marked with the policy, dated by the scheduler's clock, and `after` prunes in the same
 * operation.
 */
export async function backupContainer(
  ctx: Ctx,
  c: FullContainer,
  policy?: { id: string; at: () => Date; after: (h: OpHandle) => Promise<void> },
) {
  const have = policy ? 0 : await ctx.db.backup.count({ where: { containerId: c.id } });
  if (have >= c.plan.maxBackups) {
    throw new PanelError(
      "QUOTA_EXCEEDED",
      `Plan "${c.plan.name}" allows ${c.plan.maxBackups} backup(s) per container and container ${c.ctid} has ${have}; delete an older backup first.`,
    );
  }
  const op = await startOperation(
    ctx.db,
    ctx.actor,
    { type: "backup", tenantId: c.tenantId, containerId: c.id, message: `back up container ${c.ctid}` },
    async (h) => {
      const b = await eng(c).call("backup.create", { ctid: c.ctid }, { onEvent: relay(h) });
      await ctx.db.backup.create({
        data: {
          engineId: b.id,
          nodeId: c.nodeId,
          tenantId: c.tenantId,
          ctid: c.ctid,
          containerId: c.id,
          planId: c.planId,
          hostname: c.hostname,
          template: c.template,
          sshKeys:
            (await ctx.db.container.findUnique({ where: { id: c.id }, select: { sshKeys: true } }))?.sshKeys ?? "",
          sizeBytes: BigInt(b.archive.sizeBytes),
          createdAt: policy ? policy.at() : new Date(b.createdAt),
          policyId: policy?.id ?? null,
        },
      });
      h.log(`backup ${b.id} written (${b.archive.sizeBytes} bytes)`); // not the host path: customers read this log
      if (policy) await policy.after(h);
    },
  );
  await audit(ctx, {
    action: "container.backup",
    target: target(c),
    tenantId: c.tenantId,
    ...(policy ? { details: { policy: policy.id } } : {}),
  });
  return op;
}

export async function deleteBackup(ctx: Ctx, c: FullContainer, id: string) {
  const mine = (await listBackups(c)).some((b) => b.id === id);
  if (!mine) throw new PanelError("NOT_FOUND", `Container ${c.ctid} has no backup ${id}; list them with backup-list.`);
  await eng(c).call("backup.delete", { id });
  await ctx.db.backup.deleteMany({ where: { nodeId: c.nodeId, engineId: id } });
  await audit(ctx, {
    action: "container.backupDelete",
    target: target(c),
    tenantId: c.tenantId,
    details: { backup: id },
  });
}

/**
 * Restores a backup of this container (the newest unless `id`) over it. The container must be stopped;
 * its settings are the panel's again afterwards (see the header).
 */
export async function restoreContainer(ctx: Ctx, c: FullContainer, id?: string) {
  const backups = (await listBackups(c)).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  const chosen = id ? backups.find((b) => b.id === id) : backups[backups.length - 1];
  if (!chosen)
    throw new PanelError(
      "NOT_FOUND",
      id
        ? `Container ${c.ctid} has no backup ${id}; list them with backup-list.`
        : `Container ${c.ctid} has no backup; make one with backup first.`,
    );
  const st = await eng(c)
    .call("container.status", { ctid: c.ctid })
    .catch((e) => {
      if (isEngineError(e, "NOT_FOUND")) return null;
      throw e;
    });
  if (st && st.state !== "stopped")
    throw new PanelError(
      "CONFLICT",
      `Container ${c.ctid} is ${st.state}; stop it first (a restore replaces its whole root filesystem).`,
    );
  const op = await startOperation(
    ctx.db,
    ctx.actor,
    {
      type: "restore",
      tenantId: c.tenantId,
      containerId: c.id,
      message: `restore container ${c.ctid} from ${chosen.id}`,
    },
    async (h) => {
      const e = eng(c);
      await e.call("backup.restore", { id: chosen.id, ctid: c.ctid, force: true }, { onEvent: relay(h) });
      h.progress(95, "applying the panel's settings");
      const fresh = await ctx.db.container.findUniqueOrThrow({ where: { id: c.id }, include: { plan: true } });
      await e.call("container.set", {
        ctid: c.ctid,
        hostname: fresh.hostname,
        name: fresh.name,
        onboot: fresh.onboot,
        limits: effectiveLimits(fresh.plan, fresh.overrides),
      });
      await e.call("container.net.set", { ctid: c.ctid, net: await loadNetConfig(ctx.db, fresh) });
      if (fresh.sshKeys) await e.call("container.sshkeys.set", { ctid: c.ctid, keys: fresh.sshKeys });
      await syncState(ctx.db, c);
      h.log(`container ${c.ctid} restored from ${chosen.id}`);
    },
  );
  await audit(ctx, {
    action: "container.restore",
    target: target(c),
    tenantId: c.tenantId,
    details: { backup: chosen.id },
  });
  return op;
}

// ------------------------------------------------------------------------------ panel: Backup rows

export type BackupRow = Backup & { node: { id: string; name: string; endpoint: string } };

export function backupView(b: Backup) {
  return {
    id: b.id,
    engineId: b.engineId,
    ctid: b.ctid,
    containerId: b.containerId,
    tenantId: b.tenantId,
    hostname: b.hostname,
    template: b.template,
    sizeBytes: Number(b.sizeBytes),
    createdAt: b.createdAt.toISOString(),
  };
}

/** Backups the actor may see: of one container, or every backup of its tenants (incl. destroyed containers'). */
export async function listBackupRows(db: Db, who: Who, where: { containerId?: string; tenantId?: string } = {}) {
  const rows = await db.backup.findMany({
    where: {
      AND: [
        ownedBy(who),
        where.containerId ? { containerId: where.containerId } : {},
        where.tenantId ? { tenantId: where.tenantId } : {},
      ],
    },
    orderBy: { createdAt: "desc" },
    take: 500,
  });
  return rows.map(backupView);
}

/** A backup row the actor may see (foreign or missing: NOT_FOUND, the same answer). */
export async function loadBackup(db: Db, scope: string[] | null, id: string): Promise<BackupRow> {
  const b = await db.backup.findUnique({
    where: { id },
    include: { node: { select: { id: true, name: true, endpoint: true } } },
  });
  if (!b || !canSeeTenant(scope, b.tenantId))
    throw new PanelError("NOT_FOUND", "No such backup (or not one of yours).");
  return b;
}

export async function deleteBackupRow(ctx: Ctx, b: BackupRow) {
  try {
    await engineFor(b.node.endpoint).call("backup.delete", { id: b.engineId });
  } catch (e) {
    if (!isEngineError(e, "NOT_FOUND")) throw e; // already gone from the node: drop the row
  }
  await ctx.db.backup.delete({ where: { id: b.id } });
  await audit(ctx, {
    action: "backup.delete",
    target: `backup ${b.engineId} of container ${b.ctid} (${b.hostname})`,
    tenantId: b.tenantId,
  });
}

/** Restore a backup row over the container it came from (it must still exist and be stopped). */
export async function restoreBackupHere(ctx: Ctx, c: FullContainer, b: BackupRow) {
  if (b.containerId !== c.id)
    throw new PanelError(
      "NOT_FOUND",
      `Backup ${b.engineId} is not one of container ${c.ctid}'s; restore it as a new container instead.`,
    );
  return restoreContainer(ctx, c, b.engineId);
}

/**
 * Restore a backup as a NEW container (of a destroyed or an existing one): a row like a create (same
 * tenant, plan and allocation checks, addresses from the pools), then the engine recreates the system
 * from the archive into the new ctid, then the panel's settings (limits, hostname, addresses, SSH keys)
 * are applied. A failure removes the row (the engine already removed the half-made container).
 */
export async function restoreAsNewContainer(
  ctx: Ctx,
  scope: string[] | null,
  b: BackupRow,
  opts: { hostname?: string; planId?: string } = {},
) {
  const planId = opts.planId ?? b.planId;
  if (!planId)
    throw new PanelError("BAD_REQUEST", "This backup does not say which plan its container had; choose a plan.", {
      planId: "required",
    });
  const source = b.containerId
    ? await ctx.db.container.findUnique({ where: { id: b.containerId }, select: { sshKeys: true, netMode: true } })
    : null;
  const sshKeys = source?.sshKeys ?? b.sshKeys;
  const hostname = opts.hostname ?? b.hostname;
  const { row, plan, node } = await reserveContainer(ctx, scope, {
    tenantId: b.tenantId,
    planId,
    hostname,
    template: b.template,
    nodeId: b.nodeId,
    netMode: (source?.netMode as NetMode | undefined) ?? "venet",
    auditAction: "container.restoreAsNew",
  });
  if (sshKeys) await ctx.db.container.update({ where: { id: row.id }, data: { sshKeys } });
  return startOperation(
    ctx.db,
    ctx.actor,
    {
      type: "restore",
      tenantId: b.tenantId,
      containerId: row.id,
      message: `restore backup ${b.engineId} as container ${row.ctid}`,
    },
    async (h) => {
      const e = engineFor(node.endpoint);
      try {
        await e.call("backup.restore", { id: b.engineId, ctid: row.ctid }, { onEvent: relay(h) });
        h.progress(95, "applying the panel's settings");
        const fresh = await ctx.db.container.findUniqueOrThrow({ where: { id: row.id }, include: { plan: true } });
        await e.call("container.set", {
          ctid: row.ctid,
          hostname: fresh.hostname,
          name: fresh.name,
          onboot: fresh.onboot,
          limits: effectiveLimits(plan, fresh.overrides),
        });
        await e.call("container.net.set", { ctid: row.ctid, net: await loadNetConfig(ctx.db, fresh) });
        if (fresh.sshKeys) await e.call("container.sshkeys.set", { ctid: row.ctid, keys: fresh.sshKeys });
        const st = await e.call("container.status", { ctid: row.ctid });
        await ctx.db.container.update({ where: { id: row.id }, data: { state: st.state } });
        h.log(`backup ${b.engineId} restored as container ${row.ctid}`);
      } catch (err) {
        await e.call("container.destroy", { ctid: row.ctid, force: true }).catch(() => {});
        await ctx.db.container.delete({ where: { id: row.id } }).catch(() => {});
        throw err;
      }
    },
  );
}
