/**
 * The reference billing module (scripts/billing/ovz-billing.ts) drives a whole lifecycle through the billing
 * API: its HTTP requests go into the API's handler (handleApi) instead of a socket. The e2e story
 * (e2e/billing-api.e2e.ts) runs it against the running panel.
 */
import { describe, expect, it } from "vitest";
import { handleApi } from "../../api/v1/http.js";
import { ssoLogin } from "../../http/sso.js";
import { BillingApiError, OvzBilling } from "../../../scripts/billing/ovz-billing.js";
import { PROVIDERS } from "../helpers/db.js";
import { expectCode } from "../helpers/expect.js";
import { as, caller, fakeEngine, type World, useWorld, waitForAllOperations } from "../helpers/world.js";

describe.each(PROVIDERS)("the reference billing module on %s", (provider) => {
  let w: World;
  useWorld(provider, (x) => ({ w } = x));

  it("provisions, suspends, unsuspends, changes plan, signs in and terminates", async () => {
    const { token } = await as(w, "resellerA").tokens.create({ name: "billing" });
    const billing = new OvzBilling({
      url: "http://panel.test/",
      token,
      pollMs: 5,
      fetch: async (url, init) => {
        const res = await handleApi(new Request(url, init), w.db);
        await waitForAllOperations();
        return res;
      },
    });
    const order = {
      clientId: "client-100",
      name: "Acme",
      email: "acme@test.example",
      serviceId: "service-500",
      planId: w.a.plan.id,
      hostname: "acme.test",
      template: "busybox",
    };
    const p = await billing.provision(order);
    expect(p.container).toMatchObject({ externalId: "service-500", state: "stopped", suspension: null });
    expect(p.rootPassword).toHaveLength(20);
    // a retried provisioning (the billing system's cron ran twice) makes nothing new
    const again = await billing.provision(order);
    expect(again.container.id).toBe(p.container.id);
    expect(await w.db.container.count({ where: { externalId: "service-500" } })).toBe(1);
    expect(await w.db.tenant.count({ where: { externalId: "client-100" } })).toBe(1);
    const id = p.container.id;
    const ctid = p.container.ctid;

    const customer = await w.db.user.findUniqueOrThrow({ where: { email: "acme@test.example" } });
    const owner = as(w, "customerA1");
    const ownerActor = { ...w.actors.customerA1, userId: customer.id, tenantId: p.customer.id, label: customer.email };
    const self = caller(w.db, ownerActor);
    await self.containers.start({ containerId: id });
    await waitForAllOperations();

    const s = await billing.suspend(id, "Invoice 77 unpaid");
    await billing.wait(s.operationId);
    expect((await fakeEngine().call("container.status", { ctid })).state).toBe("stopped");
    const refused = await expectCode(() => self.containers.start({ containerId: id }), "CONFLICT");
    expect(refused.message).toContain("Invoice 77 unpaid");
    await expectCode(() => owner.containers.get({ containerId: id }), "NOT_FOUND");
    await billing.wait((await billing.unsuspend(id)).operationId);
    expect((await fakeEngine().call("container.status", { ctid })).state).toBe("running");

    const bigger = await as(w, "resellerA").plans.create({
      name: "module-big",
      limits: { ...JSON.parse(w.a.plan.limits), ram: 384 * 1024 * 1024 },
      bandwidthMbps: 0,
      ipCount: 1,
      templates: ["busybox"],
    });
    const changed = await billing.changePlan(id, bigger.id);
    expect(changed).toMatchObject({ appliedLive: true, container: { planId: bigger.id } });
    // read back as the running container's cgroup has it (live)
    expect((await fakeEngine().call("container.limits", { ctid })).cgroup?.ram).toBe(384 * 1024 * 1024);

    const link = await billing.sso(p.customer.id);
    const tok = new URL(link.url).pathname.split("/").pop()!;
    expect((await ssoLogin(new Request(link.url), tok, w.db)).status).toBe(303);
    expect((await ssoLogin(new Request(link.url), tok, w.db)).status).toBe(401);

    await billing.wait((await billing.terminate(id)).operationId);
    expect((await billing.findContainers("service-500")).containers).toEqual([]);
    await expect(fakeEngine().call("container.status", { ctid })).rejects.toMatchObject({ code: "NOT_FOUND" });
    const gone = await billing.container(id).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(BillingApiError);
    expect(gone).toMatchObject({ status: 404, code: "NOT_FOUND" });
  });
});
