/**
 * The panel's usage sampler (server/services/usage.ts) against the real engine and real containers, on a
 * migrated SQLite database: a container burning one CPU shows the CPU time the kernel accounted to it (~100 % of
 * one core on an idle host, less when other work shares the cores), an idle one ~0 %, and a
 * 64 MiB write into a tmpfs inside a container shows in its RAM sample (tmpfs pages are charged to its
 * memory cgroup).
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createDb, type Db } from "../../../server/db/client.js";
import { resetEngines } from "../../../server/engine/index.js";
import { seed } from "../../../server/seed.js";
import { resetUsageCaches, sampleUsage } from "../../../server/services/usage.js";
import { describeRoot } from "../helpers/root.js";
import { cpuPercent, kernelCpu } from "../helpers/kernel-cpu.js";
import { REPO, startTestEngine, type TestEngine } from "../helpers/engine.js";

const BURN = 311;
const IDLE = 312;
const MiB = 1024 * 1024;
let te: TestEngine;
let db: Db;
let dir: string;
let nodeId: string;
const ids = new Map<number, string>();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sh = (ctid: number, script: string) =>
  te.client.call("container.exec", { ctid, argv: ["sh", "-c", script], timeoutMs: 60_000 });
const latest = async (ctid: number) =>
  (
    await db.usageSample.findMany({
      where: { containerId: ids.get(ctid)!, tier: 10 },
      orderBy: { at: "desc" },
      take: 1,
    })
  )[0];

describeRoot("usage sampler on real containers", () => {
  beforeAll(async () => {
    process.env.OVZ_PANEL_ENGINE = "socket";
    resetEngines();
    resetUsageCaches();
    te = await startTestEngine();
    await te.client.call("template.build", { kind: "busybox" });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ovz-usage-"));
    const dbUrl = `file:${path.join(dir, "panel.db")}`;
    await new Promise<void>((resolve, reject) =>
      execFile(
        process.execPath,
        ["--import", "tsx", path.join(REPO, "server/db/migrate.ts")],
        { env: { ...process.env, DATABASE_URL: dbUrl }, cwd: REPO },
        (e) => (e ? reject(e) : resolve()),
      ),
    );
    db = createDb(dbUrl);
    await seed(db, {
      email: "admin@usage.test",
      password: "usage-admin-password",
      socket: te.env.OVZ_SOCKET!,
      defaultPool: false,
    });
    const node = await db.node.findFirstOrThrow();
    nodeId = node.id;
    const plan = await db.plan.findFirstOrThrow();
    const platform = await db.tenant.findFirstOrThrow({ where: { kind: "platform" } });
    for (const ctid of [BURN, IDLE]) {
      // two vCPUs (the host has two cores) and no CPU cap: one busy loop may use a whole core
      await te.client.call("container.create", {
        ctid,
        template: "busybox",
        hostname: `u${ctid}`,
        limits: { ram: 256 * MiB, cpus: 2, cpulimit: 0 },
      });
      await te.client.call("container.start", { ctid });
      const row = await db.container.create({
        data: {
          ctid,
          nodeId,
          tenantId: platform.id,
          planId: plan.id,
          hostname: `u${ctid}.test`,
          template: "busybox",
          state: "running",
        },
      });
      ids.set(ctid, row.id);
    }
  }, 300_000);

  afterAll(async () => {
    await db?.$disconnect();
    resetEngines();
    await te?.cleanup();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a container burning one CPU samples at the CPU share the kernel accounted to it, an idle one near 0", async () => {
    // the busy loop runs for 20 s in the background; the container's destroy ends it in any case
    expect((await sh(BURN, "timeout 20 sh -c 'while :; do :; done' </dev/null >/dev/null 2>&1 &")).code).toBe(0);
    await sleep(500);
    // the truth to compare with: the kernel's own counter read just before the first sample and just after the
    // second (on an idle host the loop gets a whole core; on a loaded one less, and the sample must say so)
    const k0 = await kernelCpu(te, BURN);
    const first = await sampleUsage(db, nodeId);
    expect(first).toMatchObject({ sampled: 2, rows: 0, fresh: 2, diskReads: 2 }); // counters only
    await sleep(3000);
    const t = performance.now();
    const second = await sampleUsage(db, nodeId);
    const ms = performance.now() - t;
    const k1 = await kernelCpu(te, BURN);
    const kernelPct = cpuPercent(k0, k1);
    expect(second).toMatchObject({ sampled: 2, rows: 2, fresh: 0, diskReads: 0 });
    const burn = (await latest(BURN))!;
    const idle = (await latest(IDLE))!;
    console.log(
      `burning: ${burn.cpuPct.toFixed(1)} % (kernel: ${kernelPct.toFixed(1)} %) · idle: ${idle.cpuPct.toFixed(2)} % · sample of 2 containers: ${ms.toFixed(1)} ms`,
    );
    expect(kernelPct, "the busy loop ran").toBeGreaterThan(20);
    expect(Math.abs(burn.cpuPct - kernelPct)).toBeLessThanOrEqual(Math.max(10, kernelPct * 0.15));
    expect(burn.cpuPct).toBeLessThanOrEqual(120); // one loop, at most one core
    expect(idle.cpuPct).toBeLessThan(5);
    expect(Number(burn.diskBytes)).toBeGreaterThan(0);
    expect(burn.nproc).toBeGreaterThanOrEqual(2);
    // the hour's row is a time integral (cpuPct/100 × 3600 s = core-seconds): the CPU time between the two samples
    const r3600 = await db.usageSample.findFirstOrThrow({ where: { containerId: ids.get(BURN)!, tier: 3600 } });
    const coreSeconds = (r3600.cpuPct / 100) * 3600;
    const kernelSeconds = (k1.ns - k0.ns) / 1e9;
    console.log(`hourly row so far: ${coreSeconds.toFixed(2)} core-seconds (kernel: ${kernelSeconds.toFixed(2)})`);
    // the kernel's window also holds the samplers' own run time (0.6 s each on a loaded host), the row's does not
    expect(coreSeconds).toBeGreaterThan(kernelSeconds * 0.7);
    expect(coreSeconds).toBeLessThanOrEqual(kernelSeconds * 1.05);
  }, 60_000);

  it("64 MiB written to a tmpfs inside a container shows in its RAM sample", async () => {
    await sleep(1000);
    await sampleUsage(db, nodeId);
    const before = Number((await latest(IDLE))!.memBytes);
    const w = await sh(
      IDLE,
      "mkdir -p /mnt/t && mount -t tmpfs -o size=128m tmpfs /mnt/t && dd if=/dev/zero of=/mnt/t/fill bs=1M count=64 2>&1",
    );
    expect(w.code, w.stdout + w.stderr).toBe(0);
    await sleep(1000);
    await sampleUsage(db, nodeId);
    const after = Number((await latest(IDLE))!.memBytes);
    console.log(
      `RAM of the idle container: ${(before / MiB).toFixed(1)} MiB → ${(after / MiB).toFixed(1)} MiB after a 64 MiB tmpfs write`,
    );
    expect(after - before).toBeGreaterThanOrEqual(60 * MiB);
    expect(after - before).toBeLessThan(96 * MiB);
    // and it is freed with the tmpfs
    expect((await sh(IDLE, "umount /mnt/t")).code).toBe(0);
  }, 60_000);
});
