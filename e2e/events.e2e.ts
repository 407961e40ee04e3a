/**
 * Live updates through the event stream (GET /api/events), in Chromium against the real stack. A customer keeps
 * the containers list open; the tab holds one EventSource (html[data-live="open"]) and the list's 5 s polling is
 * off: a quiet stretch longer than that sends no containers.table request. The admin starts the customer's
 * container from another browser; the customer's list shows it running, refetched after the stream's events
 * for that container (read from Chromium's own record of EventSource messages), with a handful of requests
 * only. When the stream cannot open, the page polls as before, and it goes live again once the stream can.
 * Without a session the stream answers 401.
 */
import { expect, test, type Browser, type CDPSession, type Page } from "@playwright/test";
import {
  createContainer,
  createCustomer,
  createPlan,
  createPool,
  deletePool,
  destroyContainer,
  login,
  uniq,
  waitForOperation,
} from "./helpers.js";
import { ADMIN } from "./stack.js";

test.describe.configure({ mode: "serial" });

const customer = { name: uniq("LiveCustomer"), email: `${uniq("livecust")}@e2e.test`, password: "live-customer-p4ss" };
const planName = uniq("liveplan");
const poolName = uniq("livepool");
const POOL = { cidr: "198.18.211.0/24", first: "198.18.211.10", last: "198.18.211.19" };
const hostname = `${uniq("live")}.e2e.test`;
let url = "";

/** More than the list's old polling interval (5 s), well under the live safety net (30 s). */
const QUIET_MS = 8000;

async function loggedIn(browser: Browser, email: string, password: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await login(page, email, password);
  return page;
}

/** The tRPC requests of a page that ask for `proc` (alone or in a batch), counted as they are sent. */
function countCalls(page: Page, proc: string): { n: number } {
  const c = { n: 0 };
  const re = new RegExp(`/api/trpc/[^?]*\\b${proc.replace(".", "\\.")}\\b`);
  page.on("request", (r) => {
    if (re.test(new URL(r.url()).pathname)) c.n++;
  });
  return c;
}

interface Received {
  kind: string;
  phase?: string;
  containerId?: string;
  at: number;
}

/** The event stream's messages as Chromium received them (DevTools protocol), with the order they came in. */
async function recordEvents(page: Page): Promise<{ cdp: CDPSession; got: Received[] }> {
  const cdp = await page.context().newCDPSession(page);
  const got: Received[] = [];
  cdp.on("Network.eventSourceMessageReceived", (m) => got.push({ ...(JSON.parse(m.data) as Received), at: seq++ }));
  await cdp.send("Network.enable");
  return { cdp, got };
}
let seq = 0;

test("the stream refuses a request without a session", async ({ request }) => {
  const r = await request.get("/api/events");
  expect(r.status()).toBe(401);
  expect(await r.text()).toBe("You are not logged in (or your session expired). Log in again.\n");
});

test("set-up: a customer's stopped container", async ({ browser }) => {
  const page = await loggedIn(browser, ADMIN.email, ADMIN.password);
  await createPlan(page, planName);
  await createPool(page, poolName, POOL, 10);
  await createCustomer(page, customer);
  ({ url } = await createContainer(page, { customer: customer.name, plan: planName, hostname }));
  await expect(page.getByTestId("container-state")).toHaveText(/stopped/);
  await page.context().close();
});

test("a start by the admin reaches the customer's list through the stream, without polling", async ({ browser }) => {
  const page = await loggedIn(browser, customer.email, customer.password);
  const { got } = await recordEvents(page);
  let streams = 0;
  page.on("request", (r) => {
    if (new URL(r.url()).pathname === "/api/events" && r.resourceType() === "eventsource") streams++;
  });
  const table = countCalls(page, "containers.table");
  await page.goto("/containers");
  const row = page.locator("tbody tr", { hasText: hostname });
  await expect(row).toContainText("stopped");
  await expect(page.locator("html")).toHaveAttribute("data-live", "open");
  // (the page the login landed on may have opened one too, before this load closed it)
  expect(streams).toBeGreaterThanOrEqual(1);
  const opened = streams;

  // the list polled every 5 s before: now a longer quiet stretch sends nothing
  const quiet = table.n;
  await page.waitForTimeout(QUIET_MS);
  expect(table.n - quiet).toBe(0);

  const admin = await loggedIn(browser, ADMIN.email, ADMIN.password);
  await admin.goto(url);
  const beforeStart = table.n;
  const firstEvent = seq;
  await admin.getByRole("button", { name: "Start", exact: true }).click();
  await waitForOperation(admin, "start");
  await expect(row).toContainText("running");

  // the events this tab received for its container: the operation's start and end, and the container's
  const container = got.filter((e) => e.at >= firstEvent && e.kind === "container");
  expect(container.length).toBeGreaterThanOrEqual(2);
  expect(new Set(container.map((e) => e.containerId)).size).toBe(1);
  const phases = got.filter((e) => e.at >= firstEvent && e.kind === "operation").map((e) => e.phase);
  expect(phases).toEqual(expect.arrayContaining(["created", "finished"]));
  // a refetch per batch of events, not a poll every 5 s: a handful of requests in all
  expect(table.n - beforeStart).toBeGreaterThanOrEqual(1);
  expect(table.n - beforeStart).toBeLessThanOrEqual(4);
  // the same stream all along: the tab did not reconnect
  expect(streams).toBe(opened);
  await expect(page.locator("html")).toHaveAttribute("data-live", "open");
  await admin.context().close();
  await page.context().close();
});

test("without the stream the list polls again, and goes live once the stream is back", async ({ browser }) => {
  const page = await loggedIn(browser, customer.email, customer.password);
  await page.route("**/api/events", (r) => r.abort());
  const table = countCalls(page, "containers.table");
  await page.goto("/containers");
  await expect(page.locator("tbody tr", { hasText: hostname })).toContainText("running");
  await expect(page.locator("html")).toHaveAttribute("data-live", "polling");
  const start = table.n;
  await expect.poll(() => table.n - start, { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
  await page.unroute("**/api/events");
  await expect(page.locator("html")).toHaveAttribute("data-live", "open", { timeout: 90_000 });
  await page.context().close();
});

test("clean-up: the container and the pool", async ({ browser }) => {
  const page = await loggedIn(browser, ADMIN.email, ADMIN.password);
  await page.goto(url);
  await page.getByRole("button", { name: "Stop", exact: true }).click();
  await waitForOperation(page, "stop");
  await destroyContainer(page, url, hostname);
  await deletePool(page, poolName);
  await page.context().close();
});
