/**
 * The container's own view (lxcfs, native/src/lxcfs.ts): inside a busybox container with ram 256M and 1 vCPU,
 * top, /proc/meminfo, nproc, /proc/cpuinfo, /proc/stat, /sys/devices/system/cpu and /proc/uptime show the container's
 * limits and usage, a live ram change shows at once, and the view survives an engine restart and a CRIU
 * checkpoint/restore. lxcfs dead: the next start brings it back; lxcfs unable to run: containers still start, with
 * the host's view, and the engine says why. Runs in a network namespace of its own (startTestEngine), no addresses.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { criuAvailable } from "../../src/drivers/runtime/criu.js";
import { describeRoot } from "../helpers/root.js";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";

let te: TestEngine;
const CT = 261;
const OTHER = 262;
const KiB = 1024;

const sh = async (ctid: number, cmd: string) => {
  const r = await te.client.call("container.exec", { ctid, argv: ["sh", "-c", cmd] });
  return { ...r, stdout: r.stdout.trim() };
};
const memTotalKb = async (ctid: number) => {
  const r = await sh(ctid, "cat /proc/meminfo");
  expect(r.code, r.stderr).toBe(0);
  return Number(/^MemTotal:\s+(\d+) kB$/m.exec(r.stdout)?.[1]);
};
/** used + free of busybox top's "Mem:" line, in KiB */
const topMemKb = async (ctid: number) => {
  const m = /^Mem: (\d+)K used, (\d+)K free/m.exec((await sh(ctid, "top -bn1 | head -1")).stdout);
  return Number(m?.[1]) + Number(m?.[2]);
};
const hostMemTotalKb = async () => Number(/^MemTotal:\s+(\d+) kB$/m.exec(await readFile("/proc/meminfo", "utf8"))?.[1]);
const lxcfsPid = async () => Number((await readFile(path.join(te.stateDir, "lxcfs.pid"), "utf8")).trim());
const isLxcfs = async (pid: number) => (await readFile(`/proc/${pid}/comm`, "utf8").catch(() => "")).trim() === "lxcfs";
const engineLog = () => readFile(path.join(te.stateDir, "engine.log"), "utf8");
const gone = async (pid: number) => {
  for (let i = 0; i < 400 && existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 50));
  return !existsSync(`/proc/${pid}`);
};

