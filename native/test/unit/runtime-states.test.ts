/**
 * The runtime's batch states (drivers/runtime/lxc-state.ts) against fake cgroup trees — v1 as on this hybrid host
 * (pids, memory and freezer hierarchies) and v2 (one unified tree with cgroup.events and cgroup.freeze, as on the
 * Debian 12 VM) — and a fake /proc: what the cgroups can tell (stopped, running, frozen, freezing) and what they
 * leave to lxc-info (starting, stopping, an init without its monitor), the init pid cache re-verified after an
 * exit and a pid reuse, and that a clear answer never asks lxc-info.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CgroupV1 } from "../../src/drivers/cgroup/v1.js";
import { CgroupV2 } from "../../src/drivers/cgroup/v2.js";
import type { CgroupDriver } from "../../src/drivers/cgroup/types.js";
import { containerCgroupDirs } from "../../src/drivers/index.js";
import { CgroupStates, parseLxcInfo } from "../../src/drivers/runtime/lxc-state.js";
import type { RunView } from "../../src/drivers/runtime/types.js";

const tmp: string[] = [];
afterAll(() => {
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  tmp.push(d);
  return d;
}

function write(dir: string, files: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  for (const [f, c] of Object.entries(files)) writeFileSync(path.join(dir, f), c);
}

const dirs = (ctid: number) => containerCgroupDirs("ovz", ctid);

/** A fake host: cgroup trees of one version, a /proc, and helpers to put containers in every state. */
function fakeHost(version: 1 | 2) {
  const cg = tempDir(`ovz-cg${version}-`);
  const proc = tempDir("ovz-proc-");
  const driver: CgroupDriver =
    version === 1 ? new CgroupV1({ mountRoot: cg, removeGraceMs: 0 }) : new CgroupV2({ mountRoot: cg });
  const hierarchies = version === 1 ? ["pids", "memory", "freezer"] : [""];
  /** Make a cgroup holding `pids` (one level deep: `sub` is a child cgroup holding the last pid). */
  const cgroup = (rel: string, pids: number[], opts: { sub?: boolean; freezer?: string } = {}) => {
    for (const h of hierarchies) {
      const dir = path.join(cg, h, rel);
      const top = opts.sub ? pids.slice(0, -1) : pids;
      const files: Record<string, string> = { "cgroup.procs": top.map((p) => `${p}\n`).join("") };
      if (version === 2) {
        const frozen = opts.freezer === "FROZEN" ? 1 : 0;
        files["cgroup.events"] = `populated ${pids.length ? 1 : 0}\nfrozen ${frozen}\n`;
        files["cgroup.freeze"] = opts.freezer && opts.freezer !== "THAWED" ? "1\n" : "0\n";
      } else if (h === "freezer") files["freezer.state"] = `${opts.freezer ?? "THAWED"}\n`;
      write(dir, files);
      if (opts.sub) {
        const sub: Record<string, string> = { "cgroup.procs": `${pids.at(-1)}\n` };
        if (version === 2) sub["cgroup.events"] = "populated 1\nfrozen 0\n";
        write(path.join(dir, "init.scope"), sub);
      }
    }
  };
  /** A process: its pid in each namespace (outermost first), its name and its cgroup. */
  const process = (pid: number, nspid: number[], comm: string, cgroupPath: string) => {
    const cgLine = version === 1 ? `8:pids:${cgroupPath}\n4:memory:${cgroupPath}\n0::/\n` : `0::${cgroupPath}\n`;
    write(path.join(proc, String(pid)), {
      status: `Name:\t${comm}\nPid:\t${pid}\nNSpid:\t${nspid.join("\t")}\n`,
      cgroup: cgLine,
      comm: `${comm}\n`,
    });
  };
  const exited = (pid: number) => rmSync(path.join(proc, String(pid)), { recursive: true, force: true });
  /** A running container: its monitor in the monitor cgroup, its init (and a child) in its own. */
  const running = (ctid: number, init: number, opts: { freezer?: string; sub?: boolean } = {}) => {
    cgroup(dirs(ctid).monitor, [init - 1]);
    process(init - 1, [init - 1], "lxc-start", `/${dirs(ctid).monitor}`);
    process(init, [init, 1], "init", `/${dirs(ctid).container}`);
    process(init + 1, [init + 1, 7], "sleep", `/${dirs(ctid).container}${opts.sub ? "/init.scope" : ""}`);
    cgroup(dirs(ctid).container, [init, init + 1], opts);
  };
  const asked: number[] = [];
  const unclear = async (ctid: number): Promise<RunView> => {
    asked.push(ctid);
    return { state: "STOPPING", initPid: null };
  };
  const states = new CgroupStates(driver, dirs, proc);
  return { cg, proc, cgroup, process, exited, running, states, asked, unclear };
}

