/**
 * A small hosting world for handler tests: platform + admin, two resellers (each with an allocation,
 * a plan, two customers, one container per customer), a platform customer with a container, and the
 * callers for every role. Containers exist both as rows and in the fake engine; each holds one address
 * of the node's venet pool "public-v4" (198.18.0.10–99: 198.18.0.10 … .14 in ctid order).
 */
import { afterAll, beforeAll } from "vitest";
import { hashPassword } from "../../auth/crypto.js";
import type { Actor, Role } from "../../auth/roles.js";
import type { Db } from "../../db/client.js";
import { fakeEngineFor, resetEngines } from "../../engine/index.js";
import type { FakeEngine } from "../../engine/fake.js";
import { appRouter } from "../../routers/index.js";
import { waitForAllOperations } from "../../services/operations.js";
import { makeContext, type Context } from "../../trpc/context.js";
import { createCallerFactory } from "../../trpc/init.js";
import { defaultLimits } from "../../../native/src/settings.js";
import { freshDb, type Provider, type TestDb } from "./db.js";

export const ENDPOINT = "/run/ovz-test/fake-engine.sock";
const MiB = 1024 * 1024;
const createCaller = createCallerFactory(appRouter);
export type Caller = ReturnType<typeof createCaller>;

let pwHash: Promise<string> | null = null;
export const PASSWORD = "correct-horse-battery";

export function caller(db: Db, actor: Actor | null, extra: Partial<Context> = {}): Caller {
  return createCaller(makeContext({ db, actor, ...extra }));
}

export function fakeEngine(): FakeEngine {
  return fakeEngineFor(ENDPOINT);
}

export async function buildWorld(db: Db) {
  if (!process.env.OVZ_PANEL_ENGINE) process.env.OVZ_PANEL_ENGINE = "fake";
  resetEngines();
  pwHash ??= hashPassword(PASSWORD);
  const passwordHash = await pwHash;
  const node = await db.node.create({ data: { name: "local", endpoint: ENDPOINT } });
  const platform = await db.tenant.create({ data: { name: "Platform", kind: "platform" } });
  const mkUser = (tenantId: string, email: string, role: Role) =>
    db.user.create({ data: { email, name: email.split("@")[0]!, role, tenantId, passwordHash } });
  const admin = await mkUser(platform.id, "admin@test.example", "admin");
  const limits = { ...defaultLimits(), ram: 256 * MiB, swap: 0, diskspace: 1024 * MiB, cpus: 1 };
  const platformPlan = await db.plan.create({
    data: {
      tenantId: platform.id,
      name: "starter",
      limits: JSON.stringify(limits),
      templates: JSON.stringify(["busybox", "debian-12"]),
    },
  });

  // Routed addresses for the world's containers (each plan gives one): 198.18.0.10 … 198.18.0.99.
  const pool = await db.ipPool.create({
    data: {
      nodeId: node.id,
      name: "public-v4",
      kind: "venet",
      family: 4,
      cidr: "198.18.0.0/24",
      gateway: "198.18.0.1",
      rangeStart: "198.18.0.10",
      rangeEnd: "198.18.0.99",
    },
  });
  let nextCtid = 101;
  let nextIp = 10;
  async function container(tenantId: string, planId: string, hostname: string) {
    const ctid = nextCtid++;
    const address = `198.18.0.${nextIp++}`;
    await fakeEngine().call("container.create", {
      ctid,
      template: "busybox",
      hostname,
      limits,
      net: { venet: [address] },
    });
    return db.container.create({
      data: {
        ctid,
        nodeId: node.id,
        tenantId,
        planId,
        hostname,
        template: "busybox",
        state: "stopped",
        addresses: { create: [{ poolId: pool.id, nodeId: node.id, address }] },
      },
    });
  }

  async function reseller(tag: "a" | "b") {
    const tenant = await db.tenant.create({
      data: { name: `Reseller ${tag.toUpperCase()}`, kind: "reseller", parentId: platform.id },
    });
    await db.allocation.create({
      data: { tenantId: tenant.id, containers: 4, cpus: 4, ramMb: 1024, swapMb: 1024, diskMb: 8192, ipCount: 8 },
    });
    const user = await mkUser(tenant.id, `reseller-${tag}@test.example`, "reseller");
    const plan = await db.plan.create({
      data: {
        tenantId: tenant.id,
        name: `small-${tag}`,
        limits: JSON.stringify(limits),
        templates: JSON.stringify(["busybox"]),
      },
    });
    const customers = [];
    for (const n of [1, 2]) {
      const t = await db.tenant.create({
        data: { name: `Customer ${tag}${n}`, kind: "customer", parentId: tenant.id },
      });
      const u = await mkUser(t.id, `customer-${tag}${n}@test.example`, "customer");
      const c = await container(t.id, plan.id, `web-${tag}${n}.test`);
      customers.push({ tenant: t, user: u, container: c });
    }
    return { tenant, user, plan, customers };
  }

  const a = await reseller("a");
  const b = await reseller("b");
  const direct = await db.tenant.create({ data: { name: "Direct customer", kind: "customer", parentId: platform.id } });
  const directUser = await mkUser(direct.id, "direct@test.example", "customer");
  const directContainer = await container(direct.id, platformPlan.id, "direct.test");

  const actor = (u: { id: string; role: string; tenantId: string; email: string }): Actor => ({
    userId: u.id,
    role: u.role as Role,
    tenantId: u.tenantId,
    label: u.email,
    via: "session",
  });
  return {
    db,
    node,
    pool,
    platform,
    admin,
    platformPlan,
    a,
    b,
    direct,
    directUser,
    directContainer,
    actors: {
      admin: actor(admin),
      resellerA: actor(a.user),
      resellerB: actor(b.user),
      customerA1: actor(a.customers[0]!.user),
      customerA2: actor(a.customers[1]!.user),
      customerB1: actor(b.customers[0]!.user),
      direct: actor(directUser),
    },
  };
}

export type World = Awaited<ReturnType<typeof buildWorld>>;

export function as(w: World, who: keyof World["actors"]): Caller {
  return caller(w.db, w.actors[who]);
}

export { waitForAllOperations };

/**
 * Per-file set-up used by the handler tests: a fresh database of `provider` with the world in it before
 * the file's tests, and after them: wait for background operations, drop the database.
 */
export function useWorld(provider: Provider, set: (x: { t: TestDb; w: World }) => void): void {
  let t: TestDb | undefined;
  beforeAll(async () => {
    t = await freshDb(provider);
    set({ t, w: await buildWorld(t.db) });
  });
  afterAll(async () => {
    await waitForAllOperations();
    await t?.drop();
  });
}