describeRoot("the container's own view of /proc (lxcfs run by the engine)", () => {
  beforeAll(async () => {
    te = await startTestEngine();
    await te.client.call("template.build", { kind: "busybox" });
    await te.client.call("container.create", {
      ctid: CT,
      template: "busybox",
      limits: { ram: "256M", swap: "64M", cpus: 1 },
    });
    await te.client.call("container.start", { ctid: CT });
  }, 180_000);
  afterAll(async () => {
    await te?.cleanup();
  });

  it("runs its own lxcfs on <stateDir>/lxcfs, detached from the engine", async () => {
    const pid = await lxcfsPid();
    expect(await isLxcfs(pid)).toBe(true);
    const mountinfo = await readFile("/proc/self/mountinfo", "utf8");
    expect(mountinfo).toContain(` ${path.join(te.stateDir, "lxcfs")} `);
    // its own session: a signal to the engine's process group never reaches it
    const stat = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]!.split(" ");
    expect(Number(stat[3])).toBe(pid); // session id (field 6) = its own pid
    expect(await engineLog()).toMatch(/lxcfs serves the containers' view on .*\/lxcfs \(pid \d+\)/);
  });

  it("top, /proc/meminfo, nproc, /proc/cpuinfo, /proc/stat, /sys/devices/system/cpu, /proc/uptime show the container", async () => {
    expect(await memTotalKb(CT)).toBe(256 * KiB);
    // busybox's top reads /proc/meminfo (its free and uptime ask sysinfo(2), which lxcfs cannot answer: README)
    expect(await topMemKb(CT)).toBe(256 * KiB);
    expect((await sh(CT, "nproc")).stdout).toBe("1");
    expect((await sh(CT, "grep -c ^processor /proc/cpuinfo")).stdout).toBe("1");
    expect((await sh(CT, "grep -c '^cpu[0-9]' /proc/stat")).stdout).toBe("1");
    expect((await sh(CT, "cat /sys/devices/system/cpu/online")).stdout).toMatch(/^\d+$/);
    // the host's cores, as the engine counts them: more than the container's one
    expect(
      Number((await readFile("/sys/devices/system/cpu/online", "utf8")).trim().split("-").pop()) + 1,
    ).toBeGreaterThan(1);
    const ctUptime = Number((await sh(CT, "cat /proc/uptime")).stdout.split(" ")[0]);
    const hostUptime = Number((await readFile("/proc/uptime", "utf8")).split(" ")[0]);
    expect(ctUptime).toBeLessThan(hostUptime);
    expect(ctUptime).toBeGreaterThanOrEqual(0);
    expect((await sh(CT, "uptime")).code).toBe(0);
    expect((await sh(CT, "cat /proc/loadavg")).stdout).toMatch(/^\d+\.\d+ \d+\.\d+ \d+\.\d+ \d+\/\d+ \d+$/);
    expect((await sh(CT, "cat /proc/swaps")).code).toBe(0);
    // swap: the container's limit, capped by the host's swap (none on this host)
    const swapKb = (text: string) => Number(/^SwapTotal:\s+(\d+) kB$/m.exec(text)?.[1]);
    const hostSwap = swapKb(await readFile("/proc/meminfo", "utf8"));
    expect(swapKb((await sh(CT, "cat /proc/meminfo")).stdout)).toBe(Math.min(64 * KiB, hostSwap));
    expect((await sh(CT, "cat /proc/diskstats")).code).toBe(0);
    // the host's own file is untouched
    expect(await hostMemTotalKb()).toBeGreaterThan(256 * KiB);
  });

  it("a live ram change shows in /proc/meminfo at once", async () => {
    await te.client.call("container.set", { ctid: CT, limits: { ram: "384M" } });
    expect(await memTotalKb(CT)).toBe(384 * KiB);
    expect(await topMemKb(CT)).toBe(384 * KiB);
  });

  it("survives an engine restart: the same lxcfs keeps serving the running container", async () => {
    const before = await lxcfsPid();
    await te.stop();
    expect(await isLxcfs(before)).toBe(true);
    await te.start();
    expect(await lxcfsPid()).toBe(before);
    expect(await memTotalKb(CT)).toBe(384 * KiB);
  });

  it("survives a checkpoint and its restore (CRIU maps the lxcfs mounts as external mounts)", async () => {
    expect(criuAvailable(), "CRIU 4.2 is missing: run scripts/install-criu.sh").toBe(true);
    await te.client.call("container.checkpoint", { ctid: CT });
    expect((await te.client.call("container.status", { ctid: CT })).checkpoint).not.toBeNull();
    await te.client.call("container.restore", { ctid: CT });
    expect((await te.client.call("container.status", { ctid: CT })).state).toBe("running");
    expect(await memTotalKb(CT)).toBe(384 * KiB);
    expect((await sh(CT, "nproc")).stdout).toBe("1");
    expect(Number((await sh(CT, "cat /proc/uptime")).stdout.split(" ")[0])).toBeGreaterThanOrEqual(0);
  });

  it("lxcfs killed: the next start runs it again and says so; a restart gives a running container its view back", async () => {
    const old = await lxcfsPid();
    process.kill(old, "SIGKILL");
    expect(await gone(old)).toBe(true);
    await te.client.call("container.create", { ctid: OTHER, template: "busybox", limits: { ram: "128M" } });
    await te.client.call("container.start", { ctid: OTHER });
    const now = await lxcfsPid();
    expect(now).not.toBe(old);
    expect(await isLxcfs(now)).toBe(true);
    expect(await memTotalKb(OTHER)).toBe(128 * KiB);
    expect(await engineLog()).toMatch(/WARNING: lxcfs had died; started it again/);
    // the container that was running holds binds of the dead mount until it restarts
    await te.client.call("container.stop", { ctid: CT });
    await te.client.call("container.start", { ctid: CT });
    expect(await memTotalKb(CT)).toBe(384 * KiB);
  });

  it("lxcfs unable to run: a container still starts, with the host's view, and the operation says why", async () => {
    await te.client.call("container.stop", { ctid: OTHER });
    await te.stop();
    await te.start({ OVZ_LXCFS: "/nonexistent/lxcfs" });
    try {
      const lines: string[] = [];
      await te.client.call(
        "container.start",
        { ctid: OTHER },
        { onEvent: (e) => e.kind === "log" && lines.push(e.line) },
      );
      expect((await te.client.call("container.status", { ctid: OTHER })).state).toBe("running");
      expect(await memTotalKb(OTHER)).toBe(await hostMemTotalKb());
      const why = /WARNING: containers start without their own view of \/proc .*lxcfs is not installed/;
      expect(await engineLog()).toMatch(why);
      expect(lines.join("\n")).toMatch(why);
      // the running one keeps the view of the lxcfs that still runs
      expect(await memTotalKb(CT)).toBe(384 * KiB);
    } finally {
      await te.stop();
      await te.start();
    }
  });
});
