/**
 * cgroup v1 driver against the real kernel (root only). Creates a private cgroup "ovz-cgtest-<random>/1" in
 * every v1 controller, puts a `sleep 300` into it and checks that limits applied by the driver are what the
 * kernel holds and enforces: readback, raw file contents, memsw ordering, nested cpusets, I/O throttling,
 * OOM kill, pid limit, CPU throttling, pids(), and remove() (BUSY while populated). Everything created here
 * (cgroups, processes, temp files) is cleaned up in afterAll, killing only processes this file started.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync } from "node:fs";
import { mkdir, readFile, readdir, rmdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CgroupLimits } from "../../src/drivers/cgroup/types.js";
import { CgroupV1 } from "../../src/drivers/cgroup/v1.js";
import { isEngineError } from "../../src/errors.js";
import { describeRoot } from "../helpers/root.js";

const ROOT = "/sys/fs/cgroup";
const CONTROLLERS = ["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids"] as const;
const PARENT = `ovz-cgtest-${process.pid}-${randomBytes(3).toString("hex")}`;
const REL = `${PARENT}/1`;
const MiB = 1024 * 1024;

const isV1 =
  existsSync(path.join(ROOT, "memory", "cgroup.procs")) && existsSync(path.join(ROOT, "pids", "cgroup.procs"));
if (!isV1) console.warn(`\n!!! SKIPPED cgroup v1 root suite: ${ROOT} has no v1 memory/pids hierarchies !!!\n`);
const suite = isV1 ? describeRoot : describe.skip;

const cg = (controller: string, rel = REL) => path.join(ROOT, controller, rel);
const kernel = (controller: string, file: string, rel = REL) =>
  readFileSync(path.join(cg(controller, rel), file), "utf8").trim();

const children: ChildProcess[] = [];
let tmp = "";

/** The whole disk holding `dir` as "maj:min" (partition → its disk), or null (tmpfs, overlay, ...). */
function wholeDiskOf(dir: string): string | null {
  const dev = statSync(dir).dev;
  const major = Math.floor(dev / 256) & 0xfff;
  const minor = (dev & 0xff) | (Math.floor(dev / 4096) & 0xfff00);
  const sys = `/sys/dev/block/${major}:${minor}`;
  if (!existsSync(sys)) return null;
  const real = realpathSync(sys);
  const disk = existsSync(path.join(real, "partition")) ? path.dirname(real) : real;
  return readFileSync(path.join(disk, "dev"), "utf8").trim();
}

