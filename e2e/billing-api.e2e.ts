/**
 * The billing API end to end: the reference billing module (scripts/billing/ovz-billing.ts) drives the real
 * stack over HTTP with an admin's API token — provisions a customer and a container, sends the customer in
 * through a single sign-on link (Chromium lands in the customer's panel), suspends (the container is stopped
 * on the engine, the customer sees the reason, its Start is disabled and refused), unsuspends (running again), changes
 * the plan (the new RAM limit read back from the container's cgroup) and terminates (nothing left on the engine
 * or in the panel).
 */
import { expect, test, type Page } from "@playwright/test";
import { EngineClient } from "../native/src/protocol/client.js";
import { OvzBilling } from "../scripts/billing/ovz-billing.js";
import { createPlan, createPool, deletePool, login, shot, uniq } from "./helpers.js";
import { ADMIN, readState } from "./stack.js";

test.describe.configure({ mode: "serial" });

const MiB = 1024 * 1024;
const planName = uniq("billplan");
const bigPlanName = uniq("billbig");
const poolName = uniq("billpool");
const POOL = { cidr: "198.18.207.0/24", first: "198.18.207.10", last: "198.18.207.19" };
const service = uniq("service");
const hostname = `${uniq("billing")}.e2e.test`;
const REASON = "Invoice 1001 is overdue";

let billing: OvzBilling;
let containerId = "";
let customerId = "";
let ctid = 0;

/** An API token of the logged-in user, made through the panel's own tRPC call (the Account page's). */
async function apiToken(page: Page): Promise<string> {
  const r = await page.request.post("/api/trpc/tokens.create", { data: { json: { name: uniq("billing") } } });
  expect(r.status()).toBe(200);
  return ((await r.json()) as { result: { data: { json: { token: string } } } }).result.data.json.token;
}

async function planId(name: string): Promise<string> {
  const { plans } = await billing.plans();
  const p = plans.find((x) => x.name === name);
  if (!p) throw new Error(`no plan ${name}`);
  return p.id;
}

test("the module provisions a customer and its container with the admin's token", async ({ browser }) => {
  const page = await (await browser.newContext()).newPage();
  await login(page, ADMIN.email, ADMIN.password);
  await createPlan(page, planName);
  await createPlan(page, bigPlanName);
  await createPool(page, poolName, POOL, 10);
  billing = new OvzBilling({ url: readState().baseURL, token: await apiToken(page), pollMs: 500 });
  const order = {
    clientId: uniq("client"),
    name: uniq("BillingCustomer"),
    email: `${uniq("billcust")}@e2e.test`,
    serviceId: service,
    planId: await planId(planName),
    hostname,
    template: "busybox",
  };
  const p = await billing.provision(order);
  expect(p.container).toMatchObject({ hostname, externalId: service, state: "stopped" });
  expect(p.rootPassword).toHaveLength(20);
  // the billing system's retry makes nothing twice
  expect((await billing.provision(order)).container.id).toBe(p.container.id);
  expect((await billing.findContainers(service)).containers).toHaveLength(1);
  ({ id: containerId, ctid } = p.container);
  customerId = p.customer.id;
});

test("a single sign-on link opens the customer's panel once; the customer starts the container", async ({
  browser,
}) => {
  const link = await billing.sso(customerId, `/containers/${containerId}`);
  const page = await (await browser.newContext()).newPage();
  await page.goto(link.url);
  await expect(page).toHaveURL(new RegExp(`/containers/${containerId}$`));
  await expect(page.getByRole("heading", { name: hostname })).toBeVisible();
  await page.getByRole("button", { name: "Start", exact: true }).click();
  await expect(page.getByTestId("container-state")).toHaveText(/running/, { timeout: 120_000 });
  // a second use of the link is refused
  const again = await (await browser.newContext()).newPage();
  const res = await again.goto(link.url);
  expect(res?.status()).toBe(401);
  await expect(again.locator("body")).toContainText("already used or has expired");
});

test("suspend: stopped on the engine, the customer sees why and cannot start it; unsuspend runs it again", async ({
  browser,
}) => {
  const engine = new EngineClient(readState().engine.socket);
  try {
    const s = await billing.suspend(containerId, REASON);
    await billing.wait(s.operationId);
    expect((await engine.call("container.status", { ctid })).state).toBe("stopped");

    const page = await (await browser.newContext()).newPage();
    await page.goto((await billing.sso(customerId, `/containers/${containerId}`)).url);
    await expect(page.getByTestId("suspension-banner")).toContainText(REASON);
    await expect(page.getByTestId("suspension-notice")).toContainText(REASON);
    // Start is disabled with the reason as its title; the server refuses the call itself too
    const start = page.getByRole("button", { name: "Start", exact: true });
    await expect(start).toBeDisabled();
    await expect(start).toHaveAttribute("title", new RegExp(REASON));
    const refused = await page.request.post("/api/trpc/containers.start", { data: { json: { containerId } } });
    expect(refused.status()).toBe(409);
    expect(await refused.text()).toContain(REASON);
    await shot(page, "billing-suspended");
    expect((await engine.call("container.status", { ctid })).state).toBe("stopped");

    await billing.wait((await billing.unsuspend(containerId)).operationId);
    expect((await engine.call("container.status", { ctid })).state).toBe("running");
    await page.reload();
    await expect(page.getByTestId("container-state")).toHaveText(/running/);
    await expect(page.getByTestId("suspension-notice")).toHaveCount(0);
    await expect(page.getByTestId("suspension-banner")).toHaveCount(0);
  } finally {
    engine.close();
  }
});

test("a plan change reaches the running container's cgroup; terminate leaves nothing", async ({ browser }) => {
  const engine = new EngineClient(readState().engine.socket);
  try {
    const before = (await engine.call("container.limits", { ctid })).cgroup?.ram;
    expect(before).toBe(128 * MiB);
    // the second plan, raised to 192M RAM through the panel's own call (the plans page's)
    const page = await (await browser.newContext()).newPage();
    await login(page, ADMIN.email, ADMIN.password);
    const big = await planId(bigPlanName);
    const up = await page.request.post("/api/trpc/plans.update", {
      data: { json: { planId: big, limits: { ram: 192 * MiB } } },
    });
    expect(up.status()).toBe(200);
    const r = await billing.changePlan(containerId, big);
    expect(r.appliedLive).toBe(true);
    expect((await engine.call("container.limits", { ctid })).cgroup?.ram).toBe(192 * MiB);

    const t = await billing.terminate(containerId);
    await billing.wait(t.operationId);
    await expect(engine.call("container.status", { ctid })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect((await billing.findContainers(service)).containers).toEqual([]);
    await deletePool(page, poolName);
  } finally {
    engine.close();
  }
});
