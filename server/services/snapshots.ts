/**
 * Snapshots and backups of a container, for the command line (vzctl snapshot*, backup/restore; prlctl
 * snapshot*, backup/restore) and the panel. Snapshots are instant (the engine's CoW); switching to one
 * replaces the root filesystem, so a running container is stopped first and started again after.
 * Backups and restores are slow: they run as operations (progress and log in the database). A restore
 * keeps the panel's view authoritative: after the engine recreated the container from the archive, the
 * row's addresses, firewall, rate, DNS servers, limits, hostname and name are applied again, so a backup
 * taken before an address or plan change cannot bring old settings back.
 */
import type { Actor } from "../auth/roles.js";
import type { Db } from "../db/client.js";
import { engineFor } from "../engine/index.js";
import { isEngineError, PanelError } from "../errors.js";
import type { OpEvent } from "../../native/src/protocol/schema.js";
import { audit, type AuditCtx } from "./audit.js";
import { syncState, type FullContainer } from "./containers.js";
import { effectiveLimits } from "./limits.js";
import { loadNetConfig } from "./network.js";
import { startOperation, type OpHandle } from "./operations.js";

type Ctx = AuditCtx & { db: Db; actor: Actor };

const target = (c: FullContainer) => `container ${c.ctid} (${c.hostname})`;
const eng = (c: FullContainer) => engineFor(c.node.endpoint);
const relay = (op: OpHandle) => (e: OpEvent) => (e.kind === "log" ? op.log(e.line) : op.progress(e.percent, e.message));

export async function listSnapshots(c: FullContainer) {
  return eng(c).call("snapshot.list", { ctid: c.ctid });
}

export async function createSnapshot(ctx: Ctx, c: FullContainer, opts: { name?: string; description?: string }) {
  const s = await eng(c).call("snapshot.create", { ctid: c.ctid, ...(opts.name ? { name: opts.name } : {}), ...(opts.description ? { description: opts.description } : {}) });
  await audit(ctx, { action: "container.snapshot", target: target(c), tenantId: c.tenantId, details: { snapshot: s.name } });
  return s;
}

export async function deleteSnapshot(ctx: Ctx, c: FullContainer, name: string) {
  await eng(c).call("snapshot.delete", { ctid: c.ctid, name });
  await audit(ctx, { action: "container.snapshotDelete", target: target(c), tenantId: c.tenantId, details: { snapshot: name } });
}

/** Rolls the container back to a snapshot; a running container is stopped first and started after. */
export async function switchSnapshot(ctx: Ctx, c: FullContainer, name: string, log: (line: string) => void = () => {}) {
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
  await audit(ctx, { action: "container.snapshotSwitch", target: target(c), tenantId: c.tenantId, details: { snapshot: name, restarted: wasRunning } });
}

export async function listBackups(c: FullContainer) {
  return eng(c).call("backup.list", { ctid: c.ctid });
}

export async function backupContainer(ctx: Ctx, c: FullContainer) {
  const op = await startOperation(ctx.db, ctx.actor, { type: "backup", tenantId: c.tenantId, containerId: c.id, message: `back up container ${c.ctid}` }, async (h) => {
    const b = await eng(c).call("backup.create", { ctid: c.ctid }, { onEvent: relay(h) });
    h.log(`backup ${b.id} written: ${b.path} (${b.archive.sizeBytes} bytes)`);
  });
  await audit(ctx, { action: "container.backup", target: target(c), tenantId: c.tenantId });
  return op;
}

export async function deleteBackup(ctx: Ctx, c: FullContainer, id: string) {
  const mine = (await listBackups(c)).some((b) => b.id === id);
  if (!mine) throw new PanelError("NOT_FOUND", `Container ${c.ctid} has no backup ${id}; list them with backup-list.`);
  await eng(c).call("backup.delete", { id });
  await audit(ctx, { action: "container.backupDelete", target: target(c), tenantId: c.tenantId, details: { backup: id } });
}

/**
 * Restores a backup of this container (the newest unless `id`) over it. The container must be stopped;
 * its settings are the panel's again afterwards (see the header).
 */
export async function restoreContainer(ctx: Ctx, c: FullContainer, id?: string) {
  const backups = (await listBackups(c)).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  const chosen = id ? backups.find((b) => b.id === id) : backups[backups.length - 1];
  if (!chosen) throw new PanelError("NOT_FOUND", id ? `Container ${c.ctid} has no backup ${id}; list them with backup-list.` : `Container ${c.ctid} has no backup; make one with backup first.`);
  const st = await eng(c).call("container.status", { ctid: c.ctid }).catch((e) => {
    if (isEngineError(e, "NOT_FOUND")) return null;
    throw e;
  });
  if (st && st.state !== "stopped") throw new PanelError("CONFLICT", `Container ${c.ctid} is ${st.state}; stop it first (a restore replaces its whole root filesystem).`);
  const op = await startOperation(ctx.db, ctx.actor, { type: "restore", tenantId: c.tenantId, containerId: c.id, message: `restore container ${c.ctid} from ${chosen.id}` }, async (h) => {
    const e = eng(c);
    await e.call("backup.restore", { id: chosen.id, ctid: c.ctid, force: true }, { onEvent: relay(h) });
    h.progress(95, "applying the panel's settings");
    const fresh = await ctx.db.container.findUniqueOrThrow({ where: { id: c.id }, include: { plan: true } });
    await e.call("container.set", { ctid: c.ctid, hostname: fresh.hostname, name: fresh.name, onboot: fresh.onboot, limits: effectiveLimits(fresh.plan, fresh.overrides) });
    await e.call("container.net.set", { ctid: c.ctid, net: await loadNetConfig(ctx.db, fresh) });
    await syncState(ctx.db, c);
    h.log(`container ${c.ctid} restored from ${chosen.id}`);
  });
  await audit(ctx, { action: "container.restore", target: target(c), tenantId: c.tenantId, details: { backup: chosen.id } });
  return op;
}
