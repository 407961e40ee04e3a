/**
 * Tables that scale (issue 17), in Chromium against the real stack: 1,200 containers of one customer (rows in the
 * panel's database, seeded in one createMany; the engine never runs them) on the Containers page, sorted by a
 * column header (aria-sort), searched (by hostname and IP address), paged (Previous/Next — two quick clicks go two
 * pages, a double click one —, page size), all in the
 * URL so reload and Back show the same page; the admin's bulk stop reports its refusals; the Tenants page shows
 * the reseller → customer tree; the tenant page lists the customer's containers and refuses to delete it, with the
 * reason. Every seeded row is removed at the end.
 */
import { expect, test, type Page } from "@playwright/test";
import { createDb, type Db } from "../server/db/client.js";
import { login, shot, uniq } from "./helpers.js";
import { ADMIN, readState } from "./stack.js";

test.describe.configure({ mode: "serial" });

const N = 1200;
const FIRST = 30_000;
const tag = uniq("tbl");
const hostOf = (i: number) => `${tag}-${String((i * 7) % N).padStart(4, "0")}.e2e.test`;
const ipOf = (i: number) => `198.19.${100 + Math.floor(i / 250)}.${(i % 250) + 2}`;
const resellerName = uniq("TblReseller");
const customerName = uniq("TblCustomer");
let db: Db;
let customerId = "";
let ids: { reseller: string; pool: string; plan: string } | null = null;

test.beforeAll(async () => {
  db = createDb(readState().databaseUrl);
  const node = await db.node.findFirstOrThrow({ orderBy: { createdAt: "asc" } });
  const platform = await db.tenant.findFirstOrThrow({ where: { kind: "platform" } });
  const reseller = await db.tenant.create({ data: { name: resellerName, kind: "reseller", parentId: platform.id } });
  const customer = await db.tenant.create({ data: { name: customerName, kind: "customer", parentId: reseller.id } });
  customerId = customer.id;
  const plan = await db.plan.create({
    data: { tenantId: reseller.id, name: `${tag}-plan`, limits: "{}", templates: JSON.stringify(["busybox"]) },
  });
  const pool = await db.ipPool.create({
    data: {
      nodeId: node.id,
      name: `${tag}-pool`,
      kind: "venet",
      family: 4,
      cidr: "198.19.96.0/19",
      gateway: "198.19.96.1",
      rangeStart: "198.19.100.2",
      rangeEnd: "198.19.127.254",
    },
  });
  ids = { reseller: reseller.id, pool: pool.id, plan: plan.id };
  const id = (i: number) => `${tag}x${String(i).padStart(5, "0")}`;
  await db.container.createMany({
    data: Array.from({ length: N }, (_, i) => ({
      id: id(i),
      ctid: FIRST + i,
      nodeId: node.id,
      tenantId: customer.id,
      planId: plan.id,
      hostname: hostOf(i),
      template: "busybox",
      state: "stopped",
    })),
  });
  await db.ipAddress.createMany({
    data: Array.from({ length: N }, (_, i) => ({
      poolId: pool.id,
      nodeId: node.id,
      address: ipOf(i),
      containerId: id(i),
    })),
  });
});

test.afterAll(async () => {
  if (ids) {
    await db.ipAddress.deleteMany({ where: { poolId: ids.pool } });
    await db.operation.deleteMany({ where: { tenantId: customerId } });
    await db.container.deleteMany({ where: { tenantId: customerId } });
    await db.ipPool.delete({ where: { id: ids.pool } });
    await db.plan.delete({ where: { id: ids.plan } });
    await db.tenant.delete({ where: { id: customerId } });
    await db.tenant.delete({ where: { id: ids.reseller } });
  }
  await db?.$disconnect();
});

const table = (page: Page, name = "Containers") => page.getByRole("table", { name, exact: true });
const firstHost = (page: Page, name = "Containers") =>
  table(page, name).getByRole("row").nth(1).getByRole("link").first();
const status = (page: Page) => page.getByTestId("pager-status");

