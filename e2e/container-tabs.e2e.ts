/**
 * The container page as tabs, in Chromium against the real stack: each tab shows its cards and puts itself in
 * the URL (a reload and the back button keep it), the arrow keys move between tabs, and each card asks for its
 * data in a request of its own and shows a skeleton (never "No snapshots.") until the data arrives.
 * Screenshots of every tab at 1366x768 are kept as test artifacts (phone.e2e.ts keeps them at 390x844).
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
  openTab,
  tabUrl,
  uniq,
  type ContainerTab,
} from "./helpers.js";
import { ADMIN } from "./stack.js";

test.describe.configure({ mode: "serial" });

const customer = { name: uniq("TabCustomer"), email: `${uniq("tabcust")}@e2e.test`, password: "tab-customer-pass-1" };
const planName = uniq("tabplan");
const poolName = uniq("tabpool");
const POOL = { cidr: "198.18.208.0/24", first: "198.18.208.10", last: "198.18.208.19" };
const hostname = `${uniq("tab")}.e2e.test`;
let url = "";

/** Each tab, its ?tab= value, and a card only that tab shows. */
const TABS: { name: ContainerTab; query: string | null; card: string }[] = [
  { name: "Summary", query: null, card: "summary-card" },
  { name: "Console", query: "console", card: "console" },
  { name: "Resources", query: "resources", card: "usage-graphs" },
  { name: "Network", query: "network", card: "network" },
  { name: "Firewall", query: "firewall", card: "firewall" },
  { name: "Snapshots", query: "snapshots", card: "snapshots-card" },
  { name: "Backups", query: "backups", card: "backups-card" },
  { name: "Settings", query: "settings", card: "sshkeys-card" },
];

async function adminPage(browser: Browser): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await login(page, ADMIN.email, ADMIN.password);
  return page;
}

const selectedTab = (page: Page) => page.getByRole("tablist", { name: "Container" }).locator('[aria-selected="true"]');

test("set-up: a plan, a pool, a customer with a container", async ({ browser }) => {
  const page = await adminPage(browser);
  await createPlan(page, planName);
  await createPool(page, poolName, POOL, 10);
  await createCustomer(page, customer);
  ({ url } = await createContainer(page, { customer: customer.name, plan: planName, hostname }));
});

test("each tab shows its cards and puts itself in the URL; a reload and the back button keep it", async ({
  browser,
}, testInfo) => {
  const page = await adminPage(browser);
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(url);
  await expect(page.getByRole("tab")).toHaveText(TABS.map((t) => t.name));
  await expect(selectedTab(page)).toHaveText("Summary");
  await expect(page.getByTestId("summary-card")).toContainText(hostname);
  // the notices and the header stay above the tabs
  await expect(page.getByTestId("container-state")).toBeVisible();

  for (const t of TABS) {
    await openTab(page, t.name);
    const want = t.query === null ? null : t.query;
    await expect.poll(() => new URL(page.url()).searchParams.get("tab")).toBe(want);
    const panel = page.getByRole("tabpanel", { name: t.name });
    await expect(panel.getByTestId(t.card)).toBeVisible();
    // only this tab's cards: the other tabs' are not on the page
    for (const other of TABS.filter((o) => o.card !== t.card && o.name !== "Summary"))
      await expect(page.getByTestId(other.card)).toHaveCount(0);
    await expect(page.getByTestId("skeleton")).toHaveCount(0);
    await page.screenshot({ path: testInfo.outputPath(`container-${t.name.toLowerCase()}-1366x768.png`) });
  }
  await expect(page.getByRole("button", { name: "Destroy container" })).toBeVisible(); // an admin's Settings

  await page.reload();
  await expect(selectedTab(page)).toHaveText("Settings");
  await expect(page.getByTestId("sshkeys-card")).toBeVisible();
  await page.goBack();
  await expect(selectedTab(page)).toHaveText("Backups");
  await expect(page.getByTestId("backups-card")).toBeVisible();
  await page.goBack();
  await expect(selectedTab(page)).toHaveText("Snapshots");
  await page.goto(tabUrl(url, "Network"));
  await expect(selectedTab(page)).toHaveText("Network");
  await expect(page.getByTestId("traffic")).toBeVisible();
  expect(errors).toEqual([]);
});

