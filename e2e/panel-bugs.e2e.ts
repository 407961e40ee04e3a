/**
 * Issue 17's bugs, each as the user met it, in Chromium against the real stack:
 * a double click on Reinstall (keep files) asks first and runs one reinstall (no /old/old); a stop that
 * succeeded never shows "running"; the snapshot card says it is loading, not "No snapshots."; a blank number in
 * the plan form is a sentence next to its field; firewall ports take 22,80,443; SSH key comments stay; destroy
 * waits for the hostname; a reseller sees the platform's plans apart and read-only, and a new plan at 1 vCPU;
 * a customer whose tenant is disabled is told why on the login page.
 */
import { expect, test, type Browser, type Page } from "@playwright/test";
import { EngineClient } from "../native/src/protocol/client.js";
import {
  createContainer,
  createCustomer,
  createPlan,
  createPool,
  deletePlan,
  deletePool,
  destroyContainer,
  login,
  openTab,
  tabUrl,
  uniq,
  waitForOperation,
} from "./helpers.js";
import { ADMIN, readState } from "./stack.js";

test.describe.configure({ mode: "serial" });

const customer = { name: uniq("BugCustomer"), email: `${uniq("bugcust")}@e2e.test`, password: "bug-customer-pass-1" };
const reseller = { name: uniq("BugReseller"), email: `${uniq("bugres")}@e2e.test`, password: "bug-reseller-pass-1" };
const planName = uniq("bugplan");
const poolName = uniq("bugpool");
const POOL = { cidr: "198.18.207.0/24", first: "198.18.207.10", last: "198.18.207.19" };
const hostname = `${uniq("bug")}.e2e.test`;
const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIP7coomf1uTnwiIkXa4Sajst7lh2/P6IKu6SeRACWttd e2e@laptop";
let url = "";
let ctid = 0;

async function adminPage(browser: Browser): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await login(page, ADMIN.email, ADMIN.password);
  return page;
}

async function inside(script: string): Promise<string> {
  const engine = new EngineClient(readState().engine.socket);
  try {
    const r = await engine.call("container.exec", { ctid, argv: ["/bin/sh", "-c", script] });
    return r.stdout.trim();
  } finally {
    engine.close();
  }
}

test("set-up: a plan, a pool, a customer with a container", async ({ browser }) => {
  const page = await adminPage(browser);
  await createPlan(page, planName);
  await createPool(page, poolName, POOL, 10);
  await createCustomer(page, customer);
  ({ url, ctid } = await createContainer(page, { customer: customer.name, plan: planName, hostname }));
});

test("reinstall keeping files asks first, and a double click runs one reinstall", async ({ browser }) => {
  const page = await adminPage(browser);
  await page.goto(tabUrl(url, "Settings"));
  await page.getByRole("button", { name: "Start", exact: true }).click();
  await waitForOperation(page, "start");
  await expect(page.getByTestId("container-state")).toHaveText("running");
  await inside("echo mine > /root/marker");
  const reinstall = page.getByRole("button", { name: "Reinstall", exact: true });
  await expect(page.getByRole("radio", { name: /Keep them/ })).toBeChecked();
  await expect(reinstall).toBeDisabled(); // nothing confirmed yet
  await page.getByLabel(/I understand that the system of .* is replaced/).check();
  await reinstall.dblclick();
  await waitForOperation(page, "reinstall");
  await page.reload();
  await openTab(page, "Summary");
  const recent = page.getByRole("table", { name: "Recent operations" });
  await expect(recent.locator("tr", { hasText: "start" }).first()).toBeVisible();
  await expect(recent.locator("tr", { hasText: "reinstall" })).toHaveCount(1);
  await expect(page.getByTestId("container-state")).toHaveText("running");
  expect(await inside("cat /old/root/marker")).toBe("mine");
  expect(await inside("test -e /old/old && echo twice || echo once")).toBe("once");
});

test("a stop that succeeded never shows the container as running", async ({ browser }) => {
  const page = await adminPage(browser);
  await page.goto(url);
  const state = page.getByTestId("container-state");
  if (!/running/.test(await state.innerText())) {
    await page.getByRole("button", { name: "Start", exact: true }).click();
    await waitForOperation(page, "start");
    await expect(state).toHaveText("running");
    await page.reload();
  }
  await page.getByRole("button", { name: "Stop", exact: true }).click();
  const status = page.locator('[data-testid="operation"][data-operation-type="stop"]').getByTestId("operation-status");
  await expect(status).toHaveText(/succeeded/, { timeout: 120_000 });
  expect(await state.innerText()).not.toMatch(/running/);
  await expect(state).toHaveText("stopped");
  await expect(page.getByRole("button", { name: "Start", exact: true })).toBeEnabled();
});

test("the snapshot and backup cards say they are loading before their data arrives", async ({ browser }) => {
  const page = await adminPage(browser);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  await page.route(/\/api\/trpc\/.*(snapshots\.list|backups\.list)/, async (route) => {
    await gate;
    await route.continue();
  });
  await page.goto(tabUrl(url, "Snapshots"));
  const snaps = page.getByTestId("snapshots-card");
  await expect(snaps.getByText("Loading snapshots…")).toBeVisible();
  await expect(snaps.getByText("No snapshots.")).toHaveCount(0);
  await openTab(page, "Backups");
  const backups = page.getByTestId("backups-card");
  await expect(backups.getByText("Loading backups…")).toBeVisible();
  await expect(backups.getByText(/of \? backups/)).toHaveCount(0);
  await expect(backups.getByText("No backups.")).toHaveCount(0);
  release();
  await expect(backups.getByText(/0 of \d+ backups allowed/)).toBeVisible();
  await openTab(page, "Snapshots");
  await expect(snaps.getByText("No snapshots.")).toBeVisible();
});