test("the containers list sorts, searches and pages 1,200 rows on the server, all in the URL", async ({ browser }) => {
  const page = await (await browser.newContext()).newPage();
  await login(page, ADMIN.email, ADMIN.password);
  await page.goto("/containers");
  await page.getByLabel("Search containers").fill(`${tag}-`);
  await expect(page).toHaveURL(new RegExp(`[?&]q=${tag}-`));
  await expect(status(page)).toHaveText(`1–25 of ${N} · page 1 of ${N / 25}`);

  // sort by hostname: ascending, then descending (aria-sort on the header)
  const hostHeader = table(page).getByRole("columnheader", { name: /Hostname/ });
  await expect(hostHeader).toHaveAttribute("aria-sort", "none");
  await hostHeader.getByRole("button").click();
  await expect(hostHeader).toHaveAttribute("aria-sort", "ascending");
  await expect(firstHost(page)).toHaveText(`${tag}-0000.e2e.test`);
  await hostHeader.getByRole("button").click();
  await expect(hostHeader).toHaveAttribute("aria-sort", "descending");
  await expect(firstHost(page)).toHaveText(`${tag}-1199.e2e.test`);
  await expect(page).toHaveURL(/sort=-hostname/);

  // pages: Next, a bigger page, reload and Back keep them
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page).toHaveURL(/page=2/);
  await expect(firstHost(page)).toHaveText(`${tag}-1174.e2e.test`);
  await expect(status(page)).toHaveText(`26–50 of ${N} · page 2 of ${N / 25}`);
  await page.getByLabel("Rows per page").selectOption("100");
  await expect(status(page)).toHaveText(`1–100 of ${N} · page 1 of ${N / 100}`);
  await expect(table(page).getByRole("row")).toHaveCount(101);
  // two quick clicks on Next go two pages: the second builds on the first before the URL shows it
  const next = page.getByRole("button", { name: "Next" });
  await next.click();
  await next.click();
  await expect(status(page)).toHaveText(`201–300 of ${N} · page 3 of ${N / 100}`);
  await expect(firstHost(page)).toHaveText(`${tag}-0999.e2e.test`);
  await page.reload();
  await expect(status(page)).toHaveText(`201–300 of ${N} · page 3 of ${N / 100}`);
  await expect(firstHost(page)).toHaveText(`${tag}-0999.e2e.test`);
  await page.goBack();
  await expect(status(page)).toHaveText(`101–200 of ${N} · page 2 of ${N / 100}`);
  await page.getByRole("button", { name: "Previous" }).click();
  await expect(firstHost(page)).toHaveText(`${tag}-1199.e2e.test`);
  await shot(page, "tables-containers-sorted");
  // a double click is one page (its second click is not a second Next); one more click is the next page
  await next.dblclick();
  await expect(status(page)).toHaveText(`101–200 of ${N} · page 2 of ${N / 100}`);
  await next.click();
  await expect(status(page)).toHaveText(`201–300 of ${N} · page 3 of ${N / 100}`);

  // a link to a page past the end (fewer rows since): said so, and Previous goes to the last page
  await page.goto(`/containers?q=${tag}-&page=99`);
  await expect(status(page)).toHaveText(`Page 99 is past the end: there are ${N / 25} pages (${N} rows).`);
  await page.getByRole("button", { name: "Previous" }).click();
  await expect(status(page)).toHaveText(`${N - 24}–${N} of ${N} · page ${N / 25} of ${N / 25}`);

  // search by an IP address: the one container that has it
  await page.getByLabel("Search containers").fill(ipOf(777));
  await expect(status(page)).toHaveText("1–1 of 1 · page 1 of 1");
  await expect(firstHost(page)).toHaveText(hostOf(777));
  await expect(table(page).getByRole("cell", { name: ipOf(777) })).toBeVisible();
  await page.getByLabel("Search containers").fill(`${tag}-nothing`);
  await expect(page.getByText(`No container matches “${tag}-nothing”.`)).toBeVisible();

  // bulk stop of two stopped containers: both refused, each with its reason
  await page.getByLabel("Search containers").fill(`${tag}-000`);
  await expect(status(page)).toHaveText("1–10 of 10 · page 1 of 1");
  await page.getByRole("checkbox", { name: `Select ${FIRST} (${hostOf(0)})` }).check();
  await page.getByRole("checkbox", { name: `Select ${FIRST + 1} (${hostOf(1)})` }).check();
  await page.getByRole("button", { name: "Stop selected" }).click();
  const summary = page.getByTestId("bulk-summary");
  await expect(summary).toContainText("Stop: 0 started, 2 refused.");
  await expect(summary).toContainText(`Container ${FIRST} (${hostOf(0)}) is already stopped.`);
});

test("the Tenants page shows the reseller → customer tree; the tenant page lists its containers and refuses delete", async ({
  browser,
}) => {
  const page = await (await browser.newContext()).newPage();
  await login(page, ADMIN.email, ADMIN.password);
  await page.goto("/tenants");
  const tenants = page.getByRole("table", { name: "Tenants" });
  const resellerRow = tenants.getByRole("row").filter({ has: page.getByRole("link", { name: resellerName }) });
  const customerRow = tenants.getByRole("row").filter({ has: page.getByRole("link", { name: customerName }) });
  await expect(resellerRow).toHaveAttribute("data-depth", "1");
  await expect(customerRow).toHaveAttribute("data-depth", "2");
  // the customer right under its reseller
  const order = await tenants.getByRole("row").evaluateAll((rows) => rows.map((r) => r.textContent ?? ""));
  const r = order.findIndex((t) => t.includes(resellerName));
  expect(order[r + 1]).toContain(customerName);

  await customerRow.getByRole("link", { name: customerName }).click();
  await expect(page.getByRole("heading", { level: 1, name: customerName })).toBeVisible();
  await expect(page.getByText(`${N} containers (${N} stopped)`)).toBeVisible();
  await expect(
    page.getByRole("table", { name: "Plans in use" }).getByRole("cell", { name: `${tag}-plan` }),
  ).toBeVisible();
  await expect(status(page)).toHaveText(`1–25 of ${N} · page 1 of ${N / 25}`);
  await expect(firstHost(page, "Tenant containers")).toHaveText(hostOf(0));
  await page.getByLabel(`Type the tenant's name (${customerName}) to confirm`).fill(customerName);
  await page.getByRole("button", { name: "Delete tenant" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "still has" })).toContainText(
    `still has ${N} containers; destroy or move them first`,
  );
  await shot(page, "tables-tenant-page");
});
