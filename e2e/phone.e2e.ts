/**
 * The customer's everyday pages on a phone (390x844) with long names (the customer's and the hostname), in Chromium
 * against the real stack: no page scrolls sideways (document.documentElement.scrollWidth <= 390) — the containers
 * list, the container page with every tab (the shown tab in sight; the console with its terminal open), backups and
 * the account —, the sidebar is a drawer behind a Menu button, and a desktop shows the sidebar and no Menu button.
 * Screenshots of these pages at 390x844 are kept in the test's output folder. Every page of every role at 390x844
 * (axe, no sideways scroll, screenshots) and the dialogs' focus on a phone are a11y.e2e.ts's.
 */
import { expect, test, type Browser, type Page } from "@playwright/test";
import {
  createContainer,
  createCustomer,
  createPlan,
  createPool,
  deletePool,
  destroyContainer,
  login,
  tabUrl,
  uniq,
  waitForOperation,
} from "./helpers.js";
import { ADMIN } from "./stack.js";
import { PHONE, TABS } from "./walk.js";

test.describe.configure({ mode: "serial" });

const customer = {
  name: uniq("PhoneCustomer-with-a-long-name"),
  email: `${uniq("phonecust")}@e2e.test`,
  password: "phone-customer-pass-1",
};
const planName = uniq("phoneplan");
const poolName = uniq("phonepool");
const POOL = { cidr: "198.18.209.0/24", first: "198.18.209.10", last: "198.18.209.19" };
const hostname = `${uniq("phone-container-with-a-long-hostname")}.e2e.test`;
let url = "";

async function phone(browser: Browser): Promise<Page> {
  const page = await (await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true })).newPage();
  await login(page, customer.email, customer.password);
  return page;
}

/** Waits for the page's data (no skeleton, no "Loading…"), then measures how wide the document is. */
async function settledWidth(page: Page): Promise<number> {
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  await expect(page.getByTestId("skeleton")).toHaveCount(0);
  await expect(page.getByText(/^Loading.*…$/)).toHaveCount(0);
  return page.evaluate(() => document.documentElement.scrollWidth);
}

test("set-up: a plan, a pool, a customer with a running container", async ({ browser }) => {
  const page = await (await browser.newContext()).newPage();
  await login(page, ADMIN.email, ADMIN.password);
  await createPlan(page, planName);
  await createPool(page, poolName, POOL, 10);
  await createCustomer(page, customer);
  ({ url } = await createContainer(page, { customer: customer.name, plan: planName, hostname }));
  await page.getByRole("button", { name: "Start", exact: true }).click();
  await waitForOperation(page, "start");
});

test("no customer page scrolls sideways at 390x844", async ({ browser }, testInfo) => {
  const page = await phone(browser);
  const pages: [string, string][] = [
    ["containers", "/containers"],
    ...TABS.map((t): [string, string] => [`container-${t.toLowerCase()}`, tabUrl(url, t)]),
    ["backups", "/backups"],
    ["account", "/account"],
  ];
  for (const [name, path] of pages) {
    await page.goto(path);
    if (name === "container-console") {
      // the terminal itself, not only its button
      await page.getByRole("button", { name: "Open console" }).click();
      await expect(page.getByTestId("console-state")).toHaveText("connected");
    }
    // the tab strip scrolls sideways in its own box, with the shown tab in sight
    if (name.startsWith("container-")) await expect(page.getByRole("tab", { selected: true })).toBeInViewport();
    const width = await settledWidth(page);
    await page.screenshot({ path: testInfo.outputPath(`${name}-390x844.png`), fullPage: true });
    expect(width, `${name} (${path}) is ${width} px wide`).toBeLessThanOrEqual(PHONE.width);
  }
  // a wide table scrolls inside its card: the containers list is still all there
  await page.goto("/containers");
  await expect(page.getByRole("table", { name: "Containers" }).getByRole("link", { name: hostname })).toBeVisible();
});

test("on a phone the navigation is behind a Menu button; on a desktop it is the sidebar", async ({ browser }) => {
  const page = await phone(browser);
  await page.goto("/containers");
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav).toBeHidden();
  const menu = page.getByRole("button", { name: "Menu", exact: true });
  await expect(menu).toHaveAttribute("aria-expanded", "false");
  await menu.click();
  await expect(menu).toHaveAttribute("aria-expanded", "true");
  await expect(nav).toBeVisible();
  await expect(page.getByRole("dialog", { name: "Menu" }).getByTestId("current-user")).toBeVisible();
  // Escape closes it and gives the focus back to the button
  await page.keyboard.press("Escape");
  await expect(nav).toBeHidden();
  await expect(menu).toBeFocused();
  // a link goes there and closes the drawer
  await menu.click();
  await nav.getByRole("link", { name: "Account" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole("heading", { name: "Account", level: 1 })).toBeVisible();
  await expect(nav).toBeHidden();

  const desk = await (await browser.newContext({ viewport: { width: 1366, height: 768 } })).newPage();
  await login(desk, customer.email, customer.password);
  await expect(desk.getByRole("navigation", { name: "Main" })).toBeVisible();
  await expect(desk.getByRole("button", { name: "Menu", exact: true })).toBeHidden();
});

test("clean-up", async ({ browser }) => {
  const page = await (await browser.newContext()).newPage();
  await login(page, ADMIN.email, ADMIN.password);
  await destroyContainer(page, url, hostname);
  await deletePool(page, poolName);
});
