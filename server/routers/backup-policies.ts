/**
 * Backup policies (docs/backup-policies.md): scheduled backups or snapshots with retention. Every role keeps
 * policies in its own tenant (admins see all, resellers their tenant tree, customers their own); sellers set
 * a plan's default policy; whoever sees a container may give it a policy of its own, within its plan's
 * limits (the plan's maxBackups or maxSnapshots).
 */
import { z } from "zod";
import * as pol from "../services/backup-schedule/policies.js";
import { authedProcedure, containerProcedure, roleProcedure, router } from "../trpc/init.js";
import { id, name } from "./schemas.js";

const keep = z.number().int().min(0, "0 or more").max(1000, "at most 1000");
const policyInput = z.object({
  name,
  kind: z.enum(["backup", "snapshot"]),
  schedule: z.string().trim().min(1, 'for example "daily 03:00" or "weekly sun 03:00"').max(40),
  keepDaily: keep.default(0),
  keepWeekly: keep.default(0),
  keepMonthly: keep.default(0),
});
const patch = z.object({
  policyId: id,
  name: name.optional(),
  kind: z.enum(["backup", "snapshot"]).optional(),
  schedule: z.string().trim().min(1).max(40).optional(),
  keepDaily: keep.optional(),
  keepWeekly: keep.optional(),
  keepMonthly: keep.optional(),
});

export const backupPoliciesRouter = router({
  /** The policies of the caller's tenants. */
  list: authedProcedure.query(({ ctx }) => pol.listPolicies(ctx.db, ctx.actor)),
  create: authedProcedure.input(policyInput).mutation(({ ctx, input }) => pol.createPolicy(ctx, input)),
  update: authedProcedure.input(patch).mutation(({ ctx, input }) => {
    const { policyId, ...rest } = input;
    return pol.updatePolicy(ctx, policyId, rest);
  }),
  delete: authedProcedure
    .input(z.object({ policyId: id }))
    .mutation(({ ctx, input }) => pol.deletePolicy(ctx, input.policyId)),
  /** A plan's default policy (null = none): admins any plan, resellers their own. */
  setForPlan: roleProcedure("admin", "reseller")
    .input(z.object({ planId: id, policyId: id.nullable() }))
    .mutation(({ ctx, input }) => pol.setPlanPolicy(ctx, input.planId, input.policyId)),
  /** The container's policy: own or its plan's, the next run (with its jitter) and the last one. */
  forContainer: containerProcedure("admin", "reseller", "customer").query(({ ctx }) =>
    pol.containerPolicy(ctx.db, ctx.container),
  ),
  /** The container's own policy (null = its plan's). */
  setForContainer: containerProcedure("admin", "reseller", "customer")
    .input(z.object({ policyId: id.nullable() }))
    .mutation(({ ctx, input }) => pol.setContainerPolicy(ctx, ctx.container, input.policyId)),
});
