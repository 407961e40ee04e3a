/**
 * Suspension from the panel, in Chromium against the real stack: the admin suspends a customer's running
 * container with a reason on its Settings tab (stopped on the engine, the notice shows the reason); the customer,
 * logged in, reads the reason in the banner and the notice and finds Start disabled with the reason as its title;
 * the admin unsuspends (running again). Then the whole customer is suspended and unsuspended from the Tenants
 * page.
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
  uniq,
  waitForOperation,
} from "./helpers.js";
import { ADMIN, readState } from "./stack.js";

test.describe.configure({ mode: "serial" });

const customer = {
  name: uniq("SuspCustomer"),
  email: `${uniq("suspcust")}@e2e.test`,
  password: "susp-customer-pass-1",
};
const planName = uniq("suspplan");
const poolName = uniq("susppool");
const POOL = { cidr: "198.18.210.0/24", first: "198.18.210.10", last: "198.18.210.19" };
const hostname = `${uniq("susp")}.e2e.test`;
const REASON = "Invoice 3003 is overdue";
const TENANT_REASON = "Account 77 is closed for review";
let url = "";
let ctid = 0;

async function loggedIn(browser: Browser, email: string, password: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await login(page, email, password);
  return page;
}

async function engineState(): Promise<string> {
  const engine = new EngineClient(readState().engine.socket);
  try {
    return (await engine.call("container.status", { ctid })).state;
  } finally {
    engine.close();
  }
}

test("set-up: a customer's running container", async ({ browser }) => {
  const page = await loggedIn(browser, ADMIN.email, ADMIN.password);
  await createPlan(page, planName);
  await createPool(page, poolName, POOL, 10);
  await createCustomer(page, customer);
  ({ url, ctid } = await createContainer(page, { customer: customer.name, plan: planName, hostname }));
  await page.getByRole("button", { name: "Start", exact: true }).click();
  await expect(page.getByTestId("container-state")).toHaveText(/running/, { timeout: 120_000 });
});

test("the admin suspends the container with a reason: stopped, with the notice", async ({ browser }) => {
  const page = await loggedIn(browser, ADMIN.email, ADMIN.password);
  await page.goto(url);
  await openTab(page, "Settings");
  const suspend = page.getByRole("button", { name: "Suspend", exact: true });
  // the reason is required: the button waits for it
  await expect(suspend).toBeDisabled();
  await page.getByLabel("Reason").fill(REASON);
  await suspend.click();
  await waitForOperation(page, "stop");
  await expect(page.getByTestId("container-state")).toHaveText(/stopped/);
  await expect(page.getByTestId("suspension-notice")).toContainText(REASON);
  await expect(page.getByTestId("suspend-reason")).toContainText(REASON);
  await expect(page.getByRole("button", { name: "Start", exact: true })).toBeDisabled();
  expect(await engineState()).toBe("stopped");
});

test("the customer reads the reason and cannot start it", async ({ browser }) => {
  const page = await loggedIn(browser, customer.email, customer.password);
  await expect(page.getByTestId("suspension-banner")).toContainText(REASON);
  await page.goto(url);
  await expect(page.getByTestId("suspension-notice")).toContainText(REASON);
  const start = page.getByRole("button", { name: "Start", exact: true });
  await expect(start).toBeDisabled();
  await expect(start).toHaveAttribute("title", new RegExp(REASON));
  // a customer is offered no suspend or unsuspend
  await openTab(page, "Settings");
  await expect(page.getByRole("button", { name: /^(Suspend|Unsuspend)$/ })).toHaveCount(0);
  await shot(page, "seller-suspend-customer");
  expect(await engineState()).toBe("stopped");
});

test("the admin unsuspends: running again", async ({ browser }) => {
  const page = await loggedIn(browser, ADMIN.email, ADMIN.password);
  await page.goto(url);
  await openTab(page, "Settings");
  await page.getByRole("button", { name: "Unsuspend", exact: true }).click();
  await waitForOperation(page, "start");
  await expect(page.getByTestId("container-state")).toHaveText(/running/);
  await expect(page.getByTestId("suspension-notice")).toHaveCount(0);
  expect(await engineState()).toBe("running");
});

test("the admin suspends and unsuspends the whole customer on the Tenants page", async ({ browser }) => {
  const page = await loggedIn(browser, ADMIN.email, ADMIN.password);
  await page.goto("/tenants");
  const row = page.locator("tbody tr", { hasText: customer.name });
  await row.getByRole("button", { name: `Suspend ${customer.name}` }).click();
  await row.getByLabel(`Reason to suspend ${customer.name}`).fill(TENANT_REASON);
  await row.getByRole("button", { name: "Suspend customer" }).click();
  await expect(row.getByTestId("tenant-suspension")).toContainText(TENANT_REASON);
  await expect.poll(engineState, { timeout: 120_000 }).toBe("stopped");
  await page.goto(url);
  await expect(page.getByTestId("suspension-notice")).toContainText(TENANT_REASON);
  // the container's own Unsuspend would be refused: the page says where the suspension is lifted instead
  await openTab(page, "Settings");
  await expect(page.getByTestId("suspend-by-customer")).toContainText(TENANT_REASON);
  await expect(page.getByRole("button", { name: "Unsuspend", exact: true })).toHaveCount(0);

  await page.goto("/tenants");
  await row.getByRole("button", { name: `Unsuspend ${customer.name}` }).click();
  await expect(row.getByTestId("tenant-suspension")).toHaveCount(0);
  await expect.poll(engineState, { timeout: 120_000 }).toBe("running");
});

test("clean-up: the container and the pool", async ({ browser }) => {
  const page = await loggedIn(browser, ADMIN.email, ADMIN.password);
  await destroyContainer(page, url, hostname);
  await deletePool(page, poolName);
});
