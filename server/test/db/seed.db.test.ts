/**
 * The first-run seed: idempotent, and a fresh install can create containers at once (a default venet
 * pool from the benchmark range), unless the caller brings its own pools.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { seed } from "../../seed.js";
import { freshDb, PROVIDERS, type TestDb } from "../helpers/db.js";

describe.each(PROVIDERS)("seed on %s", (provider) => {
  let t: TestDb;
  beforeEach(async () => {
    t = await freshDb(provider);
  });
  afterEach(async () => {
    await t.drop();
  });

  it("creates platform, admin, local node, starter plan and a default venet pool, once", async () => {
    const first = await seed(t.db, { email: "root@example.test", socket: "/run/ovz/engine.sock" });
    expect(first.created).toBe(true);
    expect(first.password).toMatch(/.{12,}/);
    const again = await seed(t.db, { email: "root@example.test", socket: "/run/ovz/engine.sock" });
    expect(again).toEqual({ email: "root@example.test", password: null, created: false });
    const node = await t.db.node.findFirstOrThrow();
    expect(node).toMatchObject({ name: "local", endpoint: "/run/ovz/engine.sock" });
    const pools = await t.db.ipPool.findMany();
    expect(pools).toHaveLength(1);
    expect(pools[0]).toMatchObject({
      nodeId: node.id,
      kind: "venet",
      family: 4,
      cidr: "198.18.100.0/24",
      rangeStart: "198.18.100.10",
      rangeEnd: "198.18.100.250",
    });
    expect(await t.db.plan.count()).toBe(1);
    expect(await t.db.user.count({ where: { role: "admin" } })).toBe(1);
  });

  it("skips the default pool when asked", async () => {
    await seed(t.db, { email: "root@example.test", password: "pw-123456789", socket: "/s", defaultPool: false });
    expect(await t.db.ipPool.count()).toBe(0);
  });
});