/** Start `script` under sh after the shell has moved itself into `dirs` (so every child starts inside). */
function spawnIn(dirs: string[], script: string): ChildProcess {
  const enter = dirs.map((_, i) => `echo $$ > "$${i + 1}/cgroup.procs"`).join(" && ");
  const child = spawn("sh", ["-c", `${enter} && ${script}`, "sh", ...dirs], { stdio: ["ignore", "ignore", "pipe"] });
  child.stderr!.resume();
  children.push(child);
  return child;
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function procsUnder(dir: string): Promise<number[]> {
  const out: number[] = [];
  const walk = async (d: string) => {
    let ents;
    try {
      ents = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    const t = await readFile(path.join(d, "cgroup.procs"), "utf8").catch(() => "");
    for (const l of t.split("\n")) if (/^\d+$/.test(l)) out.push(Number(l));
    for (const e of ents) if (e.isDirectory()) await walk(path.join(d, e.name));
  };
  await walk(dir);
  return out;
}

async function rmTree(dir: string): Promise<void> {
  let ents;
  try {
    ents = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of ents) if (e.isDirectory()) await rmTree(path.join(dir, e.name));
  for (let i = 0; i < 40; i++) {
    try {
      await rmdir(dir);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** mkdir `rel` level by level in every controller; new cpuset levels get cpus/mems from their parent. */
async function makeCgroup(rel: string, controllers: readonly string[] = CONTROLLERS): Promise<void> {
  for (const c of controllers) {
    const parts = rel.split("/");
    for (let i = 1; i <= parts.length; i++) {
      const dir = cg(c, parts.slice(0, i).join("/"));
      if (existsSync(dir)) continue;
      await mkdir(dir);
      if (c === "cpuset") {
        for (const f of ["cpuset.cpus", "cpuset.mems"]) {
          await writeFile(path.join(dir, f), readFileSync(path.join(path.dirname(dir), f), "utf8").trim());
        }
      }
    }
  }
}

let dev = "";
let sleeper: ChildProcess;
const drv = new CgroupV1({ removeGraceMs: 200 });

const base = (): CgroupLimits => ({
  ram: 128 * MiB,
  swap: 64 * MiB,
  cpuunits: 2000,
  cpulimit: 50,
  cpus: [0],
  numproc: 32,
  ioweight: 500,
  iolimit: 10 * MiB,
  iopslimit: 100,
  ioDevice: dev,
});

suite("cgroup v1 driver on the real kernel", () => {
  beforeAll(async () => {
    tmp = mkdtempSync("/var/tmp/cgv1-test-");
    dev = wholeDiskOf(tmp) ?? readFileSync("/sys/class/block/vda/dev", "utf8").trim();
    await makeCgroup(REL);
    sleeper = spawn("sleep", ["300"], { stdio: "ignore" });
    children.push(sleeper);
    for (const c of CONTROLLERS) await writeFile(path.join(cg(c), "cgroup.procs"), String(sleeper.pid));
  });

  afterAll(async () => {
    // Processes this file started, then anything they forked inside the private cgroup (e.g. the sleeps of
    // the fork test) — only pids found under our own ovz-cgtest-* directory.
    for (const ch of children) if (ch.exitCode === null && ch.signalCode === null) ch.kill("SIGKILL");
    for (let round = 0; round < 20; round++) {
      const left = new Set<number>();
      for (const c of CONTROLLERS) for (const p of await procsUnder(cg(c, PARENT))) left.add(p);
      if (left.size === 0) break;
      for (const p of left) {
        try {
          process.kill(p, "SIGKILL");
        } catch {
          /* gone */
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const c of CONTROLLERS) await rmTree(cg(c, PARENT));
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    const leftovers = CONTROLLERS.filter((c) => existsSync(cg(c, PARENT)));
    if (leftovers.length) console.warn(`cgroup test cleanup left ${PARENT} in ${leftovers.join(", ")}`);
  });

  it("applies limits; read() and the raw kernel files match (and lxcKeys renders the same values)", async () => {
    await drv.apply(REL, base());
    const r = await drv.read(REL, dev);
    expect(r).toMatchObject({
      ram: 128 * MiB,
      swap: 64 * MiB,
      cpuunits: 2000,
      cpulimit: 50,
      cpus: "0",
      numproc: 32,
      iolimit: { read: 10 * MiB, write: 10 * MiB },
      iopslimit: { read: 100, write: 100 },
    });
    // blkio.bfq.weight exists when BFQ is loaded (inert with mq-deadline), blkio.weight with CFQ; else null.
    const hasWeight =
      existsSync(path.join(cg("blkio"), "blkio.bfq.weight")) || existsSync(path.join(cg("blkio"), "blkio.weight"));
    expect(r.ioweight).toBe(hasWeight ? 500 : null);

    expect(kernel("memory", "memory.limit_in_bytes")).toBe("134217728");
    expect(kernel("memory", "memory.memsw.limit_in_bytes")).toBe("201326592"); // 192 MiB = ram + swap
    expect(kernel("cpu", "cpu.shares")).toBe("2048");
    expect(kernel("cpu", "cpu.cfs_quota_us")).toBe("50000");
    expect(kernel("cpu", "cpu.cfs_period_us")).toBe("100000");
    expect(kernel("cpuset", "cpuset.cpus")).toBe("0");
    expect(kernel("pids", "pids.max")).toBe("32");
    expect(kernel("blkio", "blkio.throttle.read_bps_device")).toBe(`${dev} ${10 * MiB}`);
    expect(kernel("blkio", "blkio.throttle.write_iops_device")).toBe(`${dev} 100`);
    for (const [key, file] of [
      ["memory/memory.limit_in_bytes", "memory.limit_in_bytes"],
      ["cpu/cpu.shares", "cpu.shares"],
      ["pids/pids.max", "pids.max"],
    ] as const) {
      expect(r.raw[key]).toBe(kernel(key.split("/")[0]!, file));
    }
    // The kernel applied the cpuset to the task itself.
    expect(readFileSync(`/proc/${sleeper.pid}/status`, "utf8")).toMatch(/^Cpus_allowed_list:\s+0$/m);

    // lxcKeys renders exactly what the kernel now holds.
    const keys = drv.lxcKeys(base());
    expect(keys.length).toBeGreaterThanOrEqual(11);
    for (const [key, value] of keys) {
      const file = key.slice("lxc.cgroup.".length);
      expect(kernel(file.split(".")[0]!, file), key).toBe(value);
    }
  });

  it("memsw ordering: a live lower below the current memsw and a raise above it both succeed", async () => {
    await drv.apply(REL, base()); // limit 128M, memsw 192M
    // The pitfall itself: the kernel rejects limit > memsw.
    await expect(writeFile(path.join(cg("memory"), "memory.limit_in_bytes"), String(256 * MiB))).rejects.toMatchObject({
      code: "EINVAL",
    });
    // Lower: new memsw 48M is below the current limit 128M → limit must go first.
    await drv.apply(REL, { ...base(), ram: 32 * MiB, swap: 16 * MiB }, base());
    expect(kernel("memory", "memory.limit_in_bytes")).toBe(String(32 * MiB));
    expect(kernel("memory", "memory.memsw.limit_in_bytes")).toBe(String(48 * MiB));
    // Raise: new limit 512M is above the current memsw 48M → memsw must go first. `previous` is stale on
    // purpose (claims 1G): the order comes from the kernel's current values.
    await drv.apply(REL, { ...base(), ram: 512 * MiB, swap: 256 * MiB }, { ...base(), ram: 1024 * MiB });
    const r = await drv.read(REL, dev);
    expect(r.ram).toBe(512 * MiB);
    expect(r.swap).toBe(256 * MiB);
    expect(kernel("memory", "memory.memsw.limit_in_bytes")).toBe(String(768 * MiB));
    // Without `previous` at all, down again.
    await drv.apply(REL, base());
    expect((await drv.read(REL, dev)).ram).toBe(128 * MiB);
  });

  it("cpusets: nested cgroups follow or are narrowed; moving CPUs with a task inside works", async () => {
    const nested = `${REL}/nested`;
    await makeCgroup(nested, ["cpuset"]);
    await drv.apply(REL, { ...base(), cpus: [0, 1] }); // nested had all of REL's CPUs ("0") → follows to 0-1
    expect(kernel("cpuset", "cpuset.cpus")).toBe("0-1");
    expect(kernel("cpuset", "cpuset.cpus", nested)).toBe("0-1");
    await writeFile(path.join(cg("cpuset", nested), "cpuset.cpus"), "1");
    // The pitfall: a parent cannot drop CPUs a child still has.
    await expect(writeFile(path.join(cg("cpuset"), "cpuset.cpus"), "0")).rejects.toMatchObject({ code: "EBUSY" });
    await drv.apply(REL, { ...base(), cpus: [0] });
    expect(kernel("cpuset", "cpuset.cpus")).toBe("0");
    expect(kernel("cpuset", "cpuset.cpus", nested)).toBe("0");
    await drv.apply(REL, { ...base(), cpus: [1] }); // disjoint move, sleeper inside
    expect(kernel("cpuset", "cpuset.cpus")).toBe("1");
    expect(kernel("cpuset", "cpuset.cpus", nested)).toBe("1");
    expect(readFileSync(`/proc/${sleeper.pid}/status`, "utf8")).toMatch(/^Cpus_allowed_list:\s+1$/m);
    // Empty list = all CPUs of the parent cgroup.
    await drv.apply(REL, { ...base(), cpus: [] });
    expect(kernel("cpuset", "cpuset.cpus")).toBe(kernel("cpuset", "cpuset.cpus", PARENT));
    expect((await drv.read(REL, dev)).cpus).toBe(readFileSync(path.join(ROOT, "cpuset", "cpuset.cpus"), "utf8").trim());
  });

  it("I/O throttle: the rule slows direct writes; 0 removes the rule", async () => {
    await drv.apply(REL, { ...base(), iolimit: 4 * MiB, iopslimit: 0 });
    expect(kernel("blkio", "blkio.throttle.write_bps_device")).toBe(`${dev} ${4 * MiB}`);
    expect(kernel("blkio", "blkio.throttle.write_iops_device")).toBe("");
    const before = (await drv.counters(REL)).find((b) => b.resource === "blkio")!.held;
    const t0 = Date.now();
    const dd = spawnIn([cg("blkio")], `exec dd if=/dev/zero of="${tmp}/io" bs=1M count=4 oflag=direct`);
    expect((await exited(dd)).code).toBe(0);
    const ms = Date.now() - t0;
    expect(ms).toBeGreaterThan(600); // 4 MiB at 4 MiB/s ≈ 1 s (unthrottled: a few ms)
    const after = (await drv.counters(REL)).find((b) => b.resource === "blkio")!;
    expect(after.held - before).toBeGreaterThanOrEqual(4 * MiB);
    console.log(`throttled 4 MiB direct write at 4 MiB/s: ${ms} ms, blkio held ${after.held}`);

    await drv.apply(REL, { ...base(), iolimit: 0, iopslimit: 0 });
    expect(kernel("blkio", "blkio.throttle.read_bps_device")).toBe("");
    expect(kernel("blkio", "blkio.throttle.write_bps_device")).toBe("");
    const r = await drv.read(REL, dev);
    expect(r.iolimit).toBeNull();
    expect(r.iopslimit).toBeNull();
  });

  it("a process beyond the memory limit is OOM-killed and counters() shows memory failcnt > 0", async () => {
    await drv.apply(REL, { ...base(), ram: 48 * MiB, swap: 0 });
    const hog = spawnIn([cg("memory")], "head -c 300M /dev/zero | tail");
    const res = await exited(hog);
    expect(res.code).toBe(137); // tail: SIGKILL by the OOM killer
    const oomKills = Number(/oom_kill (\d+)/.exec(kernel("memory", "memory.oom_control"))![1]);
    expect(oomKills).toBeGreaterThan(0);
    const mem = (await drv.counters(REL)).find((b) => b.resource === "memory")!;
    expect(mem.limit).toBe(48 * MiB);
    expect(mem.failcnt).toBeGreaterThan(0);
    expect(mem.maxheld).toBeGreaterThanOrEqual(40 * MiB);
    expect(alive(sleeper.pid!)).toBe(true); // the OOM killer picked the hog
    console.log(
      `OOM: failcnt=${kernel("memory", "memory.failcnt")} memsw.failcnt=${kernel("memory", "memory.memsw.failcnt")} ` +
        `oom_kill=${oomKills} → beancounter failcnt ${mem.failcnt}, maxheld ${mem.maxheld}`,
    );
    await drv.apply(REL, base());
  });

  it("a fork loop hits pids.max and counters() shows numproc failcnt > 0", async () => {
    await drv.apply(REL, { ...base(), numproc: 8 });
    const sh = spawnIn([cg("pids")], "i=0; while [ $i -lt 20 ]; do sleep 30 & i=$((i+1)); done; wait");
    const res = await exited(sh);
    expect(res.code).not.toBe(0); // dash: "Cannot fork"
    const np = (await drv.counters(REL)).find((b) => b.resource === "numproc")!;
    expect(np.limit).toBe(8);
    expect(np.failcnt).toBeGreaterThan(0);
    expect(np.maxheld).toBeLessThanOrEqual(8);
    expect(np.held).toBeLessThanOrEqual(8);
    // The sleeps it did start (our own, inside our own cgroup) — kill them by pid.
    const extra = (await drv.pids(REL)).filter((p) => p !== sleeper.pid);
    expect(extra.length).toBeGreaterThan(0);
    for (const p of extra) process.kill(p, "SIGKILL");
    for (let i = 0; i < 40 && (await drv.pids(REL)).length > 1; i++) await new Promise((r) => setTimeout(r, 25));
    expect(await drv.pids(REL)).toEqual([sleeper.pid]);
    // pids.current still counts the killed sleeps until they are reaped: they were orphaned when the shell
    // died, and this VM's PID 1 reaps orphans lazily. cgroup.procs (pids()) no longer lists zombies.
    const t0 = Date.now();
    const held = async () => (await drv.counters(REL)).find((b) => b.resource === "numproc")!.held;
    while ((await held()) > 1 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));
    expect(await held()).toBe(1);
    console.log(`pids.current dropped back to 1 after ${Date.now() - t0} ms (zombies awaiting reaping)`);
    await drv.apply(REL, base());
  });

  it("CPU: a busy loop under a 10% cap is throttled (cpu failcnt = nr_throttled)", async () => {
    await drv.apply(REL, { ...base(), cpulimit: 10 });
    const before = (await drv.counters(REL)).find((b) => b.resource === "cpu")!;
    const busy = spawnIn([cg("cpu"), cg("cpuacct")], 'exec timeout 0.5 sh -c "while :; do :; done"');
    await exited(busy);
    const cpu = (await drv.counters(REL)).find((b) => b.resource === "cpu")!;
    expect(cpu.unit).toBe("usec");
    expect(cpu.held - before.held).toBeGreaterThan(10_000);
    expect(cpu.held - before.held).toBeLessThan(200_000); // 10% of 0.5 s ≈ 50 ms (+ one period of slack)
    expect(cpu.failcnt).toBeGreaterThan(before.failcnt);
    console.log(
      `CPU at 10%: ${cpu.held - before.held} µs used in 0.5 s, nr_throttled +${cpu.failcnt - before.failcnt}`,
    );
    await drv.apply(REL, base());
  });

  it("counters() rows and pids()", async () => {
    const rows = await drv.counters(REL);
    expect(rows.map((r) => r.resource)).toEqual(["memory", "swap", "numproc", "cpu", "blkio"]);
    const np = rows.find((r) => r.resource === "numproc")!;
    expect(np).toMatchObject({ held: 1, limit: 32, unit: "count" });
    expect(rows.find((r) => r.resource === "swap")).toMatchObject({ limit: 64 * MiB, unit: "bytes" });
    expect(await drv.pids(REL)).toEqual([sleeper.pid]);
    expect(await drv.exists(REL)).toBe(true);
  });

  it("remove() is BUSY while a task is inside, then removes the cgroup from every controller", async () => {
    const err = await drv.remove(REL).catch((e: unknown) => e);
    expect(isEngineError(err, "BUSY")).toBe(true);
    expect((err as Error).message).toContain(String(sleeper.pid));
    for (const c of CONTROLLERS) expect(existsSync(cg(c)), c).toBe(true); // nothing removed half-way
    sleeper.kill("SIGKILL");
    await exited(sleeper);
    await drv.remove(REL); // also removes the nested cpuset child
    for (const c of CONTROLLERS) expect(existsSync(cg(c)), c).toBe(false);
    expect(await drv.exists(REL)).toBe(false);
    await drv.remove(REL); // idempotent
    await expect(drv.read(REL, dev)).rejects.toMatchObject({ code: "NOT_RUNNING" });
    await drv.remove(PARENT);
    for (const c of CONTROLLERS) expect(existsSync(cg(c, PARENT)), c).toBe(false);
  });
});
