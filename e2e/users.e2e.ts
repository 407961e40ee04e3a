/**
 * User pages, "log in as" and resellers editing their customers (issue 17), in Chromium against the real stack:
 *   - the admin opens a customer user's page from the Users table, logs in as that user, sees the banner
 *     "You are signed in as … by …" and only that customer's container (not another customer's), and returns to
 *     the admin's own account without a password;
 *   - a reseller renames its customer on the customer's page and resets the password of the customer's user,
 *     who then logs in with the new one;
 *   - the user and tenant pages do not scroll sideways at 390 px (a table's visually hidden header once did: it
 *     escaped its ScrollBox, which now is its containing block).
 */
import { expect, test, type Browser, type Page } from "@playwright/test";
import {
  createContainer,
  createCustomer,
  createPlan,
  createPool,
  deletePool,
  destroyContainer,
  goto,
  login,
  shot,
  uniq,
} from "./helpers.js";
import { ADMIN } from "./stack.js";

test.describe.configure({ mode: "serial" });

const mine = { name: uniq("ImpCustomer"), email: `${uniq("impcust")}@e2e.test`, password: "imp-customer-pass-1" };
const other = { name: uniq("OtherCustomer"), email: `${uniq("othercust")}@e2e.test`, password: "other-cust-pass-1" };
const reseller = { name: uniq("ImpReseller"), email: `${uniq("impres")}@e2e.test`, password: "imp-reseller-pass-1" };
const resCustomer = {
  name: uniq("ResCustomer"),
  email: `${uniq("rescust")}@e2e.test`,
  password: "res-customer-pass-1",
};
const planName = uniq("impplan");
const poolName = uniq("imppool");
const POOL = { cidr: "198.18.212.0/24", first: "198.18.212.10", last: "198.18.212.19" };
const myHost = `${uniq("imp-mine")}.e2e.test`;
const otherHost = `${uniq("imp-other")}.e2e.test`;
const urls: { url: string; hostname: string }[] = [];

async function loggedIn(
  browser: Browser,
  email: string,
  password: string,
  viewport?: { width: number; height: number },
) {
  const page = await (await browser.newContext(viewport ? { viewport } : {})).newPage();
  await login(page, email, password);
  return page;
}

async function noSidewaysScroll(page: Page): Promise<void> {
  const { width, wide } = await page.evaluate(() => {
    // the innermost elements that reach past the viewport's right edge: what to fix when it scrolls
    const edge = document.documentElement.clientWidth;
    const past = (e: Element) => e.getBoundingClientRect().right > edge + 0.5;
    // (inside a box that scrolls by itself, only the box counts)
    const scroller = (e: Element) => e.parentElement?.closest("[class*=overflow-x-auto]") ?? null;
    const wide = Array.from(document.querySelectorAll("body *"))
      .filter((e) => past(e) && !scroller(e) && !Array.from(e.children).some((c) => past(c) && !scroller(c)))
      .slice(0, 5)
      .map((e) => `<${e.tagName.toLowerCase()} class="${e.className}"> ${e.textContent?.slice(0, 40) ?? ""}`);
    return { width: document.documentElement.scrollWidth, wide };
  });
  expect(width, `the page scrolls sideways at 390 px; too wide: ${wide.join(" | ")}`).toBeLessThanOrEqual(390);
}

test("set-up: two customers with a container each, and a reseller", async ({ browser }) => {
  const page = await loggedIn(browser, ADMIN.email, ADMIN.password);
  await createPlan(page, planName);
  await createPool(page, poolName, POOL, 10);
  await createCustomer(page, mine);
  await createCustomer(page, other);
  for (const [c, hostname] of [
    [mine, myHost],
    [other, otherHost],
  ] as const) {
    const { url } = await createContainer(page, { customer: c.name, plan: planName, hostname });
    urls.push({ url, hostname });
  }
  await page.goto("/tenants");
  await page.getByLabel("Tenant name").fill(reseller.name);
  await page.getByLabel("Kind").selectOption("reseller");
  await page.getByLabel("User name").fill(reseller.name);
  await page.getByLabel("User email").fill(reseller.email);
  await page.getByLabel("User password").fill(reseller.password);
  await page.getByRole("button", { name: "Create tenant" }).click();
  await expect(page.getByRole("cell", { name: reseller.name, exact: true })).toBeVisible();
});

