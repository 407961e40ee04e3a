/**
 * Container networking in the panel: IP pools, engine networks, address allocation at create (and its
 * failure modes), addIp/removeIp/setFirewall/setNetMode applied through the engine, and the network
 * view. Rows and the fake engine's state are both checked.
 */
import { TRPCError } from "@trpc/server";
import { beforeEach, describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { EngineError } from "../../../native/src/errors.js";
import { PROVIDERS } from "../helpers/db.js";
import { expectCode, holdEngine } from "../helpers/expect.js";
import { fakeEngineFor } from "../../engine/index.js";
import { as, fakeEngine, type World, useWorld, waitForAllOperations } from "../helpers/world.js";

describe.each(PROVIDERS)("networking on %s", (provider) => {
  let w: World;
  useWorld(provider, (x) => ({ w } = x));
  beforeEach(async () => {
    await waitForAllOperations();
    fakeEngine().failNext.clear();
  });

  const a1 = () => w.a.customers[0]!.container;
  const addrs = async (containerId: string) =>
    (await w.db.ipAddress.findMany({ where: { containerId }, orderBy: { address: "asc" } })).map((a) => a.address);
  const finish = async (opId: string) => {
    await waitForAllOperations();
    return w.db.operation.findUniqueOrThrow({ where: { id: opId } });
  };
  const admin = () => as(w, "admin");
  const direct = (hostname: string, planId = w.platformPlan.id, extra: Record<string, unknown> = {}) =>
    admin().containers.create({ tenantId: w.direct.id, planId, hostname, template: "busybox", ...extra });

  it("pools: create venet (v4, v6) and veth pools; list shows used/total; audit", async () => {
    const p4 = await admin().pools.create({
      nodeId: w.node.id,
      name: "extra-v4",
      kind: "venet",
      cidr: "198.18.5.7/24",
      gateway: "198.18.5.1",
      rangeStart: "198.18.5.100",
      rangeEnd: "198.18.5.109",
    });
    expect(p4).toMatchObject({
      family: 4,
      cidr: "198.18.5.0/24",
      gateway: "198.18.5.1",
      rangeStart: "198.18.5.100",
      rangeEnd: "198.18.5.109",
      network: null,
      used: 0,
      total: 10,
    });
    const p6 = await admin().pools.create({
      nodeId: w.node.id,
      name: "v6",
      kind: "venet",
      cidr: "FD00:0:0:1::/64",
      rangeStart: "fd00:0:0:1::10",
      rangeEnd: "fd00::1:0:0:0:ffff",
    });
    expect(p6).toMatchObject({
      family: 6,
      cidr: "fd00:0:0:1::/64",
      rangeStart: "fd00:0:0:1::10",
      rangeEnd: "fd00:0:0:1::ffff",
      total: 0xffff - 0x10 + 1,
    });
    expect(await w.db.ipPool.findUniqueOrThrow({ where: { id: p6.id } })).toMatchObject({
      nodeId: w.node.id,
      kind: "venet",
      family: 6,
    });

    // veth pools need an engine network that exists on the node
    const noNet = await expectCode(
      admin().pools.create({
        nodeId: w.node.id,
        name: "lan",
        kind: "veth",
        network: "lan",
        cidr: "198.18.6.0/24",
        rangeStart: "198.18.6.10",
        rangeEnd: "198.18.6.20",
      }),
      "BAD_REQUEST",
    );
    expect(noNet.message).toMatch(/no engine network "lan".*Nodes page/);
    const net = await admin().nodes.createNetwork({
      nodeId: w.node.id,
      name: "lan",
      bridge: "br-lan",
      hostCidr: "198.18.6.1/24",
      dhcp: true,
    });
    expect(net).toMatchObject({
      name: "lan",
      bridge: "br-lan",
      hostCidr: "198.18.6.1/24",
      dhcp: true,
      exists: true,
      containers: [],
    });
    const pv = await admin().pools.create({
      nodeId: w.node.id,
      name: "lan",
      kind: "veth",
      network: "lan",
      cidr: "198.18.6.0/24",
      gateway: "198.18.6.1",
      rangeStart: "198.18.6.10",
      rangeEnd: "198.18.6.20",
    });
    expect(pv).toMatchObject({ kind: "veth", network: "lan", total: 11 });

    const list = await admin().pools.list();
    expect(list.map((p) => [p.name, p.used, p.total])).toEqual([
      ["extra-v4", 0, 10],
      ["lan", 0, 11],
      ["public-v4", 5, 90],
      ["v6", 0, 65520],
    ]);
    expect(await admin().pools.list({ nodeId: "elsewhere" })).toEqual([]);
    const audit = await w.db.auditLog.findMany({ where: { action: "pool.create" }, orderBy: { id: "asc" } });
    expect(audit.map((a) => a.target)).toEqual([
      "pool extra-v4 on node local",
      "pool v6 on node local",
      "pool lan on node local",
    ]);
    expect(JSON.parse(audit[2]!.details)).toMatchObject({ kind: "veth", network: "lan", cidr: "198.18.6.0/24" });
    // the veth pool "lan" stays for the tests below
    for (const p of [p4, p6]) await admin().pools.delete({ poolId: p.id });
    expect((await admin().pools.list()).map((p) => p.name)).toEqual(["lan", "public-v4"]);
  });

  it("pools: bad ranges, overlaps and duplicate names are refused with field errors; nothing is stored", async () => {
    const before = await w.db.ipPool.count();
    const base = {
      nodeId: w.node.id,
      name: "bad",
      kind: "venet" as const,
      cidr: "198.18.7.0/24",
      rangeStart: "198.18.7.10",
      rangeEnd: "198.18.7.20",
    };
    const fieldsOf = async (p: Promise<unknown>, code: TRPCError["code"] = "BAD_REQUEST") =>
      ((await expectCode(p, code)) as TRPCError & { data?: { fields?: Record<string, string> } }).data?.fields ?? {};
    expect(await fieldsOf(admin().pools.create({ ...base, rangeEnd: "198.18.8.1" }))).toMatchObject({
      rangeEnd: "outside the subnet 198.18.7.0/24",
    });
    expect(await fieldsOf(admin().pools.create({ ...base, rangeStart: "198.18.7.30" }))).toMatchObject({
      rangeEnd: "the range ends before it starts",
    });
    expect(await fieldsOf(admin().pools.create({ ...base, cidr: "198.18.7.0/33" }))).toHaveProperty("cidr");
    expect(await fieldsOf(admin().pools.create({ ...base, rangeStart: "fd00::1" }))).toMatchObject({
      rangeStart: "the subnet is IPv4",
    });
    expect(await fieldsOf(admin().pools.create({ ...base, rangeStart: "nonsense" }))).toMatchObject({
      rangeStart: "not an IPv4 or IPv6 address",
    });
    expect(await fieldsOf(admin().pools.create({ ...base, kind: "veth" }))).toHaveProperty("network");
    expect(await fieldsOf(admin().pools.create({ ...base, network: "lan" }))).toHaveProperty("network");
    // overlapping the world's public-v4 range (198.18.0.10–99), whatever the pool's own subnet
    const o = await expectCode(
      admin().pools.create({ ...base, cidr: "198.18.0.64/26", rangeStart: "198.18.0.90", rangeEnd: "198.18.0.120" }),
      "CONFLICT",
    );
    expect(o.message).toMatch(/overlaps pool "public-v4" \(198\.18\.0\.10–198\.18\.0\.99\)/);
    const dup = await expectCode(admin().pools.create({ ...base, name: "public-v4" }), "CONFLICT");
    expect(dup.message).toMatch(/already has a pool named "public-v4"/);
    await expectCode(admin().pools.create({ ...base, nodeId: "no-such-node" }), "NOT_FOUND");
    await expectCode(as(w, "resellerA").pools.create(base), "FORBIDDEN");
    expect(await w.db.ipPool.count()).toBe(before);
    // a range right after another one is fine
    const next = await admin().pools.create({
      ...base,
      name: "after",
      cidr: "198.18.0.0/24",
      rangeStart: "198.18.0.100",
      rangeEnd: "198.18.0.100",
    });
    expect(next.total).toBe(1);
    await admin().pools.delete({ poolId: next.id });
  });

  it("engine networks: list with pools, delete refused while a pool or container uses it", async () => {
    const nets = await admin().nodes.networks({ nodeId: w.node.id });
    expect(nets.find((n) => n.name === "lan")).toMatchObject({ bridge: "br-lan", pools: ["lan"] });
    const e = await expectCode(admin().nodes.deleteNetwork({ nodeId: w.node.id, name: "lan" }), "CONFLICT");
    expect(e.message).toMatch(/used by IP pool\(s\) "lan"/);
    expect(fakeEngine().networks.has("lan")).toBe(true);
    await expectCode(admin().nodes.createNetwork({ nodeId: w.node.id, name: "lan", bridge: "br-x" }), "BAD_REQUEST");
    await expectCode(
      admin().nodes.createNetwork({ nodeId: w.node.id, name: "Bad Name", bridge: "br-x" }),
      "BAD_REQUEST",
    );
    await expectCode(admin().nodes.deleteNetwork({ nodeId: w.node.id, name: "missing" }), "NOT_FOUND");
    await admin().nodes.createNetwork({ nodeId: w.node.id, name: "tmp", bridge: "br-tmp" });
    expect(await admin().nodes.deleteNetwork({ nodeId: w.node.id, name: "tmp" })).toEqual({ ok: true });
    expect(fakeEngine().networks.has("tmp")).toBe(false);
    expect(
      (
        await w.db.auditLog.findMany({
          where: { action: { in: ["network.create", "network.delete"] } },
          orderBy: { id: "asc" },
        })
      ).map((a) => `${a.action} ${a.target}`),
    ).toEqual([
      "network.create network lan on node local",
      "network.create network tmp on node local",
      "network.delete network tmp on node local",
    ]);
    // no pool uses it but a container does: the engine refuses (BUSY → CONFLICT)
    await admin().nodes.createNetwork({ nodeId: w.node.id, name: "side", bridge: "br-side" });
    await fakeEngine().call("container.create", {
      ctid: 9999,
      template: "busybox",
      net: { nics: [{ type: "veth", network: "side" }] },
    });
    const busy = await expectCode(
      admin().nodes.deleteNetwork({ nodeId: w.node.id, name: "side" }),
      "CONFLICT",
      "ENGINE_BUSY",
    );
    expect(busy.message).toMatch(/used by container\(s\) 9999/);
    expect((await admin().nodes.networks({ nodeId: w.node.id })).find((n) => n.name === "side")).toMatchObject({
      containers: [9999],
      pools: [],
    });
    await fakeEngine().call("container.destroy", { ctid: 9999, force: true });
    await admin().nodes.deleteNetwork({ nodeId: w.node.id, name: "side" });
  });

  it("create assigns the plan's addresses (lowest free) and hands them to the engine; destroy releases them", async () => {
    const plan = await admin().plans.create({
      name: "two-ips",
      limits: { cpus: 1 },
      bandwidthMbps: 100,
      ipCount: 2,
      templates: ["busybox"],
    });
    const op = await direct("two.test", plan.id);
    const id = op.containerId!;
    // assigned with the row, before the engine ran
    expect(await addrs(id)).toEqual(["198.18.0.15", "198.18.0.16"]);
    expect((await finish(op.id)).status).toBe("succeeded");
    const ctid = (await w.db.container.findUniqueOrThrow({ where: { id } })).ctid;
    expect(fakeEngine().nets.get(ctid)).toMatchObject({
      venet: ["198.18.0.15", "198.18.0.16"],
      nics: [],
      rate: { inKbit: 100_000, outKbit: 100_000 },
      firewall: { enabled: false },
    });
    expect(fakeEngine().containers.get(ctid)!.ips).toEqual(["198.18.0.15", "198.18.0.16"]);
    const listed = (await admin().containers.list()).find((c) => c.id === id)!;
    expect(listed.ips).toEqual(["198.18.0.15", "198.18.0.16"]);

    const destroy = await admin().containers.destroy({ containerId: id, confirmHostname: "two.test" });
    expect((await finish(destroy.id)).status).toBe("succeeded");
    expect(await w.db.ipAddress.count({ where: { address: { in: ["198.18.0.15", "198.18.0.16"] } } })).toBe(0);
    const lines = (await w.db.operationLine.findMany({ where: { operationId: destroy.id } })).map((l) => l.line);
    expect(lines).toContain("2 IP address(es) released");
    // the freed addresses are the lowest free ones again
    const again = await direct("again.test");
    expect(await addrs(again.containerId!)).toEqual(["198.18.0.15"]);
    await finish(again.id);
  });

  it("six concurrent creates never get the same address", async () => {
    await w.db.allocation.update({
      where: { tenantId: w.a.tenant.id },
      data: { containers: 20, cpus: 20, ramMb: 100_000, diskMb: 100_000, ipCount: 100 },
    });
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) =>
        as(w, "resellerA").containers.create({
          tenantId: w.a.customers[i % 2]!.tenant.id,
          planId: w.a.plan.id,
          hostname: `par${i}.test`,
          template: "busybox",
        }),
      ),
    );
    await waitForAllOperations();
    expect(results.map((r) => r.status)).toEqual(Array(6).fill("fulfilled"));
    const rows = await w.db.container.findMany({
      where: { hostname: { startsWith: "par" } },
      include: { addresses: true },
    });
    expect(rows).toHaveLength(6);
    const all = rows.flatMap((r) => r.addresses.map((a) => a.address));
    expect(all).toHaveLength(6);
    expect(new Set(all).size).toBe(6);
    expect(all.sort()).toEqual([
      "198.18.0.16",
      "198.18.0.17",
      "198.18.0.18",
      "198.18.0.19",
      "198.18.0.20",
      "198.18.0.21",
    ]);
    for (const r of rows) expect(fakeEngine().nets.get(r.ctid)!.venet).toEqual(r.addresses.map((a) => a.address));
    // the database itself refuses a second holder of an address on the node
    const dup = await w.db.ipAddress
      .create({ data: { poolId: w.pool.id, nodeId: w.node.id, address: "198.18.0.16" } })
      .then(
        () => null,
        (e: { code?: string }) => e.code,
      );
    expect(dup).toBe("P2002");
  });

  it("an exhausted pool or a node without a pool fails before the engine: no row, no address, no operation", async () => {
    const tiny = await admin().pools.create({
      nodeId: w.node.id,
      name: "tiny6",
      kind: "venet",
      cidr: "fd00:99::/120",
      rangeStart: "fd00:99::1",
      rangeEnd: "fd00:99::1",
    });
    // fill public-v4 (90 addresses) except none: reserve every free one
    const taken = new Set((await w.db.ipAddress.findMany({ where: { poolId: w.pool.id } })).map((a) => a.address));
    const free = Array.from({ length: 90 }, (_, i) => `198.18.0.${10 + i}`).filter((a) => !taken.has(a));
    await w.db.ipAddress.createMany({
      data: free.slice(0, -1).map((address) => ({ poolId: w.pool.id, nodeId: w.node.id, address })),
    });
    const last = free[free.length - 1]!;
    const plan = await admin().plans.create({
      name: "three-ips",
      limits: { cpus: 1 },
      bandwidthMbps: 0,
      ipCount: 3,
      templates: ["busybox"],
    });
    const before = {
      c: await w.db.container.count(),
      a: await w.db.ipAddress.count(),
      o: await w.db.operation.count(),
      e: fakeEngine().containers.size,
    };
    const e = await expectCode(direct("full.test", plan.id), "CONFLICT", "CONFLICT");
    expect(e.message).toContain("Not enough free venet addresses on node local: 3 needed");
    expect(e.message).toContain(`pool "public-v4" (198.18.0.10–198.18.0.99): 1 free`);
    expect(e.message).toContain(`pool "tiny6" (fd00:99::1–fd00:99::1): 1 free`);
    expect(e.message).toMatch(/IP pools page/);
    expect({
      c: await w.db.container.count(),
      a: await w.db.ipAddress.count(),
      o: await w.db.operation.count(),
      e: fakeEngine().containers.size,
    }).toEqual(before);
    expect(await w.db.container.count({ where: { hostname: "full.test" } })).toBe(0);

    // two fit: the last v4 address, then IPv6
    const ok = await direct(
      "two-families.test",
      (
        await admin().plans.create({
          name: "v4v6",
          limits: { cpus: 1 },
          bandwidthMbps: 0,
          ipCount: 2,
          templates: ["busybox"],
        })
      ).id,
    );
    expect(await addrs(ok.containerId!)).toEqual([last, "fd00:99::1"]);
    expect((await finish(ok.id)).status).toBe("succeeded");

    await w.db.ipAddress.deleteMany({ where: { containerId: null } });

    // a node without pools says so, and what to do
    // a row, not nodes.create: on SQLite the panel refuses a second node (this is about pools, on both databases)
    const node2 = await w.db.node.create({ data: { name: "node-2", endpoint: "/run/ovz-test/node-2.sock" } });
    const none = await expectCode(direct("elsewhere.test", w.platformPlan.id, { nodeId: node2.id }), "CONFLICT");
    expect(none.message).toBe(
      "Node node-2 has no venet IP pool, so no address can be assigned. An administrator must add one on the IP pools page (or use a plan with 0 IP addresses).",
    );
    const none6 = await expectCode(
      direct("elsewhere.test", w.platformPlan.id, { nodeId: node2.id, netMode: "veth" }),
      "CONFLICT",
    );
    expect(none6.message).toMatch(/^Node node-2 has no veth IP pool/);
    expect(await w.db.container.count({ where: { hostname: "elsewhere.test" } })).toBe(0);
    // a plan without addresses needs no pool; mode none gets no address either
    const zero = await direct(
      "zero.test",
      (
        await admin().plans.create({
          name: "no-ips",
          limits: { cpus: 1 },
          bandwidthMbps: 0,
          ipCount: 0,
          templates: ["busybox"],
        })
      ).id,
      { nodeId: node2.id },
    );
    expect((await finish(zero.id)).status).toBe("succeeded");
    expect(await addrs(zero.containerId!)).toEqual([]);
    const zeroCt = await w.db.container.findUniqueOrThrow({ where: { id: zero.containerId! } });
    expect(fakeEngineFor("/run/ovz-test/node-2.sock").nets.get(zeroCt.ctid)).toMatchObject({ venet: [], nics: [] });
    const isolated = await direct("isolated.test", w.platformPlan.id, { netMode: "none" });
    expect((await finish(isolated.id)).status).toBe("succeeded");
    expect(await addrs(isolated.containerId!)).toEqual([]);
    expect((await w.db.container.findUniqueOrThrow({ where: { id: isolated.containerId! } })).netMode).toBe("none");
    await admin()
      .pools.delete({ poolId: tiny.id })
      .catch(() => {});
  });

  it("a failed engine create releases its addresses with the row", async () => {
    fakeEngine().failNext.set("container.create", new EngineError("NO_SPACE", "storage pool is full"));
    const hold = holdEngine("container.create");
    let op;
    let held: string;
    try {
      op = await direct("doomed-net.test");
      const mine = await addrs(op.containerId!);
      expect(mine).toHaveLength(1);
      held = mine[0]!;
    } finally {
      hold.restore();
    }
    const id = op.containerId!;
    expect((await finish(op.id)).status).toBe("failed");
    expect(await w.db.container.findUnique({ where: { id } })).toBeNull();
    expect(await w.db.ipAddress.count({ where: { address: held } })).toBe(0);
  });

  it("veth mode: one eth0 on the pool's network with the addresses; reinstall keeps them", async () => {
    const op = await direct("bridged.test", w.platformPlan.id, { netMode: "veth" });
    expect((await finish(op.id)).status).toBe("succeeded");
    const c = await w.db.container.findUniqueOrThrow({ where: { id: op.containerId! } });
    expect(c.netMode).toBe("veth");
    expect(await addrs(c.id)).toEqual(["198.18.6.10"]);
    const net = fakeEngine().nets.get(c.ctid)!;
    expect(net.venet).toEqual([]);
    expect(net.nics).toEqual([
      {
        type: "veth",
        name: "eth0",
        network: "lan",
        ips: ["198.18.6.10"],
        antiSpoof: true,
        mac: expect.stringMatching(/^02:00:/),
      },
    ]);
    expect((await admin().nodes.networks({ nodeId: w.node.id })).find((n) => n.name === "lan")!.containers).toEqual([
      c.ctid,
    ]);
    expect((await admin().pools.list()).find((p) => p.name === "lan")).toMatchObject({ used: 1, total: 11 });

    await admin().containers.setFirewall({
      containerId: c.id,
      firewall: {
        enabled: true,
        policyIn: "drop",
        policyOut: "accept",
        rules: [{ direction: "in", action: "accept", proto: "tcp", ports: "22" }],
      },
    });
    const re = await as(w, "direct").containers.reinstall({ containerId: c.id, template: "busybox", confirm: true });
    expect((await finish(re.id)).status).toBe("succeeded");
    const after = fakeEngine().nets.get(c.ctid)!;
    expect(after.nics[0]).toMatchObject({ type: "veth", network: "lan", ips: ["198.18.6.10"] });
    expect(after.firewall).toMatchObject({
      enabled: true,
      policyIn: "drop",
      rules: [{ direction: "in", action: "accept", proto: "tcp", ports: "22" }],
    });
    expect(await addrs(c.id)).toEqual(["198.18.6.10"]);
  });

  it("addIp / removeIp: live through container.net.set; resellers stay within the plan; engine failures change nothing", async () => {
    const c = a1();
    await w.db.container.update({ where: { id: c.id }, data: { state: "running" } });
    await fakeEngine().call("container.start", { ctid: c.ctid });
    const start = await addrs(c.id);
    expect(start).toEqual(["198.18.0.10"]);
    // reseller: the plan gives one address, the container has it
    const q = await expectCode(
      as(w, "resellerA").containers.addIp({ containerId: c.id }),
      "FORBIDDEN",
      "QUOTA_EXCEEDED",
    );
    expect(q.message).toMatch(/plan "small-a" gives a container 1 IP address\(es\) and this one has 1/);
    await expectCode(as(w, "customerA1").containers.addIp({ containerId: c.id }), "FORBIDDEN");
    expect(await addrs(c.id)).toEqual(start);

    // admin: beyond the plan; lowest free address; applied live
    const usedIps = (await as(w, "resellerA").allocations.get({ tenantId: w.a.tenant.id })).used.ipCount;
    const sets = fakeEngine().netSets.length;
    const r = await admin().containers.addIp({ containerId: c.id });
    const added = r.address;
    expect(r.appliedLive).toBe(true);
    expect(r.addresses.map((a) => a.address)).toEqual(["198.18.0.10", added]);
    expect(r.addresses[1]).toMatchObject({
      family: 4,
      pool: { name: "public-v4", kind: "venet", cidr: "198.18.0.0/24", gateway: "198.18.0.1" },
    });
    expect(await addrs(c.id)).toEqual(["198.18.0.10", added].sort());
    expect(fakeEngine().netSets.slice(sets)).toEqual([{ ctid: c.ctid, net: { venet: ["198.18.0.10", added] } }]);
    expect(fakeEngine().nets.get(c.ctid)!.venet).toEqual(["198.18.0.10", added]);
    // it counts against reseller A's allocation (2 addresses on a one-address plan)
    expect((await as(w, "resellerA").allocations.get({ tenantId: w.a.tenant.id })).used.ipCount).toBe(usedIps + 1);

    // IPv6 on request
    const v6 = await admin().pools.create({
      nodeId: w.node.id,
      name: "six",
      kind: "venet",
      cidr: "fd00:6::/64",
      rangeStart: "fd00:6::ffff:fffe",
      rangeEnd: "fd00:6::1:0:1",
    });
    const r6 = await admin().containers.addIp({ containerId: c.id, family: 6 });
    expect(r6.address).toBe("fd00:6::ffff:fffe");
    expect((await admin().containers.addIp({ containerId: c.id, family: 6 })).address).toBe("fd00:6::ffff:ffff");
    expect((await admin().containers.addIp({ containerId: c.id, family: 6 })).address).toBe("fd00:6::1:0:0");
    expect(fakeEngine().nets.get(c.ctid)!.venet).toEqual([
      "198.18.0.10",
      added,
      "fd00:6::ffff:fffe",
      "fd00:6::ffff:ffff",
      "fd00:6::1:0:0",
    ]);

    // removeIp: a reseller may; the engine gets the list without it
    const rm = await as(w, "resellerA").containers.removeIp({ containerId: c.id, address: "FD00:6::FFFF:FFFF" });
    expect(rm.addresses.map((a) => a.address)).toEqual(["198.18.0.10", added, "fd00:6::ffff:fffe", "fd00:6::1:0:0"]);
    expect(fakeEngine().netSets.at(-1)).toEqual({
      ctid: c.ctid,
      net: { venet: ["198.18.0.10", added, "fd00:6::ffff:fffe", "fd00:6::1:0:0"] },
    });
    expect(await w.db.ipAddress.count({ where: { address: "fd00:6::ffff:ffff" } })).toBe(0);
    const nf = await expectCode(
      admin().containers.removeIp({ containerId: c.id, address: "198.18.0.11" }),
      "NOT_FOUND",
    );
    expect(nf.message).toMatch(/198\.18\.0\.11 is not an address of this container/);
    await expectCode(
      as(w, "resellerB").containers.removeIp({ containerId: c.id, address: "198.18.0.10" }),
      "NOT_FOUND",
    );
    await expectCode(
      as(w, "customerA1").containers.removeIp({ containerId: c.id, address: "198.18.0.10" }),
      "FORBIDDEN",
    );
    await expectCode(admin().containers.removeIp({ containerId: c.id, address: "not-an-ip" }), "BAD_REQUEST");

    // the engine refuses: nothing changes in the database
    const rows = await w.db.ipAddress.count();
    fakeEngine().failNext.set("container.net.set", new EngineError("HOST_TOOL_FAILED", "ip addr add failed"));
    await expectCode(admin().containers.addIp({ containerId: c.id }), "INTERNAL_SERVER_ERROR");
    expect(await w.db.ipAddress.count()).toBe(rows);
    fakeEngine().failNext.set("container.net.set", new EngineError("HOST_TOOL_FAILED", "ip addr del failed"));
    await expectCode(
      admin().containers.removeIp({ containerId: c.id, address: "fd00:6::1:0:0" }),
      "INTERNAL_SERVER_ERROR",
    );
    expect(await addrs(c.id)).toContain("fd00:6::1:0:0");

    // back to the plan's single address; the last one cannot go while it runs (venet0 would go)
    for (const a of ["fd00:6::ffff:fffe", "fd00:6::1:0:0", added])
      await admin().containers.removeIp({ containerId: c.id, address: a });
    const lastOne = await expectCode(
      admin().containers.removeIp({ containerId: c.id, address: "198.18.0.10" }),
      "CONFLICT",
    );
    expect(lastOne.message).toMatch(/last address.*stopped/);
    expect(await addrs(c.id)).toEqual(["198.18.0.10"]);
    const audit = await w.db.auditLog.findMany({
      where: { action: { in: ["container.addIp", "container.removeIp"] }, tenantId: w.a.customers[0]!.tenant.id },
      orderBy: { id: "asc" },
    });
    expect(audit.map((x) => `${x.action} ${JSON.parse(x.details).address}`)).toEqual([
      `container.addIp ${added}`,
      "container.addIp fd00:6::ffff:fffe",
      "container.addIp fd00:6::ffff:ffff",
      "container.addIp fd00:6::1:0:0",
      "container.removeIp fd00:6::ffff:ffff",
      "container.removeIp fd00:6::ffff:fffe",
      "container.removeIp fd00:6::1:0:0",
      `container.removeIp ${added}`,
    ]);
    expect(JSON.parse(audit[0]!.details)).toEqual({ address: added, pool: "public-v4", live: true });
    await admin().pools.delete({ poolId: v6.id });

    // a reseller below the plan's count may add (within plan and allocation)
    await fakeEngine().call("container.stop", { ctid: c.ctid });
    await w.db.container.update({ where: { id: c.id }, data: { state: "stopped" } });
    await as(w, "resellerA").containers.removeIp({ containerId: c.id, address: "198.18.0.10" });
    expect(fakeEngine().nets.get(c.ctid)!.venet).toEqual([]);
    const back = await as(w, "resellerA").containers.addIp({ containerId: c.id });
    expect(back).toMatchObject({ address: "198.18.0.10", appliedLive: false });
  });

  it("an admin's address in no pool is accepted as a manual address of the node (vzctl --ipadd), never handed out twice", async () => {
    const { addIp, removeIp } = await import("../../services/network.js");
    const { createContainer } = await import("../../services/containers.js");
    const ctx = { db: w.db, actor: w.actors.admin, ip: null, userAgent: null };
    const full = (id: string) =>
      w.db.container.findUniqueOrThrow({ where: { id }, include: { plan: true, node: true, tenant: true } });
    const c = await full(a1().id);
    // outside every pool (the world's pool is 198.18.0.10-99): recorded under the node's manual pool
    const r = await addIp(ctx, c, { address: "198.18.5.7" });
    expect(r.address).toBe("198.18.5.7");
    expect(r.addresses.find((x) => x.address === "198.18.5.7")!.pool).toMatchObject({
      name: "manual-v4",
      kind: "manual",
    });
    expect(fakeEngine().nets.get(c.ctid)!.venet).toContain("198.18.5.7");
    const v6 = await addIp(ctx, c, { address: "2001:db8:77::7" });
    expect(v6.addresses.find((x) => x.address === "2001:db8:77::7")!.pool).toMatchObject({
      name: "manual-v6",
      kind: "manual",
    });
    // refused only when another container holds it, naming which
    const other = await full(w.b.customers[0]!.container.id);
    await expect(addIp(ctx, other, { address: "198.18.5.7" })).rejects.toMatchObject({
      code: "CONFLICT",
      message: `198.18.5.7 is already assigned to container ${c.ctid}; choose another address.`,
    });
    // and not by a create that names it
    await expect(
      createContainer(ctx, null, {
        tenantId: w.direct.id,
        planId: w.platformPlan.id,
        hostname: "dup.test",
        template: "busybox",
        addresses: ["198.18.5.7"],
      }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
    // a pool made later over it never hands it out
    const p = await admin().pools.create({
      nodeId: w.node.id,
      name: "later",
      kind: "venet",
      cidr: "198.18.5.0/24",
      rangeStart: "198.18.5.7",
      rangeEnd: "198.18.5.8",
    });
    const { pickAddresses } = await import("../../services/ipam.js");
    const freeInWorldPool = 90 - (await w.db.ipAddress.count({ where: { poolId: w.pool.id } }));
    const everyFree = (await pickAddresses(w.db, w.node, "venet", freeInWorldPool + 1)).map((x) => x.address);
    expect(everyFree).toContain("198.18.5.8");
    expect(everyFree).not.toContain("198.18.5.7");
    await expect(pickAddresses(w.db, w.node, "venet", freeInWorldPool + 2)).rejects.toMatchObject({ code: "CONFLICT" });
    // the pools page shows the manual pool with its count, no range to fill
    const listed = (await admin().pools.list()).find((x) => x.name === "manual-v4")!;
    expect(listed).toMatchObject({ kind: "manual", used: 1, total: null });
    // removing it frees it; cleanup
    await removeIp(ctx, await full(c.id), "198.18.5.7");
    await removeIp(ctx, await full(c.id), "2001:db8:77::7");
    expect(await w.db.ipAddress.count({ where: { address: { in: ["198.18.5.7", "2001:db8:77::7"] } } })).toBe(0);
    await admin().pools.delete({ poolId: p.id });
    // resellers never choose addresses; veth addresses must come from a pool of the network
    const reseller = { ...ctx, actor: w.actors.resellerA };
    await expect(addIp(reseller, await full(c.id), { address: "198.18.5.9" })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
  });

  it("setFirewall: owners set it (validated by the engine's schema), it is stored and applied; bad rules are BAD_REQUEST with fields", async () => {
    const c = w.b.customers[0]!.container;
    const fw = {
      enabled: true,
      policyIn: "drop" as const,
      policyOut: "accept" as const,
      rules: [
        {
          direction: "in" as const,
          action: "accept" as const,
          proto: "tcp" as const,
          ports: "22",
          peer: "198.51.100.7/24",
          comment: "ssh from office",
        },
        { direction: "in" as const, action: "accept" as const, proto: "icmp" as const },
        { direction: "out" as const, action: "drop" as const, proto: "udp" as const, ports: "8000-8100" },
      ],
    };
    const r = await as(w, "customerB1").containers.setFirewall({ containerId: c.id, firewall: fw });
    expect(r.appliedLive).toBe(false);
    // stored and applied exactly as the engine's schema parsed it
    expect(r.firewall.rules[0]).toEqual({
      direction: "in",
      action: "accept",
      proto: "tcp",
      ports: "22",
      peer: "198.51.100.7/24",
      comment: "ssh from office",
    });
    const stored = JSON.parse((await w.db.container.findUniqueOrThrow({ where: { id: c.id } })).firewall);
    expect(stored).toEqual(r.firewall);
    expect(fakeEngine().nets.get(c.ctid)!.firewall).toEqual(r.firewall);
    expect((await as(w, "customerB1").containers.network({ containerId: c.id })).firewall).toEqual(r.firewall);
    const audit = await w.db.auditLog.findFirstOrThrow({
      where: { action: "container.setFirewall", tenantId: w.b.customers[0]!.tenant.id },
    });
    expect(JSON.parse(audit.details)).toEqual({
      enabled: true,
      policyIn: "drop",
      policyOut: "accept",
      rules: 3,
      live: false,
    });
    // the reseller and the admin may as well; another customer may not even see it
    await as(w, "resellerB").containers.setFirewall({ containerId: c.id, firewall: { ...fw, enabled: false } });
    await expectCode(as(w, "customerA1").containers.setFirewall({ containerId: c.id, firewall: fw }), "NOT_FOUND");

    /** The refused call's first zod issue: its input path and message. */
    const bad = async (firewall: unknown) => {
      const e = await expectCode(
        as(w, "customerB1").containers.setFirewall({ containerId: c.id, firewall: firewall as typeof fw }),
        "BAD_REQUEST",
      );
      expect(e.cause).toBeInstanceOf(ZodError);
      const i = (e.cause as ZodError).issues[0]!;
      return `${i.path.join(".")}: ${i.message}`;
    };
    const before = (await w.db.container.findUniqueOrThrow({ where: { id: c.id } })).firewall;
    const sets = fakeEngine().netSets.length;
    expect(await bad({ ...fw, rules: [{ direction: "in", action: "accept", proto: "icmp", ports: "22" }] })).toBe(
      "firewall.rules.0.ports: ports need the protocol tcp or udp",
    );
    expect(await bad({ ...fw, rules: [{ direction: "in", action: "accept", proto: "tcp", ports: "70000" }] })).toBe(
      "firewall.rules.0.ports: ports are 1-65535 (70000 is not)",
    );
    expect(
      await bad({ ...fw, rules: [{ direction: "in", action: "accept", proto: "tcp", peer: "not-a-net" }] }),
    ).toMatch(/^firewall\.rules\.0\.peer: not an address\/prefix/);
    expect(await bad({ ...fw, rules: [{ direction: "sideways", action: "accept" }] })).toMatch(
      /^firewall\.rules\.0\.direction: /,
    );
    expect(await bad({ ...fw, policyIn: "reject" })).toMatch(/^firewall\.policyIn: /);
    expect(await bad({ ...fw, rules: [{ direction: "in", action: "accept", comment: 'say "hi"' }] })).toBe(
      "firewall.rules.0.comment: no quotes, backslashes or newlines",
    );
    expect(await bad({ ...fw, rules: [{ direction: "in", action: "accept", proto: "tcp", ports: "9000-8000" }] })).toBe(
      "firewall.rules.0.ports: the range 9000-8000 goes from high to low; write it as 8000-9000",
    );
    expect(await bad({ ...fw, rules: [{ direction: "in", action: "accept", extra: 1 }] })).toMatch(
      /^firewall\.rules\.0: Unrecognized key/,
    );
    expect((await w.db.container.findUniqueOrThrow({ where: { id: c.id } })).firewall).toBe(before);
    expect(fakeEngine().netSets.length).toBe(sets);
  });

  it("firewall validation errors reach the client as field errors (error formatter)", async () => {
    const c = w.b.customers[0]!.container;
    const { appRouter } = await import("../../routers/index.js");
    const { makeContext } = await import("../../trpc/context.js");
    const e = await expectCode(
      as(w, "customerB1").containers.setFirewall({
        containerId: c.id,
        firewall: {
          enabled: true,
          policyIn: "drop",
          policyOut: "accept",
          rules: [{ direction: "in", action: "accept", proto: "icmp", ports: "22" }],
        },
      }),
      "BAD_REQUEST",
    );
    // the formatter (server/trpc/init.ts) turns the zod issue into fields keyed by the input path
    const shape = appRouter._def._config.errorFormatter({
      error: e,
      type: "mutation",
      path: "containers.setFirewall",
      input: undefined,
      ctx: makeContext({ db: w.db, actor: null }),
      shape: { message: e.message, code: -32600, data: { code: "BAD_REQUEST", httpStatus: 400 } },
    }) as { message: string; data: { domainCode: string; fields: Record<string, string> } };
    expect(shape.data.domainCode).toBe("BAD_REQUEST");
    // a sentence for the field; the summary names the rule, never the input path (issue 17)
    expect(shape.data.fields).toEqual({ "firewall.rules.0.ports": "Ports need the protocol tcp or udp." });
    expect(shape.message).toBe("Rule 1, ports: ports need the protocol tcp or udp.");
  });

  it("setNetMode (admin, stopped only): re-assigns addresses from pools of the new kind, releases the old ones", async () => {
    const c = w.b.customers[1]!.container;
    expect(await addrs(c.id)).toEqual(["198.18.0.13"]);
    await expectCode(as(w, "resellerB").containers.setNetMode({ containerId: c.id, mode: "veth" }), "FORBIDDEN");
    await fakeEngine().call("container.start", { ctid: c.ctid });
    const running = await expectCode(admin().containers.setNetMode({ containerId: c.id, mode: "veth" }), "CONFLICT");
    expect(running.message).toMatch(/Stop the container first.*running/);
    await fakeEngine().call("container.stop", { ctid: c.ctid });
    await expectCode(admin().containers.setNetMode({ containerId: c.id, mode: "venet" }), "BAD_REQUEST");

    const used = new Set((await w.db.ipAddress.findMany({ where: { pool: { name: "lan" } } })).map((a) => a.address));
    const r = await admin().containers.setNetMode({ containerId: c.id, mode: "veth" });
    expect(r.netMode).toBe("veth");
    expect(r.addresses).toHaveLength(1);
    const vethAddr = r.addresses[0]!.address;
    expect(used.has(vethAddr)).toBe(false);
    expect(r.addresses[0]!.pool).toMatchObject({ name: "lan", kind: "veth", network: "lan" });
    expect(await addrs(c.id)).toEqual([vethAddr]);
    expect(await w.db.ipAddress.count({ where: { address: "198.18.0.13" } })).toBe(0);
    expect((await w.db.container.findUniqueOrThrow({ where: { id: c.id } })).netMode).toBe("veth");
    const net = fakeEngine().nets.get(c.ctid)!;
    expect(net.venet).toEqual([]);
    expect(net.nics).toMatchObject([{ type: "veth", name: "eth0", network: "lan", ips: [vethAddr] }]);

    // the engine refuses: mode and addresses stay as they were
    fakeEngine().failNext.set(
      "container.net.set",
      new EngineError("NOT_FOUND", 'network "lan" does not exist on this node'),
    );
    await expectCode(admin().containers.setNetMode({ containerId: c.id, mode: "venet" }), "NOT_FOUND");
    expect((await w.db.container.findUniqueOrThrow({ where: { id: c.id } })).netMode).toBe("veth");
    expect(await addrs(c.id)).toEqual([vethAddr]);

    const none = await admin().containers.setNetMode({ containerId: c.id, mode: "none" });
    expect(none.addresses).toEqual([]);
    expect(await addrs(c.id)).toEqual([]);
    expect(fakeEngine().nets.get(c.ctid)).toMatchObject({ venet: [], nics: [] });
    // from none: the plan's count again
    const back = await admin().containers.setNetMode({ containerId: c.id, mode: "venet" });
    expect(back.addresses).toHaveLength(1);
    expect(fakeEngine().nets.get(c.ctid)!.venet).toEqual([back.addresses[0]!.address]);
    const audit = await w.db.auditLog.findMany({
      where: { action: "container.setNetMode", tenantId: w.b.customers[1]!.tenant.id },
      orderBy: { id: "asc" },
    });
    expect(audit.map((a) => JSON.parse(a.details))).toEqual([
      { from: "venet", to: "veth", released: ["198.18.0.13"], assigned: [vethAddr] },
      { from: "veth", to: "none", released: [vethAddr], assigned: [] },
      { from: "none", to: "venet", released: [], assigned: [back.addresses[0]!.address] },
    ]);
  });

  it("network view: addresses, mode, firewall, rate, and live counters while running", async () => {
    const c = w.directContainer;
    const stopped = await as(w, "direct").containers.network({ containerId: c.id });
    expect(stopped).toMatchObject({
      netMode: "venet",
      addresses: [{ address: "198.18.0.14", family: 4, pool: { name: "public-v4" } }],
      firewall: { enabled: false, rules: [] },
      rate: { inKbit: 0, outKbit: 0 },
      throttled: false,
      plan: { ipCount: 1, bandwidthMbps: 0, trafficQuotaGb: 0, throttleKbit: 1024 },
      stats: { available: true, running: false, ifaces: [] },
    });
    await fakeEngine().call("container.start", { ctid: c.ctid });
    fakeEngine().trafficTick(c.ctid, 5000, 700);
    const live = await as(w, "direct").containers.network({ containerId: c.id });
    expect(live.stats).toMatchObject({
      available: true,
      running: true,
      ifaces: [{ name: "venet0", hostIf: `vn${c.ctid}`, rxBytes: 5000, txBytes: 700 }],
    });
    fakeEngine().failNext.set("container.net.stats", new EngineError("INTERNAL", "cannot reach the host engine"));
    expect((await as(w, "direct").containers.network({ containerId: c.id })).stats).toEqual({
      available: false,
      reason: "cannot reach the host engine",
    });
    await expectCode(as(w, "customerA1").containers.network({ containerId: c.id }), "NOT_FOUND");
    await fakeEngine().call("container.stop", { ctid: c.ctid });
  });

  it("pools.delete is refused while addresses are assigned, then works", async () => {
    const e = await expectCode(admin().pools.delete({ poolId: w.pool.id }), "CONFLICT");
    expect(e.message).toMatch(
      /Pool "public-v4" still has \d+ assigned address\(es\): 198\.18\.0\.\d+ \(container \d+\)/,
    );
    expect(await w.db.ipPool.count({ where: { id: w.pool.id } })).toBe(1);
    const p = await admin().pools.create({
      nodeId: w.node.id,
      name: "empty",
      kind: "venet",
      cidr: "203.0.113.0/24",
      rangeStart: "203.0.113.1",
      rangeEnd: "203.0.113.2",
    });
    expect(await admin().pools.delete({ poolId: p.id })).toEqual({ ok: true });
    expect(await w.db.ipPool.count({ where: { id: p.id } })).toBe(0);
    expect(await w.db.auditLog.count({ where: { action: "pool.delete", target: "pool empty on node local" } })).toBe(1);
    await expectCode(admin().pools.delete({ poolId: p.id }), "NOT_FOUND");
  });
});
