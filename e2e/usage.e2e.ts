/**
 * Usage history end to end, in Chromium against the real engine and the panel's sampler (every 2 s in
 * this stack, OVZ_USAGE_INTERVAL_SEC): the admin makes a plan, a pool, a customer and its container → a
 * busy loop runs inside → the customer sees the CPU graph fill with points and a non-zero value, the
 * other graphs and the beancounters table → the admin sees the tenant on the Usage page → the admin
 * destroys the container and deletes the pool.
 */
import { expect, test, type Browser, type Page } from "@playwright/test";
import { EngineClient } from "../native/src/protocol/client.js";
import {
  createContainer,
  createCustomer,
  createPlan,
  createPool,
  deletePool,
  destroyContainer,
  login,
  openTab,
  shot,
  tabUrl,
  uniq,
  waitForOperation,
} from "./helpers.js";
import { ADMIN, readState } from "./stack.js";

test.describe.configure({ mode: "serial" });

const customer = {
  name: uniq("UsageCustomer"),
  email: `${uniq("usagecust")}@e2e.test`,
  password: "usage-customer-password-1",
};
const planName = uniq("usageplan");
const poolName = uniq("usagepool");
const POOL = { cidr: "198.18.205.0/24", first: "198.18.205.10", last: "198.18.205.19" };
const hostname = `${uniq("usage")}.e2e.test`;
let containerUrl = "";
let ctid = 0;

async function newPage(browser: Browser): Promise<Page> {
  return (await browser.newContext()).newPage();
}

test("the admin makes a plan, a pool and a customer's running container", async ({ browser }) => {
  const page = await newPage(browser);
  await login(page, ADMIN.email, ADMIN.password);
  await createPlan(page, planName);
  await createPool(page, poolName, POOL, 10);

  await createCustomer(page, { ...customer, userName: "Usage Customer" });

  ({ url: containerUrl, ctid } = await createContainer(page, { customer: customer.name, plan: planName, hostname }));
  // not started yet: a readable empty state instead of empty charts
  await openTab(page, "Resources");
  await expect(page.getByTestId("usage-empty")).toContainText("No usage recorded");
  await page.getByRole("button", { name: "Start", exact: true }).click();
  await waitForOperation(page, "start");
});

test("under CPU load the customer sees the CPU graph with data points and a non-zero value", async ({ browser }) => {
  const engine = new EngineClient(readState().engine.socket);
  try {
    // a busy loop for 60 s in the background (the destroy at the end ends it in any case)
    const r = await engine.call("container.exec", {
      ctid,
      argv: ["sh", "-c", "timeout 60 sh -c 'while :; do :; done' </dev/null >/dev/null 2>&1 &"],
    });
    expect(r.code).toBe(0);
  } finally {
    engine.close();
  }
  const page = await newPage(browser);
  await login(page, customer.email, customer.password);
  await page.goto(tabUrl(containerUrl, "Resources"));
  const graphs = page.getByTestId("usage-graphs");
  await expect(graphs.getByRole("heading", { name: /^CPU/ })).toBeVisible();
  const cpu = page.getByTestId("usage-cpu");
  const points = async () => Number((await cpu.getAttribute("data-points")) ?? 0);
  // the graph refreshes itself at the sample interval: more than two points, and the load shows
  await expect.poll(points, { timeout: 60_000 }).toBeGreaterThan(2);
  await expect
    .poll(async () => Number((await cpu.getAttribute("data-max")) ?? 0), { timeout: 30_000 })
    .toBeGreaterThan(50);
  await expect(cpu.locator("canvas")).toHaveCount(1);
  for (const id of ["usage-ram", "usage-io", "usage-net"])
    expect(Number(await page.getByTestId(id).getAttribute("data-points"))).toBeGreaterThan(2);
  await expect(graphs.getByRole("heading", { name: "RAM" })).toBeVisible();
  // the RAM graph draws the plan's limit (128M) as a line of its own
  await expect(page.getByTestId("usage-ram")).toContainText("limit");
  await shot(page, "customer-usage-graphs");

  // another range: the same samples (the 24 h range uses the same fine tier)
  await graphs.getByRole("button", { name: "24 hours" }).click();
  await expect(graphs.getByRole("button", { name: "24 hours" })).toHaveAttribute("aria-pressed", "true");
  await expect.poll(points).toBeGreaterThan(2);

  // the beancounters: a table with resource, held, max held, limit and fail count
  const bc = page.getByRole("table", { name: "Beancounters" });
  await expect(bc.getByRole("columnheader", { name: "Fail count" })).toBeVisible();
  await expect(bc.getByTestId("bc-memory")).toContainText("RAM");
  await expect(bc.getByTestId("bc-numproc")).toBeVisible();
});

test("the admin sees the tenant's totals on the Usage page", async ({ browser }) => {
  const page = await newPage(browser);
  await login(page, ADMIN.email, ADMIN.password);
  await page.getByRole("link", { name: "Usage", exact: true }).click();
  await expect(page).toHaveURL(/\/usage$/);
  const row = page.getByTestId(`usage-${customer.name}`);
  await expect(row).toBeVisible();
  await expect(row.getByRole("button", { name: new RegExp(customer.name) })).toBeVisible();
  await row.getByRole("button", { name: new RegExp(customer.name) }).click();
  const today = new Date().toISOString().slice(0, 10);
  await expect(page.getByTestId(`usage-${customer.name}-${today}`)).toBeVisible();
  await shot(page, "admin-usage");
});

test("the admin destroys the container and deletes the pool", async ({ browser }) => {
  const page = await newPage(browser);
  await login(page, ADMIN.email, ADMIN.password);
  await destroyContainer(page, containerUrl, hostname);
  await deletePool(page, poolName);
});
