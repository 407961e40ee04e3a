/** Billing API v1: containers — create from a plan, find by external id, suspend, change plan, terminate, … */
import { PanelError } from "../../errors.js";
import {
  changePlan,
  containerTraffic,
  containerUsage,
  generateRootPassword,
  terminateContainer,
} from "../../services/billing.js";
import { createContainer, reinstallContainer } from "../../services/containers.js";
import { suspendContainer, unsuspendContainer } from "../../services/suspension.js";
import { utcDay } from "../../services/traffic.js";
import { ANY_ROLE, route, SELLERS, type ApiRoute } from "./route.js";
import { R, S } from "./schemas.js";
import { containerView, loadContainer, shownContainer } from "./views.js";
import { ownedBy } from "../../services/scope.js";

const C = "/containers/{id}";

/** [from, to] days of a period query: default this month so far; at most 366 days. */
function period(q: { from?: string; to?: string }) {
  const today = utcDay(new Date());
  const from = q.from ?? `${today.slice(0, 8)}01`;
  const to = q.to ?? today;
  const span = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000;
  if (span < 0) throw new PanelError("BAD_REQUEST", "`from` is after `to`; swap them.", { from: "after to" });
  if (span > 366) throw new PanelError("BAD_REQUEST", "A period is at most 366 days; ask in parts.", { to: "too far" });
  return { from, to };
}

