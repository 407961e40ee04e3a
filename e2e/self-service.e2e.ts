/**
 * Customer self-service within quota on the real stack (engine, panel build, PostgreSQL; docs/self-service.md):
 * - the admin makes a plan whose customers may hold 3 containers with 300 MiB RAM in total (each has 128 MiB), a
 *   pool, a customer and its first container;
 * - the customer sees "Create container", the form shows the quota (1 of 3 containers, 128 of 300 MiB used), and
 *   it creates a second container; a third would need 384 MiB: refused with the sentence that says the numbers;
 * - the customer destroys its own container from the Settings tab.
 * axe finds nothing serious on the create form with the quota and the refusal shown.
 * The admin destroys the first container and deletes the pool and the plan (a platform plan that is self-service
 * lets every direct customer of the platform make containers: other specs' customers must not see it).
 */
import { expect, test, type Page } from "@playwright/test";
import {
  createContainer,
  createCustomer,
  createPool,
  deletePlan,
  deletePool,
  destroyContainer,
  login,
  shot,
  tabUrl,
  uniq,
  waitForOperation,
} from "./helpers.js";
import { ADMIN } from "./stack.js";
import { violations } from "./walk.js";

test.describe.configure({ mode: "serial" });

const customer = { name: uniq("SelfCust"), email: `${uniq("selfcust")}@e2e.test`, password: "self-customer-pw-1" };
const planName = uniq("selfplan");
const poolName = uniq("selfpool");
const POOL = { cidr: "198.18.214.0/24", first: "198.18.214.10", last: "198.18.214.19" };
const first = `${uniq("first")}.e2e.test`;
const mine = `${uniq("mine")}.e2e.test`;
let firstUrl = "";

/** Admin: a busybox plan (128M RAM, 512M disk, 1 vCPU) with a self-service quota. */
async function selfServicePlan(page: Page): Promise<void> {
  await page.goto("/plans");
  await page.getByLabel("Plan name").fill(planName);
  await page.getByLabel("RAM", { exact: true }).fill("128M");
  await page.getByLabel("Disk space", { exact: true }).fill("512M");
  await page.getByLabel("vCPUs", { exact: true }).fill("1");
  await page.getByRole("checkbox", { name: "busybox" }).check();
  const self = page.getByRole("group", { name: "Customer self-service" });
  await self.getByLabel("Self-service containers").fill("3");
  await self.getByLabel("Self-service RAM in total (MiB)").fill("300");
  await page.getByRole("button", { name: "Create plan" }).click();
  await expect(page.getByRole("cell", { name: planName, exact: true })).toBeVisible();
}

test("the admin makes a self-service plan, a pool, a customer and its first container", async ({ page }) => {
  await login(page, ADMIN.email, ADMIN.password);
  await selfServicePlan(page);
  await createPool(page, poolName, POOL, 10);
  await createCustomer(page, customer);
  ({ url: firstUrl } = await createContainer(page, { customer: customer.name, plan: planName, hostname: first }));
});

test("the customer creates its own container within the quota; beyond it a sentence says the numbers", async ({
  page,
}) => {
  await login(page, customer.email, customer.password);
  // the sidebar offers it too, to a customer with a self-service plan
  await expect(
    page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "New container" }),
  ).toBeVisible();
  await page.getByRole("link", { name: "Create container" }).click();
  await expect(page).toHaveURL(/\/containers\/new$/);
  await expect(
    page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "New container" }),
  ).toHaveAttribute("aria-current", "page");
  const form = page.getByRole("form", { name: "Create container" });
  await expect(form.getByLabel("Plan", { exact: true })).toHaveValue(/.+/);
  const quota = page.getByRole("region", { name: `Your quota on plan “${planName}”` });
  await expect(quota).toContainText("1 container of 3 used, 2 left; a new one needs 1");
  await expect(quota).toContainText("128 MiB RAM of 300 used, 172 left; a new one needs 128");
  await form.getByLabel("Hostname").fill(mine);
  await form.getByRole("button", { name: "Create container" }).click();
  await waitForOperation(page, "create");
  await expect(quota).toContainText("2 containers of 3 used, 1 left");
  await expect(quota).toContainText("256 MiB RAM of 300 used, 44 left; a new one needs 128 (not enough left)");

  await form.getByLabel("Hostname").fill(`${uniq("third")}.e2e.test`);
  await form.getByRole("button", { name: "Create container" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Quota exceeded" })).toContainText(
    `Refused: plan "${planName}" lets you hold 3 containers with 300 MiB RAM in total; you have 2 containers with ` +
      "256 MiB RAM; this one needs 128 MiB RAM. Over the quota: RAM.",
  );
  await expect(form.getByLabel("Plan", { exact: true })).toHaveAttribute("aria-invalid", "true");
  // the form with its quota and the refusal: nothing serious for axe (WCAG 2 A/AA)
  expect(await violations(page, "self-service create")).toEqual([]);
  await shot(page, "self-service-refused");
});

test("the customer destroys its own container", async ({ page }) => {
  await login(page, customer.email, customer.password);
  await page.getByRole("link", { name: mine }).click();
  await expect(page).toHaveURL(/\/containers\/(?!new$)[^/]+$/);
  const url = new URL(page.url()).pathname;
  await page.goto(tabUrl(url, "Settings"));
  await page.getByLabel("Confirm hostname").fill(mine);
  await page.getByRole("button", { name: "Destroy container" }).click();
  await waitForOperation(page, "destroy");
  await page.goto("/containers");
  await expect(page.getByRole("link", { name: mine })).toHaveCount(0);
  await expect(page.getByRole("link", { name: first })).toBeVisible();
});

test("the admin cleans up", async ({ page }) => {
  await login(page, ADMIN.email, ADMIN.password);
  await destroyContainer(page, firstUrl, first);
  await deletePool(page, poolName);
  // the platform's self-service plan would let every direct customer of the platform make containers
  await deletePlan(page, planName);
});