test("the admin opens a user's page, logs in as the customer, sees only its container, and returns", async ({
  browser,
}) => {
  const page = await loggedIn(browser, ADMIN.email, ADMIN.password);
  await goto(page, "/containers");
  await expect(page.getByRole("link", { name: otherHost })).toBeVisible();

  await goto(page, "/users");
  await page.getByRole("link", { name: mine.email }).click();
  await expect(page).toHaveURL(/\/users\/[^/]+$/);
  const facts = page.getByTestId("user-facts");
  await expect(facts).toContainText(mine.email);
  await expect(facts).toContainText("customer");
  await expect(facts.getByRole("link", { name: mine.name })).toBeVisible();
  await expect(page.getByRole("region", { name: "Recent activity" })).toBeVisible();
  await shot(page, "users-user-page");

  await page.getByRole("button", { name: `Log in as ${mine.email}` }).click();
  await expect(page).toHaveURL(/\/containers$/);
  const banner = page.getByTestId("impersonation-banner");
  await expect(banner).toContainText(`You are signed in as ${mine.email} by ${ADMIN.email}`);
  await expect(page.getByRole("heading", { name: "My containers" })).toBeVisible();
  await expect(page.getByRole("link", { name: myHost })).toBeVisible();
  await expect(page.getByRole("link", { name: otherHost })).toHaveCount(0);
  await expect(page.getByText("1 container", { exact: true })).toBeVisible();
  await shot(page, "users-impersonating");

  await banner.getByRole("button", { name: "Return to your account" }).click();
  await expect(page).toHaveURL(/\/tenants\/[^/]+$/);
  await expect(page.getByTestId("impersonation-banner")).toHaveCount(0);
  await expect(page.getByRole("heading", { name: mine.name })).toBeVisible();
  await expect(page.getByRole("complementary").getByText(ADMIN.email)).toBeVisible();
  // the admin's own pages again, without a login
  await goto(page, "/audit");
  await expect(page.getByRole("cell", { name: "user.impersonateEnd" }).first()).toBeVisible();
});

test("a reseller renames its customer and resets the password of the customer's user", async ({ browser }) => {
  const page = await loggedIn(browser, reseller.email, reseller.password);
  await goto(page, "/customers");
  await page.getByLabel("Tenant name").fill(resCustomer.name);
  await page.getByLabel("User name").fill(resCustomer.name);
  await page.getByLabel("User email").fill(resCustomer.email);
  await page.getByLabel("User password").fill(resCustomer.password);
  await page.getByRole("button", { name: "Create customer" }).click();
  await page.getByRole("link", { name: resCustomer.name, exact: true }).click();
  await expect(page).toHaveURL(/\/tenants\/[^/]+$/);

  const renamed = `${resCustomer.name}-renamed`;
  const rename = page.getByRole("form", { name: "Rename" });
  await rename.getByLabel("Name").fill(renamed);
  await rename.getByRole("button", { name: "Rename" }).click();
  await expect(page.getByRole("heading", { name: renamed, level: 1 })).toBeVisible();

  await page.getByRole("button", { name: `Reset the password of ${resCustomer.email}` }).click();
  await page.getByLabel(`New password for ${resCustomer.email}`).fill("res-customer-new-pass-2");
  await page.getByRole("button", { name: "Save password" }).click();
  await expect(page.getByText(`Password of ${resCustomer.email} changed`)).toBeVisible();
  await shot(page, "users-reseller-customer");

  const customer = await (await browser.newContext()).newPage();
  await login(customer, resCustomer.email, "res-customer-new-pass-2");
  await expect(customer.getByText(renamed).first()).toBeVisible();
});

test("the user page fits a 390 px phone", async ({ browser }) => {
  const page = await loggedIn(browser, ADMIN.email, ADMIN.password, { width: 390, height: 844 });
  await goto(page, "/users");
  const href = await page.getByRole("link", { name: mine.email }).getAttribute("href");
  await goto(page, href!);
  await expect(page.getByTestId("user-facts")).toBeVisible();
  await noSidewaysScroll(page);
  await shot(page, "users-user-phone");
});

test("the tenant page fits a 390 px phone", async ({ browser }) => {
  const page = await loggedIn(browser, ADMIN.email, ADMIN.password, { width: 390, height: 844 });
  await goto(page, "/users");
  const href = await page.getByRole("link", { name: mine.email }).getAttribute("href");
  await goto(page, href!);
  await page.getByTestId("user-facts").getByRole("link", { name: mine.name }).click();
  // the user page's heading is the user's name, which is the tenant's here: wait for the tenant page itself
  await expect(page).toHaveURL(/\/tenants\/[^/]+$/);
  await expect(page.getByRole("heading", { name: "Plan usage" })).toBeVisible();
  await expect(page.getByRole("table", { name: "Users" })).toBeVisible();
  await shot(page, "users-tenant-phone");
  await noSidewaysScroll(page);
});

test("clean-up: the containers and the pool", async ({ browser }) => {
  const page = await loggedIn(browser, ADMIN.email, ADMIN.password);
  for (const { url, hostname } of urls) await destroyContainer(page, url, hostname);
  await deletePool(page, poolName);
});
