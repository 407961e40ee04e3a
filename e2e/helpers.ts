/** Page-level helpers for the e2e specs (lxd-ui style): log in, wait for an operation, screenshots. */
import { expect, type Page, type Request } from "@playwright/test";
import fs from "node:fs";
import path from "node:path";

export const SHOTS = path.resolve("test-results/screenshots");

/**
 * page.goto, loaded again when Chromium dropped one of the page's requests with ERR_NETWORK_CHANGED. Chromium
 * aborts what is in flight when the host's interfaces change, and the stories that link a second node's network
 * namespace to this one (second-node.ts) change them; a page whose script chunk was dropped never becomes
 * interactive. Any other failure is not retried, and a page that keeps losing requests fails on the third load.
 */
export async function goto(page: Page, url: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    let dropped: string | null = null;
    const onFailed = (r: Request) => {
      if (r.failure()?.errorText.includes("ERR_NETWORK_CHANGED")) dropped = r.url();
    };
    page.on("requestfailed", onFailed);
    try {
      await page.goto(url);
    } finally {
      page.off("requestfailed", onFailed);
    }
    if (dropped === null) return;
    if (attempt === 3) throw new Error(`${url}: ${dropped} was dropped (ERR_NETWORK_CHANGED) on three loads`);
    console.log(`${url}: ${dropped} was dropped because the host's network changed; loading the page again`);
  }
}

