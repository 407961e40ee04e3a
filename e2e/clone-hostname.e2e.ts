/**
 * Clone, hostname and boot log on the real stack (engine, panel build, PostgreSQL):
 * - the customer changes its container's hostname on the Settings tab: a malformed one gets a sentence next to the
 *   field, a good one shows in the page's header and, once started, in the container (`hostname` in the console);
 * - the admin clones it from the Settings tab: the operation's progress, then the clone's page; started, the clone
 *   runs with its own hostname and its own address from the pool (not the source's);
 * - the Console tab's Boot log card: with the engine keeping console output (OVZ_E2E_CONSOLE_LOG=on) it shows what
 *   the container's boot script printed, after Refresh too; on a default stack it says that the node keeps none.
 * The admin destroys both containers and deletes the pool.
 */
import { expect, test, type Page } from "@playwright/test";
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
import { ADMIN } from "./stack.js";

test.describe.configure({ mode: "serial" });

const customer = { name: uniq("CloneCust"), email: `${uniq("clonecust")}@e2e.test`, password: "clone-customer-pw-1" };
const planName = uniq("cloneplan");
const poolName = uniq("clonepool");
const POOL = { cidr: "198.18.213.0/24", first: "198.18.213.10", last: "198.18.213.19" };
const first = `${uniq("src")}.e2e.test`;
const renamed = `${uniq("renamed")}.e2e.test`;
const cloneName = `${uniq("copy")}.e2e.test`;
const consoleLog = process.env.OVZ_E2E_CONSOLE_LOG === "on";
let srcUrl = "";
let cloneUrl = "";

async function screen(page: Page): Promise<string> {
  return (await page.getByTestId("console").locator(".xterm-rows").innerText()).replace(/\u00a0/g, " ");
}
async function typeLine(page: Page, text: string): Promise<void> {
  await page.getByTestId("console-terminal").click();
  await page.keyboard.type(text);
  await page.keyboard.press("Enter");
}
/** The container's addresses as its Network tab lists them. */
async function addresses(page: Page, url: string): Promise<string[]> {
  await page.goto(tabUrl(url, "Network"));
  const rows = page.getByTestId("ip-row");
  await expect(rows.first()).toBeVisible();
  return (await rows.locator("td:first-child").allInnerTexts()).map((s) => s.trim());
}

test("the admin makes a plan, a pool, a customer and its container", async ({ page }) => {
  await login(page, ADMIN.email, ADMIN.password);
  await createPlan(page, planName);
  await createPool(page, poolName, POOL, 10);
  await createCustomer(page, customer);
  ({ url: srcUrl } = await createContainer(page, { customer: customer.name, plan: planName, hostname: first }));
});