export const containerRoutes: ApiRoute[] = [
  route({
    method: "POST",
    path: "/containers",
    operationId: "createContainer",
    summary: "Create a container from a plan for a customer (an operation)",
    description:
      "Answers at once with the operation that makes it; poll GET /operations/{id}. Send an Idempotency-Key to " +
      "make retries safe: the same key and body return this same answer, and no second container is made.",
    tag: "containers",
    roles: SELLERS,
    body: S.containerCreate,
    idempotent: true,
    status: 202,
    response: R.started,
    responseDescription: "the create operation and the container (state creating)",
    errors: [404, 409],
    async run({ ctx, body }) {
      const op = await createContainer(ctx, ctx.scope, {
        tenantId: body.customerId,
        planId: body.planId,
        hostname: body.hostname,
        template: body.template,
        ...(body.externalId ? { externalId: body.externalId } : {}),
      });
      return { operationId: op.id, container: await shownContainer(ctx, op.containerId!) };
    },
  }),
  route({
    method: "GET",
    path: "/containers",
    operationId: "listContainers",
    summary: "List the caller's containers, by external id or customer",
    tag: "containers",
    roles: ANY_ROLE,
    query: S.containerFilter,
    status: 200,
    response: R.containers,
    responseDescription: "the containers (at most 1000, by ctid)",
    async run({ ctx, query }) {
      const rows = await ctx.db.container.findMany({
        where: {
          AND: [
            ownedBy(ctx.actor),
            query.externalId ? { externalId: query.externalId } : {},
            query.customerId ? { tenantId: query.customerId } : {},
          ],
        },
        include: { plan: { select: { name: true } }, addresses: { select: { address: true } } },
        orderBy: { ctid: "asc" },
        take: 1000,
      });
      return { containers: rows.map(containerView) };
    },
  }),
  route({
    method: "GET",
    path: C,
    operationId: "getContainer",
    summary: "One container",
    tag: "containers",
    roles: ANY_ROLE,
    params: S.idParams,
    status: 200,
    response: R.container,
    responseDescription: "the container",
    errors: [404],
    async run({ ctx, params }) {
      const c = await loadContainer(ctx, params.id);
      return { container: await shownContainer(ctx, c.id) };
    },
  }),
  route({
    method: "POST",
    path: `${C}/suspend`,
    operationId: "suspendContainer",
    summary: "Suspend a container (stopped, or frozen: the admin's setting) with a reason",
    description:
      "Its owner cannot start it and sees the reason; nothing is deleted. Suspending a suspended container " +
      "only changes the reason.",
    tag: "containers",
    roles: SELLERS,
    params: S.idParams,
    body: S.reason,
    status: 202,
    response: R.suspended,
    responseDescription: "the stop operation (null if none was needed) and the container",
    errors: [404, 409],
    async run({ ctx, params, body }) {
      const op = await suspendContainer(ctx, await loadContainer(ctx, params.id), { reason: body.reason });
      return { operationId: op?.id ?? null, container: await shownContainer(ctx, params.id) };
    },
  }),
  route({
    method: "POST",
    path: `${C}/unsuspend`,
    operationId: "unsuspendContainer",
    summary: "Unsuspend a container: it is running again if it was running",
    tag: "containers",
    roles: SELLERS,
    params: S.idParams,
    body: S.empty,
    status: 202,
    response: R.suspended,
    responseDescription: "the start operation (null if none was needed) and the container",
    errors: [404, 409],
    async run({ ctx, params }) {
      const op = await unsuspendContainer(ctx, await loadContainer(ctx, params.id));
      return { operationId: op?.id ?? null, container: await shownContainer(ctx, params.id) };
    },
  }),
  route({
    method: "POST",
    path: `${C}/plan`,
    operationId: "changePlan",
    summary: "Move a container to another plan (limits applied live when it runs)",
    tag: "containers",
    roles: SELLERS,
    params: S.idParams,
    body: S.plan,
    status: 200,
    response: R.planChanged,
    responseDescription: "the container on its new plan",
    errors: [404, 409],
    async run({ ctx, params, body }) {
      const r = await changePlan(ctx, await loadContainer(ctx, params.id), body.planId);
      return { container: await shownContainer(ctx, params.id), appliedLive: r.appliedLive };
    },
  }),
  route({
    method: "POST",
    path: `${C}/reset-password`,
    operationId: "resetRootPassword",
    summary: "Set a new random root password and return it (once)",
    tag: "containers",
    roles: ANY_ROLE,
    params: S.idParams,
    body: S.empty,
    status: 200,
    response: R.password,
    responseDescription: "the new password",
    errors: [404, 409],
    async run({ ctx, params }) {
      return { password: await generateRootPassword(ctx, await loadContainer(ctx, params.id)) };
    },
  }),
  route({
    method: "POST",
    path: `${C}/reinstall`,
    operationId: "reinstallContainer",
    summary: "Reinstall from a template (default: its current one); erases its files",
    tag: "containers",
    roles: ANY_ROLE,
    params: S.idParams,
    body: S.reinstall,
    status: 202,
    response: R.operationStarted,
    responseDescription: "the reinstall operation",
    errors: [404, 409],
    async run({ ctx, params, body }) {
      const c = await loadContainer(ctx, params.id);
      const op = await reinstallContainer(ctx, c, body.template ?? c.template, false);
      return { operationId: op.id };
    },
  }),
  route({
    method: "DELETE",
    path: C,
    operationId: "terminateContainer",
    summary: "Terminate: destroy the container and its backups (an operation); nothing is left",
    tag: "containers",
    roles: SELLERS,
    params: S.idParams,
    status: 202,
    response: R.operationStarted,
    responseDescription: "the destroy operation",
    errors: [404, 409],
    async run({ ctx, params }) {
      const op = await terminateContainer(ctx, await loadContainer(ctx, params.id));
      return { operationId: op.id };
    },
  }),
  route({
    method: "GET",
    path: `${C}/usage`,
    operationId: "containerUsage",
    summary: "Usage of a period (CPU core-hours, RAM and disk averages, I/O and network bytes)",
    tag: "containers",
    roles: ANY_ROLE,
    params: S.idParams,
    query: S.period,
    status: 200,
    response: R.usage,
    responseDescription: "the totals from the hourly samples",
    errors: [404],
    async run({ ctx, params, query }) {
      const c = await loadContainer(ctx, params.id);
      const p = period(query);
      const end = new Date(Date.parse(`${p.to}T00:00:00Z`) + 86_400_000);
      const usage = await containerUsage(ctx.db, c, new Date(`${p.from}T00:00:00Z`), end);
      return { containerId: c.id, ...p, usage };
    },
  }),
  route({
    method: "GET",
    path: `${C}/traffic`,
    operationId: "containerTraffic",
    summary: "Traffic of a period: bytes per UTC day and in total (rx = received by the container)",
    tag: "containers",
    roles: ANY_ROLE,
    params: S.idParams,
    query: S.period,
    status: 200,
    response: R.traffic,
    responseDescription: "days with traffic and the totals",
    errors: [404],
    async run({ ctx, params, query }) {
      const c = await loadContainer(ctx, params.id);
      const p = period(query);
      return { containerId: c.id, ...p, ...(await containerTraffic(ctx.db, c, p.from, p.to)) };
    },
  }),
];
