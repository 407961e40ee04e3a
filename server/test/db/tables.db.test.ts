/**
 * The containers table (containers.table, issue 17): 1,500 containers of one customer seeded in one createMany,
 * paged through in every sort order (pages disjoint, complete, ordered), searched by ctid, hostname and IP
 * address, and scoped (a reseller or customer never sees another tenant's rows through search or paging).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { PROVIDERS } from "../helpers/db.js";
import { as, type Caller, type World, useWorld } from "../helpers/world.js";

const N = 1500;
const FIRST = 20_000;
const ipOf = (i: number) => `198.18.${32 + Math.floor(i / 250)}.${(i % 250) + 2}`;
/** hostnames in another order than the ctids: h0000.tbl … h1499.tbl, shuffled */
const hostOf = (i: number) => `h${String((i * 7) % N).padStart(4, "0")}.tbl`;
const STATES = ["running", "stopped", "error", "suspended"];
type Row = Awaited<ReturnType<Caller["containers"]["table"]>>["rows"][number];
type Sort = "ctid" | "hostname" | "state" | "node" | "createdAt";

/** Every page of a sort, pageSize rows each, until a short page; with the totals each page reported. */
async function allPages(c: Caller, sort: Sort, dir: "asc" | "desc", pageSize: number, q = "") {
  const rows: Row[] = [];
  const totals = new Set<number>();
  for (let page = 1; page < 1000; page++) {
    const r = await c.containers.table({ sort, dir, q, page, pageSize });
    expect(r.page).toBe(page);
    totals.add(r.total);
    rows.push(...r.rows);
    if (r.rows.length < pageSize) break;
  }
  return { rows, totals: [...totals] };
}

const key: Record<Sort, (r: Row) => string | number> = {
  ctid: (r) => r.ctid,
  hostname: (r) => r.hostname,
  state: (r) => r.state,
  node: (r) => r.node.name,
  createdAt: (r) => r.createdAt,
};

function expectOrdered(rows: Row[], sort: Sort, dir: "asc" | "desc") {
  for (let i = 1; i < rows.length; i++) {
    const [a, b] = [key[sort](rows[i - 1]!), key[sort](rows[i]!)];
    const ok = dir === "asc" ? a <= b : a >= b;
    if (!ok) throw new Error(`${sort} ${dir}: row ${i - 1} (${a}) before row ${i} (${b})`);
    // ties by ctid ascending (the documented tie-break)
    if (a === b && sort !== "ctid") expect(rows[i - 1]!.ctid).toBeLessThanOrEqual(rows[i]!.ctid);
  }
}

