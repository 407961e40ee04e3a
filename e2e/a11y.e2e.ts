/**
 * Accessibility and screenshots, in Chromium against the real stack, on every page each role reaches — the login
 * page logged out; for the admin, a reseller and a customer every link of the sidebar, the container page with each
 * of its tabs (`?tab=…`) and an operation's page; the new-container form for those who have it; a tenant's page (the
 * admin: the reseller's; the reseller: its customer's); the console with its terminal open. The walk (e2e/walk.ts)
 * collects a role's paths at 1366x768, where the sidebar shows, and checks each page at 1366x768 and again on a
 * phone (390x844, isMobile, hasTouch): axe-core (WCAG 2 A and AA rules), where a violation of impact "serious" or
 * "critical" fails the test with its rule, help text and the first elements it was found on; on the phone, no
 * sideways scroll (document.documentElement.scrollWidth <= 390), the failure naming the page; and a full-page
 * screenshot of each page at each size in `test-results/screenshots/pages/<role>-<page>-<size>.png`.
 * On the phone, the dialogs and confirmations: each role's Menu drawer (a modal dialog: the focus moves in, Tab and
 * Shift+Tab stay in it, it fits the screen, axe with it open, Escape closes it and gives the focus back to the Menu
 * button), the inline confirmations (a pool's delete: the focus moves to Cancel, Escape cancels it and the focus goes
 * back), and the container's destroy and reinstall confirmations (inline forms, not dialogs: filled in, axe, within
 * the screen, and left unsubmitted).
 */
import { expect, test, type Browser, type Page } from "@playwright/test";
import {
  createContainer,
  createPlan,
  createPool,
  deletePool,
  goto,
  destroyContainer,
  login,
  tabUrl,
  uniq,
  waitForOperation,
} from "./helpers.js";
import { ADMIN } from "./stack.js";
import {
  checkDialog,
  checkInlineConfirm,
  checkStops,
  containerStops,
  onPhone,
  settle,
  shoot,
  sidebarStops,
  sideways,
  stop,
  tabStops,
  tenantStop,
  violations,
  type Stop,
} from "./walk.js";

test.describe.configure({ mode: "serial" });
// an action that cannot happen fails in a minute, with what the other checks found so far, not at the timeout
test.use({ actionTimeout: 60_000 });

const reseller = { name: uniq("AxeReseller"), email: `${uniq("axeres")}@e2e.test`, password: "axe-reseller-pass-1" };
const customer = { name: uniq("AxeCustomer"), email: `${uniq("axecust")}@e2e.test`, password: "axe-customer-pass-1" };
const planName = uniq("axeplan");
const poolName = uniq("axepool");
const POOL = { cidr: "198.18.210.0/24", first: "198.18.210.10", last: "198.18.210.19" };
const hostname = `${uniq("axe")}.e2e.test`;
let url = "";

async function loggedIn(browser: Browser, who: { email: string; password: string }): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await login(page, who.email, who.password);
  return page;
}

test("set-up: a plan, a pool, a reseller with an allocation, its customer with a running container", async ({
  browser,
}) => {
  const page = await loggedIn(browser, ADMIN);
  await createPlan(page, planName);
  await createPool(page, poolName, POOL, 10);
  await page.goto("/tenants");
  await page.getByLabel("Tenant name").fill(reseller.name);
  await page.getByLabel("Kind").selectOption("reseller");
  await page.getByLabel("User name").fill(reseller.name);
  await page.getByLabel("User email").fill(reseller.email);
  await page.getByLabel("User password").fill(reseller.password);
  await page.getByRole("button", { name: "Create tenant" }).click();
  await expect(page.getByRole("cell", { name: reseller.name, exact: true })).toBeVisible();
  await page.goto("/allocations");
  const row = page.getByTestId(`allocation-${reseller.name}`);
  await row.getByLabel("Containers").fill("2");
  await row.getByLabel("vCPUs").fill("2");
  await row.getByLabel("RAM (MiB)").fill("512");
  await row.getByLabel("Swap (MiB)").fill("0");
  await row.getByLabel("Disk (MiB)").fill("2048");
  await row.getByLabel("IP addresses").fill("2");
  await row.getByRole("button", { name: "Save allocation" }).click();
  await expect(row.getByText("Saved")).toBeVisible();

  const rp = await loggedIn(browser, reseller);
  await rp.goto("/customers");
  await rp.getByLabel("Tenant name").fill(customer.name);
  await rp.getByLabel("User name").fill(customer.name);
  await rp.getByLabel("User email").fill(customer.email);
  await rp.getByLabel("User password").fill(customer.password);
  await rp.getByRole("button", { name: "Create customer" }).click();
  await expect(rp.getByRole("cell", { name: customer.name, exact: true })).toBeVisible();
  ({ url } = await createContainer(rp, { customer: customer.name, plan: planName, hostname }));
  await rp.getByRole("button", { name: "Start", exact: true }).click();
  await waitForOperation(rp, "start");
});

