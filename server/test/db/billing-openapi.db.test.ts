/**
 * The billing API's OpenAPI document is valid OpenAPI 3.1 (@seriousme/openapi-schema-validator), covers the
 * route table, and every documented route answers as documented against the fake engine: its documented
 * success status with a body of its response schema, 401 without a token, 404 for an unknown id where
 * documented, and errors in the documented error shape.
 */
import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { openApiDocument } from "../../api/v1/openapi.js";
import { ROUTES } from "../../api/v1/routes.js";
import { errorSchema } from "../../api/v1/schemas.js";
import { apiAs, apiWith, type Api } from "../helpers/api.js";
import { PROVIDERS } from "../helpers/db.js";
import { type World, useWorld, waitForAllOperations } from "../helpers/world.js";

type Doc = { paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>> };

function documented(method: string, path: string) {
  const op = (openApiDocument() as unknown as Doc).paths[path]?.[method.toLowerCase()];
  if (!op) throw new Error(`${method} ${path} is not in the document`);
  return op;
}

const toPath = (template: string, id: string) => template.replace("{id}", encodeURIComponent(id));

describe("the OpenAPI document", () => {
  it("is valid OpenAPI 3.1 and documents every route of the table once", async () => {
    const doc = openApiDocument();
    const v = new Validator();
    const r = await v.validate(structuredClone(doc));
    expect(r.errors ?? []).toEqual([]);
    expect(r.valid).toBe(true);
    expect(v.version).toBe("3.1");
    const ids = ROUTES.map((x) => x.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const x of ROUTES) {
      const op = documented(x.method, x.path);
      expect(op.operationId).toBe(x.operationId);
      expect(Object.keys(op.responses)).toContain(String(x.status));
    }
  });
});

describe.each(PROVIDERS)("every documented route answers as documented on %s", (provider) => {
  let w: World;
  useWorld(provider, (x) => ({ w } = x));

  it("GET /openapi.json is public and is the document", async () => {
    const r = await apiWith(w.db, null)("GET", "/openapi.json");
    expect(r.status).toBe(200);
    expect(r.body).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
  });

  it("anonymous calls get 401 and unknown ids 404, in the documented error shape", async () => {
    const admin = await apiAs(w, "admin");
    for (const x of ROUTES) {
      const path = toPath(x.path, "no-such-id");
      const body = x.body ? {} : undefined;
      const anon = await apiWith(w.db, null)(x.method, path, body);
      expect(anon.status, `${x.method} ${x.path}`).toBe(401);
      expect(errorSchema.safeParse(anon.body).success).toBe(true);
      if (!x.path.includes("{id}")) continue;
      const doc = documented(x.method, x.path);
      expect(Object.keys(doc.responses), x.path).toContain("404");
      // a valid body where one is needed: the unknown id is what is refused
      const valid: Record<string, unknown> = {
        suspendContainer: { reason: "x" },
        suspendCustomer: { reason: "x" },
        changePlan: { planId: w.platformPlan.id },
        reinstallContainer: { confirm: true },
      };
      const r = await admin(x.method, path, x.body ? (valid[x.operationId] ?? {}) : undefined);
      expect([r.status, r.body.error?.code], `${x.method} ${x.path}`).toEqual([404, "NOT_FOUND"]);
      expect(errorSchema.safeParse(r.body).success).toBe(true);
    }
  });

  it("each route's success: the documented status and a body of its response schema", async () => {
    const reseller = await apiAs(w, "resellerA");
    const admin = await apiAs(w, "admin");
    const customer = await apiAs(w, "customerA1");
    const own = w.a.customers[0]!;
    const covered = new Set<string>();
    const check = async (api: Api, operationId: string, id: string | null, body?: unknown, query = "") => {
      const x = ROUTES.find((r) => r.operationId === operationId)!;
      const r = await api(x.method, toPath(x.path, id ?? "") + query, body);
      expect(r.status, `${operationId}: ${JSON.stringify(r.body)}`).toBe(x.status);
      expect(Object.keys(documented(x.method, x.path).responses)).toContain(String(r.status));
      const parsed = x.response.safeParse(r.body);
      expect(parsed.success, `${operationId}: ${parsed.error?.message}`).toBe(true);
      covered.add(operationId);
      await waitForAllOperations();
      return r.body;
    };
    await check(reseller, "listPlans", null);
    const made = await check(reseller, "createCustomer", null, { name: "Doc", email: "doc@test.example" });
    const cid = made.customer.id as string;
    await check(reseller, "listCustomers", null, undefined, "?externalId=none");
    await check(reseller, "getCustomer", cid);
    await check(reseller, "customerSsoLink", cid, {});
    const ct = await check(reseller, "createContainer", null, {
      customerId: cid,
      planId: w.a.plan.id,
      hostname: "doc.test",
      template: "busybox",
      externalId: "doc-1",
    });
    const id = ct.container.id as string;
    await check(reseller, "listContainers", null, undefined, `?customerId=${cid}`);
    await check(customer, "listContainers", null);
    await check(reseller, "getContainer", id);
    await check(reseller, "getOperation", ct.operationId);
    await check(reseller, "suspendContainer", id, { reason: "overdue" });
    await check(reseller, "unsuspendContainer", id, {});
    await check(reseller, "suspendCustomer", cid, { reason: "overdue" });
    await check(reseller, "unsuspendCustomer", cid, {});
    await check(reseller, "changePlan", id, { planId: w.a.plan.id });
    await check(customer, "resetRootPassword", own.container.id, {});
    await check(customer, "containerUsage", own.container.id, undefined, "?from=2026-01-01&to=2026-01-31");
    await check(customer, "containerTraffic", own.container.id);
    await check(customer, "reinstallContainer", own.container.id, { confirm: true });
    await check(admin, "getSuspendMode", null);
    await check(admin, "setSuspendMode", null, { mode: "stop" });
    await check(reseller, "terminateContainer", id);
    expect([...covered].sort()).toEqual(ROUTES.map((r) => r.operationId).sort());
  });
});