test("the arrow keys, Home and End move between the tabs and show them", async ({ browser }) => {
  const page = await adminPage(browser);
  await page.goto(url);
  const tabs = page.getByRole("tab");
  await expect(tabs.first()).toHaveAttribute("aria-selected", "true");
  // one tab in the Tab order: the selected one
  await expect(page.locator('[role="tab"][tabindex="0"]')).toHaveCount(1);
  await tabs.first().focus();
  await page.keyboard.press("ArrowRight");
  await expect(selectedTab(page)).toHaveText("Console");
  await expect(page.getByRole("tab", { name: "Console" })).toBeFocused();
  await expect(page.getByTestId("console")).toBeVisible();
  await expect.poll(() => new URL(page.url()).searchParams.get("tab")).toBe("console");
  await page.keyboard.press("ArrowRight");
  await expect(selectedTab(page)).toHaveText("Resources");
  await page.keyboard.press("ArrowLeft");
  await expect(selectedTab(page)).toHaveText("Console");
  await page.keyboard.press("End");
  await expect(selectedTab(page)).toHaveText("Settings");
  await expect(page.getByRole("tab", { name: "Settings" })).toBeFocused();
  await page.keyboard.press("ArrowRight"); // wraps to the first
  await expect(selectedTab(page)).toHaveText("Summary");
  await page.keyboard.press("ArrowLeft"); // and back to the last
  await expect(selectedTab(page)).toHaveText("Settings");
  await page.keyboard.press("Home");
  await expect(selectedTab(page)).toHaveText("Summary");
  const panel = page.getByRole("tabpanel");
  await expect(panel).toHaveAttribute("aria-labelledby", (await tabs.first().getAttribute("id"))!);
  await expect(tabs.first()).toHaveAttribute("aria-controls", (await panel.getAttribute("id"))!);
  // Tab leaves the tablist for the panel's content
  await page.keyboard.press("Tab");
  await expect(tabs.first()).not.toBeFocused();
});

test("each card asks in a request of its own and shows a skeleton until its data arrives", async ({ browser }) => {
  const page = await adminPage(browser);
  const calls: string[] = [];
  page.on("request", (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith("/api/trpc/")) calls.push(decodeURIComponent(u.pathname.slice("/api/trpc/".length)));
  });
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  await page.route(/\/api\/trpc\/[^?]*snapshots\.list/, async (route) => {
    await gate;
    await route.continue();
  });
  await page.goto(tabUrl(url, "Snapshots"));
  const snaps = page.getByTestId("snapshots-card");
  // the page and its header are here while the snapshots are still on their way
  await expect(page.getByTestId("container-state")).toBeVisible();
  await expect(snaps.getByTestId("skeleton")).toBeVisible();
  await expect(snaps.getByText("Loading snapshots…")).toBeVisible();
  await expect(snaps.getByText("No snapshots.")).toHaveCount(0);
  release();
  await expect(snaps.getByText("No snapshots.")).toBeVisible();
  await expect(snaps.getByTestId("skeleton")).toHaveCount(0);

  // the container page's own queries each went alone, never in a batch with another call
  for (const proc of ["containers.get", "operations.list", "snapshots.list"]) {
    const mine = calls.filter((c) => c.split(",").includes(proc));
    expect(mine.length, proc).toBeGreaterThan(0);
    for (const c of mine) expect(c, `${proc} was batched`).toBe(proc);
  }

  // the same on the Network tab: the network and the traffic arrive on their own
  calls.length = 0;
  await openTab(page, "Network");
  await expect(page.getByTestId("net-mode")).toBeVisible();
  await expect(page.getByTestId("traffic-month-total")).toBeVisible();
  for (const proc of ["containers.network", "traffic.container"]) {
    const mine = calls.filter((c) => c.split(",").includes(proc));
    expect(mine.length, proc).toBeGreaterThan(0);
    for (const c of mine) expect(c, `${proc} was batched`).toBe(proc);
  }
});

test("the Console tab opens no shell until asked", async ({ browser }) => {
  const page = await adminPage(browser);
  await page.goto(tabUrl(url, "Console"));
  const consoleCard = page.getByTestId("console");
  await expect(consoleCard).toBeVisible();
  // stopped: a hint; no terminal, no connection
  await expect(consoleCard.getByTestId("console-hint")).toBeVisible();
  await expect(consoleCard.getByTestId("console-state")).toHaveCount(0);
});

test("clean-up: destroying the container from its Settings tab; the page leaves the tabs without an error", async ({
  browser,
}) => {
  const page = await adminPage(browser);
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await destroyContainer(page, url, hostname);
  await expect(page.getByRole("heading", { name: "Container destroyed" })).toBeVisible();
  expect(errors).toEqual([]);
  await deletePool(page, poolName);
});