test("a blank number in the plan form is a sentence next to its field", async ({ browser }) => {
  const page = await adminPage(browser);
  await page.goto("/plans");
  const form = page.getByRole("form", { name: "New plan" });
  await form.getByLabel("Plan name").fill(uniq("badplan"));
  await form.getByLabel("Bandwidth (Mbit/s)").fill("");
  await form.getByRole("checkbox", { name: "busybox" }).check();
  await form.getByRole("button", { name: "Create plan" }).click();
  await expect(form.getByText("Enter a number.", { exact: true })).toBeVisible();
  const alert = form.getByRole("alert");
  await expect(alert).toContainText("Bandwidth: enter a number.");
  await expect(alert).not.toContainText(/Expected|received|nan|bandwidthMbps/);
});

test("a plan may suspend containers over its traffic quota; the plans table says so", async ({ browser }) => {
  const page = await adminPage(browser);
  await page.goto("/plans");
  const name = uniq("metered");
  const form = page.getByRole("form", { name: "New plan" });
  await form.getByLabel("Plan name").fill(name);
  await form.getByLabel("Traffic quota (GB per month)").fill("5");
  await expect(form.getByLabel("Over the traffic quota")).toHaveValue("throttle");
  await form.getByLabel("Over the traffic quota").selectOption("suspend");
  await form.getByRole("checkbox", { name: "busybox" }).check();
  await form.getByRole("button", { name: "Create plan" }).click();
  const row = page.getByRole("row").filter({ hasText: name });
  await expect(row).toContainText("5 GB/month");
  await expect(row).toContainText("then suspended");
  await row.getByRole("button", { name: "Edit" }).click();
  const edit = page.getByRole("form", { name: "Edit plan" });
  await expect(edit.getByLabel("Over the traffic quota")).toHaveValue("suspend");
  await deletePlan(page, name);
});

test("firewall ports take a list, SSH key comments stay, destroy waits for the hostname", async ({ browser }) => {
  const page = await adminPage(browser);
  await page.goto(tabUrl(url, "Firewall"));
  const fw = page.getByRole("form", { name: "Firewall" });
  await fw.getByRole("button", { name: "Add rule" }).click();
  await fw.getByLabel("Protocol").last().selectOption("tcp");
  await fw.getByLabel("Ports").last().fill("443, 80,22");
  await fw.getByRole("button", { name: "Save firewall" }).click();
  await expect(fw.getByLabel("Ports").last()).toHaveValue("22,80,443");
  await page.reload();
  await expect(page.getByRole("form", { name: "Firewall" }).getByLabel("Ports").last()).toHaveValue("22,80,443");

  await openTab(page, "Settings");
  const keys = `# laptop of the admin\n${KEY}`;
  await page.getByLabel("Authorized keys").fill(keys);
  await page.getByRole("button", { name: "Save keys" }).click();
  await expect(page.getByText("1 key(s) written")).toBeVisible();
  await page.reload();
  await expect(page.getByLabel("Authorized keys")).toHaveValue(keys);

  const destroy = page.getByRole("button", { name: "Destroy container" });
  await expect(destroy).toBeDisabled();
  await page.getByLabel("Confirm hostname").fill(hostname.slice(0, -1));
  await expect(destroy).toBeDisabled();
  await page.getByLabel("Confirm hostname").fill(hostname);
  await expect(destroy).toBeEnabled();
});

test("a reseller sees the platform's plans apart and read-only; a new plan starts at 1 vCPU", async ({ browser }) => {
  const page = await adminPage(browser);
  await page.goto("/tenants");
  await page.getByLabel("Tenant name").fill(reseller.name);
  await page.getByLabel("Kind").selectOption("reseller");
  await page.getByLabel("User name").fill(reseller.name);
  await page.getByLabel("User email").fill(reseller.email);
  await page.getByLabel("User password").fill(reseller.password);
  await page.getByRole("button", { name: "Create tenant" }).click();
  await expect(page.getByRole("cell", { name: reseller.name, exact: true })).toBeVisible();

  const rp = await (await browser.newContext()).newPage();
  await login(rp, reseller.email, reseller.password);
  await rp.goto("/plans");
  const platform = rp.getByTestId("platform-plans");
  await expect(platform.getByRole("cell", { name: planName, exact: true })).toBeVisible();
  await expect(platform.getByRole("button")).toHaveCount(0);
  // listed once, there: not among "Your plans" with Edit and Delete that would fail
  await expect(rp.getByRole("cell", { name: planName, exact: true })).toHaveCount(1);
  await expect(rp.getByRole("button", { name: `Delete plan ${planName}` })).toHaveCount(0);
  await expect(rp.getByRole("form", { name: "New plan" }).getByLabel("vCPUs", { exact: true })).toHaveValue("1");
});

test("a customer whose tenant is disabled is told why on the login page", async ({ browser }) => {
  const cp = await (await browser.newContext()).newPage();
  await login(cp, customer.email, customer.password);
  const page = await adminPage(browser);
  await page.goto("/tenants");
  const row = page.locator("tr", { hasText: customer.name });
  await row.getByRole("button", { name: "Disable" }).click();
  await expect(row.getByText("disabled")).toBeVisible();
  try {
    await cp.reload();
    await expect(cp).toHaveURL(/\/login/);
    await expect(cp.getByTestId("logout-reason")).toContainText(
      `Your account ${customer.name} is suspended by the platform's administrator`,
    );
  } finally {
    await row.getByRole("button", { name: "Enable" }).click();
    await expect(row.getByRole("button", { name: "Disable" })).toBeVisible();
  }
});

test("clean-up", async ({ browser }) => {
  const page = await adminPage(browser);
  await destroyContainer(page, url, hostname);
  await deletePool(page, poolName);
});