// One test for every page of every role at both sizes, so that a failure lists all the violations at once.
test("no page of the panel has a serious or critical violation, at 1366x768 and on a phone", async ({ browser }) => {
  test.setTimeout(1_200_000);
  const found: string[] = [];
  let shots = 0;
  const counts: string[] = [];
  const check = async (role: string, desk: Page, stops: Stop[]) => {
    counts.push(`${role}: ${stops.length}`);
    const phone = await onPhone(browser, desk);
    // both sizes at once (two contexts), which halves the added time; the findings in the order of the walk
    for (const r of await Promise.all([desk, phone].map((page) => checkStops(page, role, stops)))) {
      found.push(...r.found);
      shots += r.shots;
    }
    return phone;
  };

  await check("logged-out", await (await browser.newContext()).newPage(), [stop("/login")]);

  const admin = await loggedIn(browser, ADMIN);
  const adminNav = await sidebarStops(admin, ["/containers", "/containers/new", "/tenants", "/nodes", "/account"]);
  const resellerPage = await tenantStop(admin, "/tenants", reseller.name);
  await check("admin", admin, [...adminNav, ...(await containerStops(admin, url)), resellerPage]);

  const res = await loggedIn(browser, reseller);
  const resNav = await sidebarStops(res, ["/containers", "/containers/new", "/customers", "/account"]);
  const customerPage = await tenantStop(res, "/customers", customer.name);
  await check("reseller", res, [...resNav, ...(await containerStops(res, url)), customerPage]);

  const cust = await loggedIn(browser, customer);
  const custNav = await sidebarStops(cust, ["/containers", "/backups", "/account"]);
  // a customer has no operations page: its container's tabs only
  const custPhone = await check("customer", cust, [...custNav, ...tabStops(url)]);
  // the console with its terminal open
  for (const page of [cust, custPhone]) {
    await goto(page, tabUrl(url, "Console"));
    await page.getByRole("button", { name: "Open console" }).click();
    await expect(page.getByTestId("console-state")).toHaveText("connected");
    found.push(...(await violations(page, "customer console (open)")), ...(await sideways(page, "customer console")));
    await shoot(page, "customer", "container-console-open");
    shots++;
    await goto(page, "/containers"); // the terminal closed before the other one opens
  }
  console.log(`${shots} page views checked and shot (pages per role: ${counts.join(", ")}; each at 2 sizes)`);
  expect(found, `${found.length} accessibility/phone problem(s):\n${found.join("\n")}`).toEqual([]);
});

test("on a phone every dialog and confirmation takes the focus, keeps it, fits, and Escape gives it back", async ({
  browser,
}) => {
  test.setTimeout(600_000);
  const found: string[] = [];
  for (const [role, who] of [
    ["admin", ADMIN],
    ["reseller", reseller],
    ["customer", customer],
  ] as const) {
    const phone = await onPhone(browser, await loggedIn(browser, who));
    await goto(phone, "/containers");
    await settle(phone);
    const menu = phone.getByRole("button", { name: "Menu", exact: true });
    await menu.focus();
    await phone.keyboard.press("Enter");
    found.push(...(await checkDialog(phone, role, "menu", phone.getByRole("dialog", { name: "Menu" }), menu)));

    if (role === "admin") {
      await goto(phone, "/pools");
      await settle(phone);
      const row = phone.getByTestId(`pool-${poolName}`);
      const del = row.getByRole("button", { name: `Delete pool ${poolName}`, exact: true });
      found.push(...(await checkInlineConfirm(phone, role, "pool-delete-confirm", row, del)));
      await expect(phone.getByTestId(`pool-${poolName}`)).toHaveCount(1);
    }
    // reinstall (everyone) and destroy (sellers) ask inline — tick the box, type the hostname —: filled in,
    // checked, and never submitted
    await goto(phone, tabUrl(url, "Settings"));
    await settle(phone);
    const understand = phone.getByRole("checkbox", { name: /^I understand/ });
    await understand.check();
    await expect(phone.getByRole("button", { name: "Reinstall", exact: true })).toBeEnabled();
    const destroy = phone.getByRole("button", { name: "Destroy container" });
    if (role !== "customer") {
      await phone.getByLabel("Confirm hostname").fill(hostname);
      await expect(destroy).toBeEnabled();
    } else await expect(destroy).toHaveCount(0);
    const what = `${role} reinstall/destroy confirmations at 390x844`;
    found.push(...(await violations(phone, what)), ...(await sideways(phone, what)));
    await shoot(phone, role, "container-settings-confirming");
    await understand.uncheck();
    if (role !== "customer") {
      await phone.getByLabel("Confirm hostname").fill("");
      await expect(destroy).toBeDisabled();
    }
    await phone.context().close();
  }
  expect(found, `${found.length} dialog problem(s):\n${found.join("\n")}`).toEqual([]);
});

test.afterAll("clean-up", async ({ browser }) => {
  const page = await loggedIn(browser, ADMIN);
  if (url) await destroyContainer(page, url, hostname);
  await deletePool(page, poolName);
});