describe.each([1, 2] as const)("runtime states from cgroup v%i (fake tree)", (version) => {
  it("tells stopped, running, frozen and freezing containers apart without asking LXC", async () => {
    const h = fakeHost(version);
    h.running(101, 1001);
    h.running(102, 1101, { freezer: "FROZEN" });
    h.running(103, 1201, { freezer: "FREEZING" });
    h.running(104, 1301, { sub: true }); // systemd: the init's child in <ct>/init.scope
    // 105: stopped, its cgroups left behind empty (the engine removes them after a stop; a crash may not)
    h.cgroup(dirs(105).container, []);
    h.cgroup(dirs(105).monitor, []);
    // 106: never started (no cgroups at all)
    const v = await h.states.views([101, 102, 103, 104, 105, 106], h.unclear);
    expect(Object.fromEntries(v)).toEqual({
      101: { state: "RUNNING", initPid: 1001 },
      102: { state: "FROZEN", initPid: 1101 },
      103: { state: "FREEZING", initPid: 1201 },
      104: { state: "RUNNING", initPid: 1301 },
      105: { state: "STOPPED", initPid: null },
      106: { state: "STOPPED", initPid: null },
    });
    expect(h.asked).toEqual([]);
  });

  it("asks LXC only about containers the cgroups cannot tell about", async () => {
    const h = fakeHost(version);
    h.running(101, 1001);
    // 201: starting — LXC's child is pid 1 of the new namespace but has not executed the init yet
    h.cgroup(dirs(201).monitor, [2000]);
    h.process(2000, [2000], "lxc-start", `/${dirs(201).monitor}`);
    h.process(2001, [2001, 1], "lxc-start", `/${dirs(201).container}`);
    h.cgroup(dirs(201).container, [2001]);
    // 202: starting or stopping — the monitor runs, the container's cgroup is empty
    h.cgroup(dirs(202).monitor, [2100]);
    h.process(2100, [2100], "lxc-start", `/${dirs(202).monitor}`);
    h.cgroup(dirs(202).container, []);
    // 203: stopping — the init exited, a process the kernel is killing is left
    h.running(203, 2201);
    h.exited(2201);
    h.cgroup(dirs(203).container, [2202]);
    // 204: an init without a monitor (killed, or a restore that did not move it there)
    h.running(204, 2301);
    h.exited(2300);
    h.cgroup(dirs(204).monitor, []);
    const v = await h.states.views([101, 201, 202, 203, 204], h.unclear);
    expect(h.asked.sort()).toEqual([201, 202, 203, 204]);
    expect(v.get(101)).toEqual({ state: "RUNNING", initPid: 1001 });
    for (const c of [201, 202, 203, 204]) expect(v.get(c)).toEqual({ state: "STOPPING", initPid: null });
  });

  it("re-verifies the cached init pid: a restart with another init and a reused pid are both seen", async () => {
    const h = fakeHost(version);
    h.running(101, 1001);
    expect((await h.states.view(101))?.initPid).toBe(1001);
    // restarted: a new init (3001); the old pid 1001 now belongs to a host process outside the container
    h.exited(1000);
    h.exited(1001);
    h.exited(1002);
    h.process(1001, [1001], "bash", "/user.slice");
    h.running(101, 3001);
    expect(await h.states.view(101)).toEqual({ state: "RUNNING", initPid: 3001 });
    // stopped: both cgroups gone
    for (const d of [dirs(101).container, dirs(101).monitor])
      for (const x of version === 1 ? ["pids", "memory", "freezer"] : [""])
        rmSync(path.join(h.cg, x, d), { recursive: true, force: true });
    expect(await h.states.view(101)).toEqual({ state: "STOPPED", initPid: null });
  });
});

it("parseLxcInfo reads lxc-info's labelled and bare output", () => {
  expect(parseLxcInfo("State:          RUNNING\nPID:            24795\n")).toEqual({
    state: "RUNNING",
    initPid: 24795,
  });
  expect(parseLxcInfo("FROZEN\n4711\n")).toEqual({ state: "FROZEN", initPid: 4711 });
  expect(parseLxcInfo("State:          STOPPING\n")).toEqual({ state: "STOPPING", initPid: null });
  expect(parseLxcInfo("State:          STOPPED\n")).toEqual({ state: "STOPPED", initPid: null });
  expect(parseLxcInfo("")).toEqual({ state: "STOPPED", initPid: null });
  expect(parseLxcInfo("State:          WEIRD\nPID: 12\n")).toEqual({ state: "STOPPED", initPid: null });
});