test("the customer changes the hostname: a sentence for a bad one; a good one in the page and the container", async ({
  page,
}) => {
  await login(page, customer.email, customer.password);
  await page.goto(srcUrl);
  await openTab(page, "Settings");
  const form = page.getByTestId("hostname-form");
  const field = form.getByLabel("Hostname");
  await expect(field).toHaveValue(first);
  await field.fill("bad_host!.example");
  await form.getByRole("button", { name: "Change hostname" }).click();
  await expect(form.getByText(/^A hostname is letters, digits and hyphens in dot-separated parts/)).toBeVisible();
  await expect(field).toHaveAttribute("aria-invalid", "true");
  await field.fill(`${"a".repeat(64)}.example.com`); // a label over 63 characters
  await form.getByRole("button", { name: "Change hostname" }).click();
  await expect(form.getByText(/^A hostname is letters/)).toBeVisible();

  await field.fill(renamed.toUpperCase());
  await form.getByRole("button", { name: "Change hostname" }).click();
  await expect(form.getByRole("status")).toHaveText(`Hostname changed to ${renamed}.`);
  await expect(page.getByRole("heading", { level: 1 })).toContainText(renamed);
  await page.reload();
  await expect(page.getByRole("heading", { level: 1 })).toContainText(renamed);
  await shot(page, "hostname-changed");

  // started, the system has it (written while stopped, into /etc/hostname and the LXC config)
  await page.getByRole("button", { name: "Start", exact: true }).click();
  await waitForOperation(page, "start");
  await openTab(page, "Console");
  const consoleCard = page.getByRole("region", { name: "Console" });
  await consoleCard.getByRole("button", { name: "Open console" }).click();
  await expect(consoleCard.getByTestId("console-state")).toHaveText("connected");
  await expect.poll(() => screen(page)).toMatch(/#\s*$/m);
  await typeLine(page, "echo host=$(hostname)");
  await expect.poll(() => screen(page)).toMatch(new RegExp(`^host=${renamed.replace(/\./g, "\\.")}\\s*$`, "m"));
});

test("the admin clones the running container: progress, then a clone with its own hostname and address", async ({
  page,
}) => {
  await login(page, ADMIN.email, ADMIN.password);
  const srcAddrs = await addresses(page, srcUrl);
  expect(srcAddrs).toHaveLength(1);
  await page.goto(tabUrl(srcUrl, "Settings"));
  const form = page.getByTestId("clone-form");
  await form.getByLabel("Hostname of the clone").fill("not a hostname");
  await form.getByRole("button", { name: "Clone" }).click();
  await expect(form.getByText(/^A hostname is letters/)).toBeVisible();
  await form.getByLabel("Hostname of the clone").fill(cloneName);
  await form.getByRole("button", { name: "Clone" }).click();
  await waitForOperation(page, "clone");
  const link = page.getByTestId("operation").getByRole("link", { name: new RegExp(cloneName.replace(/\./g, "\\.")) });
  await link.click();
  await expect(page).toHaveURL(/\/containers\/[^/?]+$/);
  cloneUrl = new URL(page.url()).pathname;
  expect(cloneUrl).not.toBe(srcUrl);
  await expect(page.getByRole("heading", { level: 1 })).toContainText(cloneName);
  await expect(page.getByTestId("container-state")).toHaveText(/stopped/);

  await page.getByRole("button", { name: "Start", exact: true }).click();
  await waitForOperation(page, "start");
  await expect(page.getByTestId("container-state")).toHaveText(/running/);
  const cloneAddrs = await addresses(page, cloneUrl);
  expect(cloneAddrs).toHaveLength(1);
  expect(cloneAddrs[0]).toMatch(/^198\.18\.213\.\d+$/);
  expect(cloneAddrs[0]).not.toBe(srcAddrs[0]);
  // the source keeps its own
  expect(await addresses(page, srcUrl)).toEqual(srcAddrs);
  await shot(page, "clone-network");
});

test("the clone's Boot log card shows its boot script's output (or says the node keeps none)", async ({ page }) => {
  await login(page, ADMIN.email, ADMIN.password);
  await page.goto(tabUrl(cloneUrl, "Console"));
  const card = page.getByTestId("boot-log");
  await expect(card).toBeVisible();
  if (consoleLog) {
    const out = card.getByLabel("Boot log output");
    await expect(out).toContainText(`rcS: booting ${cloneName}`);
    await expect(out).toContainText("rcS: boot finished");
    await card.getByRole("button", { name: "Refresh" }).click();
    await expect(out).toContainText("rcS: boot finished");
  } else {
    await expect(card.getByTestId("boot-log-off")).toContainText("does not keep console output");
  }
  await shot(page, "boot-log");
});

test("the admin destroys both containers and deletes the pool", async ({ page }) => {
  await login(page, ADMIN.email, ADMIN.password);
  for (const [url, host] of [
    [cloneUrl, cloneName],
    [srcUrl, renamed],
  ] as const) {
    await page.goto(url);
    await page.getByRole("button", { name: "Stop", exact: true }).click();
    await waitForOperation(page, "stop");
    await destroyContainer(page, url, host);
  }
  await deletePool(page, poolName);
});