export async function login(page: Page, email: string, password: string): Promise<void> {
  await goto(page, "/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/containers/);
}

/**
 * Waits until the operation panel on the page (for an operation of `type`, when given) shows a final
 * status; fails with the panel's log if the operation failed.
 */
export async function waitForOperation(page: Page, type?: string): Promise<void> {
  const panel = type
    ? page.locator(`[data-testid="operation"][data-operation-type="${type}"]`)
    : page.getByTestId("operation");
  await expect(panel).toBeVisible();
  await expect(panel.getByTestId("operation-status")).toHaveText(/succeeded|failed/, { timeout: 120_000 });
  const status = await panel.getByTestId("operation-status").innerText();
  if (!/succeeded/.test(status)) throw new Error(`operation failed:\n${await panel.innerText()}`);
}

export async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

export function uniq(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Admin: a small busybox plan (128M RAM, 512M disk, 1 vCPU), optionally with a bandwidth limit. */
export async function createPlan(page: Page, name: string, opts: { bandwidthMbps?: number } = {}): Promise<void> {
  await page.goto("/plans");
  await page.getByLabel("Plan name").fill(name);
  await page.getByLabel("RAM", { exact: true }).fill("128M");
  await page.getByLabel("Disk space", { exact: true }).fill("512M");
  await page.getByLabel("vCPUs", { exact: true }).fill("1");
  if (opts.bandwidthMbps !== undefined) await page.getByLabel("Bandwidth (Mbit/s)").fill(String(opts.bandwidthMbps));
  await page.getByRole("checkbox", { name: "busybox" }).check();
  await page.getByRole("button", { name: "Create plan" }).click();
  await expect(page.getByRole("cell", { name, exact: true })).toBeVisible();
}

/** Admin: a venet IP pool on the local node; `size` is how many addresses the range holds. */
export async function createPool(
  page: Page,
  name: string,
  pool: { cidr: string; first: string; last: string },
  size: number,
): Promise<void> {
  await page.goto("/pools");
  await page.getByLabel("Pool name").fill(name);
  await page.getByLabel("Subnet (CIDR)").fill(pool.cidr);
  await page.getByLabel("First address").fill(pool.first);
  await page.getByLabel("Last address").fill(pool.last);
  await page.getByRole("button", { name: "Create pool" }).click();
  await expect(page.getByTestId(`pool-${name}`)).toContainText(`0 / ${size}`);
}

/** Admin: a customer tenant with one user (the user is named after the tenant unless `userName`). */
export async function createCustomer(
  page: Page,
  t: { name: string; email: string; password: string; userName?: string },
): Promise<void> {
  await page.goto("/tenants");
  await page.getByLabel("Tenant name").fill(t.name);
  await page.getByLabel("Kind").selectOption("customer");
  await page.getByLabel("User name").fill(t.userName ?? t.name);
  await page.getByLabel("User email").fill(t.email);
  await page.getByLabel("User password").fill(t.password);
  await page.getByRole("button", { name: "Create tenant" }).click();
  await expect(page.getByRole("cell", { name: t.name, exact: true })).toBeVisible();
}

/**
 * A busybox container of `plan` for `customer` through the new-container page; waits for the create and
 * opens it. Returns its page path and ctid.
 */
export async function createContainer(
  page: Page,
  o: { customer: string; plan: string; hostname: string },
): Promise<{ url: string; ctid: number }> {
  await page.goto("/containers/new");
  await page.getByLabel("Customer").selectOption({ label: o.customer });
  await page.getByLabel("Plan").selectOption({ label: o.plan });
  await page.getByLabel("Template").selectOption("busybox");
  await page.getByLabel("Hostname").fill(o.hostname);
  await page.getByRole("button", { name: "Create container" }).click();
  await waitForOperation(page, "create");
  await page.getByRole("link", { name: /open container/i }).click();
  await expect(page).toHaveURL(/\/containers\/(?!new$)[^/]+$/);
  return { url: new URL(page.url()).pathname, ctid: Number(await page.getByTestId("container-ctid").innerText()) };
}

/** The container page's tabs, as their labels read. */
export type ContainerTab =
  "Summary" | "Console" | "Resources" | "Network" | "Firewall" | "Snapshots" | "Backups" | "Settings";

/** On a container page: shows the tab `name` (a click, as a user does) and waits until it is selected. */
export async function openTab(page: Page, name: ContainerTab): Promise<void> {
  const tab = page.getByRole("tablist", { name: "Container" }).getByRole("tab", { name, exact: true });
  await tab.click();
  await expect(tab).toHaveAttribute("aria-selected", "true");
}

/** A container page's address showing the tab `name` (`?tab=network`; the Summary tab has none). */
export function tabUrl(url: string, name: ContainerTab): string {
  return name === "Summary" ? url : `${url}?tab=${name.toLowerCase()}`;
}

/** Admin: destroys the container at `url`, typing its hostname to confirm, and waits for the operation. */
export async function destroyContainer(page: Page, url: string, hostname: string): Promise<void> {
  await page.goto(tabUrl(url, "Settings"));
  await page.getByLabel("Confirm hostname").fill(hostname);
  await page.getByRole("button", { name: "Destroy container" }).click();
  await waitForOperation(page, "destroy");
}

/** Admin: deletes the one backup of `hostname` on the Backups page. */
export async function deleteBackupOf(page: Page, hostname: string): Promise<void> {
  await page.goto("/backups");
  const row = page.locator("tbody tr", { hasText: hostname });
  await expect(row).toHaveCount(1);
  await row.getByRole("button", { name: /^Delete backup / }).click();
  await row.getByRole("button", { name: "Delete backup" }).click();
  await expect(page.locator("tbody tr", { hasText: hostname })).toHaveCount(0);
}

/** Admin: deletes an IP pool of `size` addresses once none of them is assigned. */
export async function deletePool(page: Page, name: string, size = 10): Promise<void> {
  await page.goto("/pools");
  await expect(page.getByTestId(`pool-${name}`)).toContainText(`0 / ${size}`);
  await page.getByRole("button", { name: `Delete pool ${name}` }).click();
  await page.getByTestId(`pool-${name}`).getByRole("button", { name: "Confirm delete" }).click();
  await expect(page.getByTestId(`pool-${name}`)).toHaveCount(0);
}

/** Deletes a plan no container uses any more from the Plans page. */
export async function deletePlan(page: Page, name: string): Promise<void> {
  await page.goto("/plans");
  const row = page.getByRole("row").filter({ hasText: name });
  await row.getByRole("button", { name: `Delete plan ${name}` }).click();
  await row.getByRole("button", { name: "Confirm delete" }).click();
  await expect(page.getByRole("row").filter({ hasText: name })).toHaveCount(0);
}