describe.each(PROVIDERS)("containers.table with 1,500 containers on %s", (provider) => {
  let w: World;
  useWorld(provider, (x) => ({ w } = x));
  let a1: string;

  beforeAll(async () => {
    const { db, node } = w;
    a1 = w.a.customers[0]!.tenant.id;
    const pool = await db.ipPool.create({
      data: {
        nodeId: node.id,
        name: "tbl-v4",
        kind: "venet",
        family: 4,
        cidr: "198.18.32.0/19",
        gateway: "198.18.32.1",
        rangeStart: "198.18.32.2",
        rangeEnd: "198.18.63.254",
      },
    });
    const id = (i: number) => `tbl${provider}${String(i).padStart(5, "0")}`;
    const t0 = Date.parse("2026-01-01T00:00:00Z");
    await db.container.createMany({
      data: Array.from({ length: N }, (_, i) => ({
        id: id(i),
        ctid: FIRST + i,
        nodeId: node.id,
        tenantId: a1,
        planId: w.a.plan.id,
        hostname: hostOf(i),
        template: "busybox",
        state: STATES[i % STATES.length]!,
        createdAt: new Date(t0 + ((i * 37) % N) * 1000),
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
  }, 300_000);

  it.each([
    ["hostname", "asc"],
    ["state", "asc"],
    ["ctid", "desc"],
  ] as const)("admin pages through all containers by %s %s: disjoint, complete, ordered", async (sort, dir) => {
    const all = await w.db.container.count();
    expect(all).toBe(N + 5);
    const { rows, totals } = await allPages(as(w, "admin"), sort, dir, 100);
    expect(totals).toEqual([all]);
    expect(rows).toHaveLength(all);
    expect(new Set(rows.map((r) => r.id)).size).toBe(all);
    expectOrdered(rows, sort, dir);
  });

  it("sorts by node and creation time; a page past the end is empty with the total", async () => {
    const admin = as(w, "admin");
    const byTime = await admin.containers.table({ sort: "createdAt", dir: "desc", pageSize: 100, page: 3 });
    expect(byTime.rows).toHaveLength(100);
    expectOrdered(byTime.rows, "createdAt", "desc");
    const byNode = await admin.containers.table({ sort: "node", dir: "asc", pageSize: 50 });
    expectOrdered(byNode.rows, "node", "asc");
    const past = await admin.containers.table({ page: 99, pageSize: 100 });
    expect(past).toMatchObject({ rows: [], total: N + 5, page: 99 });
  });

  it("rows carry their addresses, owner, plan and node", async () => {
    const r = await as(w, "admin").containers.table({ q: String(FIRST + 42) });
    expect(r.total).toBe(1);
    expect(r.rows[0]).toMatchObject({
      ctid: FIRST + 42,
      hostname: hostOf(42),
      ips: [ipOf(42)],
      tenant: { id: a1 },
      plan: { id: w.a.plan.id },
      node: { id: w.node.id },
    });
  });

  it("search finds by IP address, by hostname (any case) and by ctid", async () => {
    const admin = as(w, "admin");
    // 198.18.35.129: a three-digit last octet, no other address contains it
    const i = 3 * 250 + 127;
    const byIp = await admin.containers.table({ q: ipOf(i) });
    expect(byIp.total).toBe(1);
    expect(byIp.rows.map((r) => r.ctid)).toEqual([FIRST + i]);
    const byHost = await admin.containers.table({ q: hostOf(i).toUpperCase() });
    expect(byHost.rows.map((r) => r.ctid)).toEqual([FIRST + i]);
    const byCtid = await admin.containers.table({ q: String(FIRST + i) });
    expect(byCtid.rows.map((r) => r.ctid)).toEqual([FIRST + i]);
    // a part of an address: every container of 198.18.33.x (250 of them), paged
    const part = await allPages(admin, "ctid", "asc", 100, "198.18.33.");
    expect(part.totals).toEqual([250]);
    expect(part.rows.map((r) => r.ctid)).toEqual(Array.from({ length: 250 }, (_, k) => FIRST + 250 + k));
    // the world's containers by a part of their hostname
    const web = await admin.containers.table({ q: "web-", sort: "hostname" });
    expect(web.rows.map((r) => r.hostname)).toEqual(["web-a1.test", "web-a2.test", "web-b1.test", "web-b2.test"]);
    expect((await admin.containers.table({ q: "no-such-host" })).total).toBe(0);
  });

  it("a reseller pages through its customers' containers only; search never reaches another tenant", async () => {
    const { rows, totals } = await allPages(as(w, "resellerA"), "hostname", "asc", 100);
    expect(totals).toEqual([N + 2]);
    expect(new Set(rows.map((r) => r.id)).size).toBe(N + 2);
    const mine = new Set(w.a.customers.map((c) => c.tenant.id));
    expect(rows.every((r) => mine.has(r.tenant.id))).toBe(true);
    const b = as(w, "resellerB");
    expect(await b.containers.table({ q: ipOf(5) })).toMatchObject({ rows: [], total: 0 });
    expect(await b.containers.table({ q: String(FIRST + 5) })).toMatchObject({ rows: [], total: 0 });
    expect(await b.containers.table({ q: "web-a" })).toMatchObject({ rows: [], total: 0 });
    expect(await b.containers.table({ tenantId: a1, page: 2 })).toMatchObject({ rows: [], total: 0 });
    const bAll = await b.containers.table({ pageSize: 100 });
    expect(bAll.rows.map((r) => r.hostname)).toEqual(["web-b1.test", "web-b2.test"]);
  });

  it("a customer sees its own containers only, whatever it searches or pages", async () => {
    const a2 = as(w, "customerA2");
    const own = await a2.containers.table({});
    expect(own.total).toBe(1);
    expect(own.rows.map((r) => r.hostname)).toEqual(["web-a2.test"]);
    expect((await a2.containers.table({ q: "tbl" })).total).toBe(0);
    expect((await a2.containers.table({ q: ipOf(1) })).total).toBe(0);
    expect((await a2.containers.table({ tenantId: a1 })).total).toBe(0);
    expect((await a2.containers.table({ page: 2, pageSize: 1 })).rows).toEqual([]);
    const a1Rows = await allPages(as(w, "customerA1"), "createdAt", "asc", 100, ".tbl");
    expect(a1Rows.totals).toEqual([N]);
    expect(new Set(a1Rows.rows.map((r) => r.id)).size).toBe(N);
  });

  it("refuses a sort column outside the whitelist and a page size over 100", async () => {
    const admin = as(w, "admin");
    await expect(admin.containers.table({ sort: "template" as never })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(admin.containers.table({ pageSize: 2000 })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });
});
