/** Billing API v1: customers (a tenant with its first user), their suspension and single sign-on links. */
import { createCustomer } from "../../services/billing.js";
import { createSsoLink } from "../../services/sso.js";
import { suspendTenant, unsuspendTenant } from "../../services/suspension.js";
import { route, SELLERS, type ApiRoute } from "./route.js";
import { R, S } from "./schemas.js";
import { customerView, loadCustomer } from "./views.js";
import { tenantsOf } from "../../services/scope.js";

export const customerRoutes: ApiRoute[] = [
  route({
    method: "POST",
    path: "/customers",
    operationId: "createCustomer",
    summary: "Create a customer (a tenant and its user) under the caller",
    description:
      "A reseller's customers belong to it; an admin's to the platform or to `resellerId`. Without a password the " +
      "user logs in through single sign-on links only. Send an Idempotency-Key to make retries safe.",
    tag: "customers",
    roles: SELLERS,
    body: S.customerCreate,
    idempotent: true,
    status: 201,
    response: R.customerCreated,
    responseDescription: "the customer and its user",
    errors: [404, 409],
    async run({ ctx, body }) {
      const { tenant, user } = await createCustomer(ctx, body);
      return { customer: customerView(tenant), user: { id: user.id, email: user.email } };
    },
  }),
  route({
    method: "GET",
    path: "/customers",
    operationId: "listCustomers",
    summary: "List the caller's customers, optionally by external id",
    tag: "customers",
    roles: SELLERS,
    query: S.externalFilter,
    status: 200,
    response: R.customers,
    responseDescription: "the customers (at most 1000, oldest first)",
    async run({ ctx, query }) {
      const rows = await ctx.db.tenant.findMany({
        where: {
          AND: [{ kind: "customer" }, tenantsOf(ctx.actor)],
          ...(query.externalId ? { externalId: query.externalId } : {}),
        },
        orderBy: { createdAt: "asc" },
        take: 1000,
      });
      return { customers: rows.map(customerView) };
    },
  }),
  route({
    method: "GET",
    path: "/customers/{id}",
    operationId: "getCustomer",
    summary: "One customer",
    tag: "customers",
    roles: SELLERS,
    params: S.idParams,
    status: 200,
    response: R.customer,
    responseDescription: "the customer",
    errors: [404],
    async run({ ctx, params }) {
      return { customer: customerView(await loadCustomer(ctx, params.id)) };
    },
  }),
  route({
    method: "POST",
    path: "/customers/{id}/suspend",
    operationId: "suspendCustomer",
    summary: "Suspend a customer: every container of it is suspended",
    description:
      "Its users still log in and see the reason. Containers busy with another operation are listed in `failed`; " +
      "call again once those ended.",
    tag: "customers",
    roles: SELLERS,
    params: S.idParams,
    body: S.reason,
    status: 200,
    response: R.tenantResult,
    responseDescription: "the customer and the stop operation of each container",
    errors: [404, 409],
    async run({ ctx, params, body }) {
      const r = await suspendTenant(ctx, await loadCustomer(ctx, params.id), body.reason);
      return { customer: customerView(await loadCustomer(ctx, params.id)), ...pairs(r) };
    },
  }),
  route({
    method: "POST",
    path: "/customers/{id}/unsuspend",
    operationId: "unsuspendCustomer",
    summary: "Unsuspend a customer and the containers its suspension suspended",
    tag: "customers",
    roles: SELLERS,
    params: S.idParams,
    body: S.empty,
    status: 200,
    response: R.tenantResult,
    responseDescription: "the customer and the start operation of each container",
    errors: [404, 409],
    async run({ ctx, params }) {
      const r = await unsuspendTenant(ctx, await loadCustomer(ctx, params.id));
      return { customer: customerView(await loadCustomer(ctx, params.id)), ...pairs(r) };
    },
  }),
  route({
    method: "POST",
    path: "/customers/{id}/sso",
    operationId: "customerSsoLink",
    summary: "A one-time single sign-on link into the panel for the customer",
    description: "The link logs the customer's user in once, within 5 minutes; send the browser there.",
    tag: "customers",
    roles: SELLERS,
    params: S.idParams,
    body: S.sso,
    status: 201,
    response: R.sso,
    responseDescription: "the link and when it expires",
    errors: [404, 409],
    async run({ ctx, params, body }) {
      const l = await createSsoLink(ctx, await loadCustomer(ctx, params.id), body);
      return { url: ctx.origin + l.path, expiresAt: l.expiresAt.toISOString() };
    },
  }),
];

function pairs(r: Awaited<ReturnType<typeof suspendTenant>>) {
  return { containers: r.operations, failed: r.failed };
}
