/**
 * Snapshots, backups and root's SSH keys of a container, for every role that sees it (customers too);
 * the plan caps how many snapshots and backups a container keeps (QUOTA_EXCEEDED names what to delete).
 * Backups outlive their container: `backups.all` lists the caller's tenants' backups (destroyed
 * containers' included) and `backups.restoreAsNew` makes a new container from one (sellers; customers of a
 * self-service plan within its quota).
 */
import { z } from "zod";
import { MAX_DESCRIPTION, SNAPSHOT_NAME_RE } from "../../native/src/snapshot-names.js";
import * as svc from "../services/containers.js";
import * as snap from "../services/snapshots.js";
import { authedProcedure, containerProcedure, roleProcedure, router } from "../trpc/init.js";
import { hostname, id } from "./schemas.js";

const anyRole = ["admin", "reseller", "customer"] as const;
const snapshotName = z
  .string()
  .regex(SNAPSHOT_NAME_RE, "letters, digits, . _ - (up to 64), starting with a letter or digit");

export const snapshotsRouter = router({
  list: containerProcedure(...anyRole).query(async ({ ctx }) => ({
    snapshots: await snap.listSnapshots(ctx.container),
    max: ctx.container.plan.maxSnapshots,
  })),
  create: containerProcedure(...anyRole)
    .input(z.object({ name: snapshotName.optional(), description: z.string().max(MAX_DESCRIPTION).optional() }))
    .mutation(({ ctx, input }) => snap.createSnapshot(ctx, ctx.container, input)),
  /** Roll back: a running container is stopped first and started again after. */
  rollback: containerProcedure(...anyRole)
    .input(z.object({ name: snapshotName }))
    .mutation(
      async ({ ctx, input }) => (await snap.switchSnapshot(ctx, ctx.container, input.name), { ok: true as const }),
    ),
  delete: containerProcedure(...anyRole)
    .input(z.object({ name: snapshotName }))
    .mutation(
      async ({ ctx, input }) => (await snap.deleteSnapshot(ctx, ctx.container, input.name), { ok: true as const }),
    ),
});

export const backupsRouter = router({
  /** This container's backups. */
  list: containerProcedure(...anyRole).query(async ({ ctx }) => ({
    backups: await snap.listBackupRows(ctx.db, ctx.actor, { containerId: ctx.container.id }),
    max: ctx.container.plan.maxBackups,
  })),
  /** Every backup the caller may see (containers destroyed since included), optionally of one tenant. */
  all: authedProcedure
    .input(z.object({ tenantId: id.optional() }).optional())
    .query(({ ctx, input }) => snap.listBackupRows(ctx.db, ctx.actor, { tenantId: input?.tenantId })),
  create: containerProcedure(...anyRole).mutation(({ ctx }) => snap.backupContainer(ctx, ctx.container)),
  delete: authedProcedure.input(z.object({ backupId: id })).mutation(async ({ ctx, input }) => {
    await snap.deleteBackupRow(ctx, await snap.loadBackup(ctx.db, ctx.scope, input.backupId));
    return { ok: true as const };
  }),
  /** Restore over the container the backup came from (it must be stopped). */
  restore: containerProcedure(...anyRole)
    .input(z.object({ backupId: id }))
    .mutation(async ({ ctx, input }) =>
      snap.restoreBackupHere(ctx, ctx.container, await snap.loadBackup(ctx.db, ctx.scope, input.backupId)),
    ),
  /**
   * A new container from a backup (same tenant; the backup's plan or another one): it passes exactly the checks
   * of a create (customers: a self-service plan, within its quota).
   */
  restoreAsNew: roleProcedure(...anyRole)
    .input(z.object({ backupId: id, hostname: hostname.optional(), planId: id.optional() }))
    .mutation(async ({ ctx, input }) =>
      snap.restoreAsNewContainer(ctx, ctx.scope, await snap.loadBackup(ctx.db, ctx.scope, input.backupId), {
        hostname: input.hostname,
        planId: input.planId,
      }),
    ),
});

export const sshKeysRouter = router({
  get: containerProcedure(...anyRole).query(({ ctx }) => ({ keys: ctx.container.sshKeys })),
  set: containerProcedure(...anyRole)
    .input(z.object({ keys: z.string().max(1_048_576) }))
    .mutation(({ ctx, input }) => svc.setSshKeys(ctx, ctx.container, input.keys)),
});
