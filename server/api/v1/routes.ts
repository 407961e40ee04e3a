/** The billing API's (v1) route table: dispatch (http.ts) and the OpenAPI document (openapi.ts) both read it. */
import { PanelError } from "../../errors.js";
import { canSeeTenant } from "../../services/scope.js";
import { setSuspendMode, suspendMode } from "../../services/suspension.js";
import { customerRoutes } from "./routes-customers.js";
import { containerRoutes } from "./routes-containers.js";
import { ANY_ROLE, route, SELLERS, type ApiRoute } from "./route.js";
import { R, S } from "./schemas.js";
import { operationView, planView } from "./views.js";

const otherRoutes: ApiRoute[] = [
  route({
    method: "GET",
    path: "/operations/{id}",
    operationId: "getOperation",
    summary: "An operation (create, suspend, reinstall, terminate, …): poll it until it succeeded or failed",
    tag: "operations",
    roles: ANY_ROLE,
    params: S.idParams,
    status: 200,
    response: R.operation,
    responseDescription: "the operation",
    errors: [404],
    async run({ ctx, params }) {
      const o = await ctx.db.operation.findUnique({ where: { id: params.id } });
      if (!o || !canSeeTenant(ctx.scope, o.tenantId))
        throw new PanelError("NOT_FOUND", "No such operation (or not one of yours).");
      return { operation: operationView(o) };
    },
  }),
  route({
    method: "GET",
    path: "/plans",
    operationId: "listPlans",
    summary: "The plans the caller may sell (a reseller: its own and the platform's)",
    tag: "plans",
    roles: SELLERS,
    status: 200,
    response: R.plans,
    responseDescription: "the plans",
    async run({ ctx }) {
      const rows = await ctx.db.plan.findMany({
        where:
          ctx.actor.role === "admin"
            ? {}
            : { OR: [{ tenantId: ctx.actor.tenantId }, { tenant: { kind: "platform" } }] },
        orderBy: { name: "asc" },
      });
      return { plans: rows.map(planView) };
    },
  }),
  route({
    method: "GET",
    path: "/settings/suspension",
    operationId: "getSuspendMode",
    summary: "How containers are suspended: stop (default) or freeze",
    tag: "settings",
    roles: ["admin"],
    status: 200,
    response: R.suspendMode,
    responseDescription: "the mode",
    async run({ ctx }) {
      return { mode: await suspendMode(ctx.db) };
    },
  }),
  route({
    method: "PUT",
    path: "/settings/suspension",
    operationId: "setSuspendMode",
    summary: "Choose how containers are suspended from now on: stop or freeze",
    tag: "settings",
    roles: ["admin"],
    body: S.suspendMode,
    status: 200,
    response: R.suspendMode,
    responseDescription: "the mode",
    async run({ ctx, body }) {
      return { mode: await setSuspendMode(ctx, body.mode) };
    },
  }),
];

export const ROUTES: readonly ApiRoute[] = [...customerRoutes, ...containerRoutes, ...otherRoutes];

/** The route of a method and path below /api/v1, with its path parameters; "method" when only the method is wrong. */
export function matchRoute(
  method: string,
  path: string,
): { route: ApiRoute; params: Record<string, string> } | "method" | null {
  let pathMatched = false;
  for (const r of ROUTES) {
    const names: string[] = [];
    const re = new RegExp(
      "^" +
        r.path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{(\w+)\}/g, (_m, n: string) => {
          names.push(n);
          return "([^/]+)";
        }) +
        "/?$",
    );
    const m = re.exec(path);
    if (!m) continue;
    pathMatched = true;
    if (r.method !== method) continue;
    const params: Record<string, string> = {};
    names.forEach((n, i) => {
      try {
        params[n] = decodeURIComponent(m[i + 1]!);
      } catch {
        params[n] = m[i + 1]!;
      }
    });
    return { route: r, params };
  }
  return pathMatched ? "method" : null;
}
