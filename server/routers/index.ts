import { router } from "../trpc/init.js";
import { allocationsRouter } from "./allocations.js";
import { auditRouter } from "./audit.js";
import { backupPoliciesRouter } from "./backup-policies.js";
import { backupsRouter, snapshotsRouter, sshKeysRouter } from "./backups.js";
import { authRouter } from "./auth.js";
import { containersRouter } from "./containers.js";
import { nodesRouter, templatesRouter } from "./nodes.js";
import { notificationsRouter } from "./notifications.js";
import { operationsRouter } from "./operations.js";
import { plansRouter } from "./plans.js";
import { poolsRouter } from "./pools.js";
import { tenantsRouter } from "./tenants.js";
import { tokensRouter } from "./tokens.js";
import { trafficRouter } from "./traffic.js";
import { usageRouter } from "./usage.js";
import { usersRouter } from "./users.js";

export const appRouter = router({
  auth: authRouter,
  tokens: tokensRouter,
  tenants: tenantsRouter,
  users: usersRouter,
  plans: plansRouter,
  allocations: allocationsRouter,
  containers: containersRouter,
  operations: operationsRouter,
  audit: auditRouter,
  nodes: nodesRouter,
  templates: templatesRouter,
  pools: poolsRouter,
  traffic: trafficRouter,
  snapshots: snapshotsRouter,
  backups: backupsRouter,
  backupPolicies: backupPoliciesRouter,
  sshKeys: sshKeysRouter,
  usage: usageRouter,
  notifications: notificationsRouter,
});

export type AppRouter = typeof appRouter;
