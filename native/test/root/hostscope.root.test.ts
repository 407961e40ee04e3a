/**
 * Host-scope tools on real containers (OpenVZ: "the host sees everything"): container.usage counters from the
 * cgroups, vzps (CTID and VPID of every host process) and pstat (live CPU%/RAM/IO per container) run as child
 * processes the way an admin runs them, and <stateDir>/root/<ctid> (OpenVZ's /vz/root/CTID).
 *
 * Block I/O accounting on this host (cgroup v1, btrfs on a loop device), measured: reads and O_DIRECT writes
 * are charged to the container's blkio cgroup; buffered writes are not (v1 has no cgroup writeback: the
 * flusher threads write the dirty pages, and they are charged to the root cgroup), so a plain
 * `dd … && sync` adds only a little (metadata) to ioWriteBytes. The test asserts reads and direct writes and
 * logs what a buffered write added.
 */
import { lstat, mkdir, readFile, readdir, readlink, rm, rmdir, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { run } from "../../src/exec.js";
import { describeRoot } from "../helpers/root.js";
import { cpuPercent, kernelCpu } from "../helpers/kernel-cpu.js";
import { leftovers, REPO, startTestEngine, type TestEngine } from "../helpers/engine.js";

let te: TestEngine;
const A = 311; // gets the workloads
const B = 312; // stays idle
const C = 313; // created, never started
const MiB = 1024 * 1024;

const sh = (ctid: number, cmd: string, timeoutMs = 60_000) =>
  te.client.call("container.exec", { ctid, argv: ["sh", "-c", cmd], timeoutMs });
const tool = (name: "vzps" | "pstat", args: string[]) =>
  run(process.execPath, ["--import", "tsx", `native/src/tools/${name}.ts`, ...args], {
    cwd: REPO,
    env: { ...process.env, OVZ_SOCKET: te.env.OVZ_SOCKET },
    allowFailure: true,
    timeoutMs: 60_000,
  });
const usageOf = async (ctid: number) => (await te.client.call("container.usage", { ctids: [ctid] }))[0]!;
const asNobody = (cmd: string, args: string[]) =>
  run("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--", cmd, ...args], { allowFailure: true });

/** vzps output → rows of whitespace-separated cells (the last column, args, may hold spaces: keep it whole). */
function table(out: string, cols: number): string[][] {
  return out
    .trimEnd()
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const cells = l.trim().split(/\s+/);
      return [...cells.slice(0, cols - 1), cells.slice(cols - 1).join(" ")];
    });
}

describeRoot("host-scope tools: container.usage, vzps, pstat, /vz/root-style paths", () => {
  beforeAll(async () => {
    te = await startTestEngine();
    await te.client.call("template.build", { kind: "busybox" });
    await te.client.call("container.create", { ctid: A, template: "busybox", hostname: "busy-a", name: "hs-a" });
    await te.client.call("container.create", { ctid: B, template: "busybox", hostname: "idle-b" });
    await te.client.call("container.create", { ctid: C, template: "busybox", hostname: "stopped-c" });
    await te.client.call("container.start", { ctid: A });
    await te.client.call("container.start", { ctid: B });
  }, 300_000);
  afterAll(async () => {
    await te?.cleanup();
  });

  it("container.usage: one entry per running container, counters from its cgroup", async () => {
    const all = await te.client.call("container.usage", {});
    expect(all.map((u) => u.ctid)).toEqual([A, B]); // C is stopped
    const st = await te.client.call("container.status", { ctid: A });
    const a = all[0]!;
    expect(a.initPid).toBe(st.initPid);
    expect(a.cpuNs).toBeGreaterThan(0);
    expect(a.memBytes).toBeGreaterThan(0);
    expect(a.memMaxBytes).toBeGreaterThanOrEqual(a.memBytes);
    expect(a.swapBytes).toBe(0); // swap accounting is on, but the host has no swap
    expect(a.nproc).toBeGreaterThanOrEqual(1);
    expect(Math.abs(a.sampledAt - Date.now())).toBeLessThan(10_000);
    // the same numbers the kernel shows in the container's cgroup
    const cg = (ctl: string, f: string) =>
      readFile(`/sys/fs/cgroup/${ctl}/${te.cgroupParent}/${A}/${f}`, "utf8").then((s) => Number(s.trim()));
    expect(await cg("cpuacct", "cpuacct.usage")).toBeGreaterThanOrEqual(a.cpuNs);
    expect(await cg("pids", "pids.current")).toBe((await usageOf(A)).nproc);
    // the RAM limit in force, as the kernel has it (the default limits give every container one)
    expect(a.memLimitBytes).toBe(await cg("memory", "memory.limit_in_bytes"));
    expect(a.memLimitBytes).toBe((await te.client.call("container.limits", { ctid: A })).cgroup?.ram);
    expect(await te.client.call("container.usage", { ctids: [C] })).toEqual([]);
    const e = await te.client.call("container.usage", { ctids: [999] }).catch((x) => x);
    expect(e.code).toBe("NOT_FOUND");

    // cost: container.usage reads files only; container.list asks LXC (two lxc-info spawns per container)
    const time = async (fn: () => Promise<unknown>, n: number) => {
      const t = performance.now();
      for (let i = 0; i < n; i++) await fn();
      return (performance.now() - t) / n;
    };
    const usageMs = await time(() => te.client.call("container.usage", {}), 20);
    const listMs = await time(() => te.client.call("container.list", {}), 5);
    console.log(
      `container.usage for 2 running of 3 containers: ${usageMs.toFixed(2)} ms/call; container.list: ${listMs.toFixed(2)} ms/call`,
    );
  });

  it("vzps lists a container's process with its CTID and its own pid inside (VPID); host processes are CTID 0", async () => {
    expect((await sh(A, "sleep 3141 </dev/null >/dev/null 2>&1 &")).code).toBe(0);
    const vpidInside = Number((await sh(A, "pidof sleep")).stdout.trim());
    expect(vpidInside).toBeGreaterThan(1);

    const r = await tool("vzps", ["-E", String(A), "-o", "ctid,pid,vpid,user,args"]);
    expect(r.code, r.stderr).toBe(0);
    const rows = table(r.stdout, 5);
    expect(rows[0]).toEqual(["CTID", "PID", "VPID", "USER", "COMMAND"]);
    const sleep = rows.find((x) => x[4] === "sleep 3141");
    expect(sleep, r.stdout).toBeDefined();
    const [ctid, pid, vpid, user] = sleep!;
    expect(Number(ctid)).toBe(A);
    expect(Number(vpid)).toBe(vpidInside);
    expect(Number(pid)).not.toBe(Number(vpid));
    expect((await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0")).toEqual(["sleep", "3141", ""]);
    // container root is an unprivileged host uid (the idmap), shown numerically: no host user has it
    expect(Number(user)).toBe((await te.client.call("container.status", { ctid: A })).idmap.hostId);
    expect(rows.slice(1).every((x) => Number(x[0]) === A)).toBe(true);
    // the container's init is VPID 1
    const initPid = (await usageOf(A)).initPid;
    expect(rows.find((x) => Number(x[1]) === initPid)?.[2]).toBe("1");

    // the other container does not see it
    const other = await tool("vzps", ["-E", String(B), "-o", "ctid,pid,vpid,args"]);
    expect(other.code).toBe(0);
    expect(other.stdout).not.toMatch(/sleep 3141/);
    expect(
      table(other.stdout, 4)
        .slice(1)
        .every((x) => Number(x[0]) === B),
    ).toBe(true);

    // everything: host processes (the host's pid 1, this test runner, the LXC monitors) are CTID 0
    const all = await tool("vzps", ["-e", "-H", "-o", "ctid,pid,vpid,args"]);
    expect(all.code).toBe(0);
    const ct = new Map(table(all.stdout, 4).map((x) => [Number(x[1]), x]));
    expect(ct.get(1)?.[0]).toBe("0");
    expect(ct.get(process.pid)?.[0]).toBe("0");
    expect(ct.get(Number(pid))?.[0]).toBe(String(A));
    const monitors = [...ct.values()].filter((x) => x[3]!.startsWith("[lxc monitor]") && x[3]!.includes(te.stateDir));
    expect(monitors.length).toBe(2);
    expect(monitors.every((x) => x[0] === "0")).toBe(true);
    expect(all.stdout).not.toMatch(/CTID/); // -H

    // ps-style lists and BSD syntax
    const both = await tool("vzps", ["-E", `${A},${B}`, "-H", "-o", "ctid"]);
    expect(new Set(both.stdout.trim().split(/\s+/))).toEqual(new Set([String(A), String(B)]));
    const aux = await tool("vzps", ["aux"]);
    expect(aux.code).toBe(0);
    expect(aux.stdout.split("\n")[0]).toMatch(
      /^CTID USER\s+PID\s+VPID\s+%CPU %MEM\s+VSZ\s+RSS TT\s+STAT START\s+TIME COMMAND$/,
    );
  });

  it("vzps: an init moved into a sub-cgroup (as systemd does with init.scope) does not split the container", async () => {
    const u = await usageOf(A);
    expect(u.cgroup).toBe(`/${te.cgroupParent}/${A}`);
    const dir = `/sys/fs/cgroup/pids/${te.cgroupParent}/${A}`;
    await mkdir(`${dir}/init.scope`);
    await writeFile(`${dir}/init.scope/cgroup.procs`, String(u.initPid));
    try {
      expect((await readFile(`/proc/${u.initPid}/cgroup`, "utf8")).match(/^\d+:pids:(.*)$/m)?.[1]).toBe(
        `${u.cgroup}/init.scope`,
      );
      const r = await tool("vzps", ["-E", String(A), "-H", "-o", "ctid,pid,args"]);
      expect(r.code, r.stderr).toBe(0);
      const rows = table(r.stdout, 3);
      expect(rows.find((x) => x[2] === "sleep 3141")?.[0]).toBe(String(A)); // a sibling of init.scope
      expect(rows.find((x) => Number(x[1]) === u.initPid)?.[0]).toBe(String(A));
      expect((await usageOf(A)).initPid).toBe(u.initPid); // usage still finds (and re-verifies) the init
    } finally {
      await writeFile(`${dir}/cgroup.procs`, String(u.initPid));
      await rmdir(`${dir}/init.scope`);
    }
  });

  it("vzps refuses bad syntax like ps (stderr, exit 1)", async () => {
    const bad = await tool("vzps", ["-Z"]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toMatch(/^error: unsupported SysV option\n\nUsage:\n vzps \[options\]/);
    const field = await tool("vzps", ["-o", "pid,bogus"]);
    expect(field.code).toBe(1);
    expect(field.stderr).toMatch(/unknown user-defined format specifier "bogus"/);
    const none = await tool("vzps", ["-E", "999"]);
    expect(none.code).toBe(1); // nothing selected, as ps
    expect(none.stderr).toMatch(/container 999 is not running/);
    const help = await tool("vzps", ["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/-E CTID/);
  });

  it("pstat -b: a container burning CPU shows clearly more CPU% than an idle one", async () => {
    const started = await sh(A, "timeout 120 sh -c 'while :; do :; done' </dev/null >/dev/null 2>&1 & echo $!");
    const burner = Number(started.stdout.trim());
    expect(burner).toBeGreaterThan(1);
    try {
      // the share the kernel gave the loop meanwhile: all of a core on an idle host, less on a loaded one
      const k0 = await kernelCpu(te, A);
      const r = await tool("pstat", ["-b", "-n", "2", "-d", "1"]);
      const k1 = await kernelCpu(te, A);
      const kernelPct = cpuPercent(k0, k1);
      console.log(`the kernel's account of the loop over the run: ${kernelPct.toFixed(1)} %`);
      expect(kernelPct, "the busy loop ran").toBeGreaterThan(10);
      expect(r.code, r.stderr).toBe(0);
      console.log(r.stdout);
      const frames = r.stdout.split(/^(?=pstat - )/m).filter(Boolean);
      expect(frames.length).toBe(2);
      for (const f of frames) {
        expect(f).not.toMatch(/\x1b/); // batch: no screen control
        const rows = new Map(
          f
            .split("\n")
            .filter((l) => /^\s*\d+\s/.test(l))
            .map((l) => l.trim().split(/\s+/))
            .map((c) => [Number(c[0]), c]),
        );
        expect([...rows.keys()].sort()).toEqual([A, B]);
        expect(rows.get(A)![1]).toBe("hs-a"); // name, else hostname
        expect(rows.get(B)![1]).toBe("idle-b");
        const cpuA = Number(rows.get(A)![3]);
        const cpuB = Number(rows.get(B)![3]);
        // the first frame too: it is measured over the internal pre-sample
        expect(cpuA).toBeGreaterThan(cpuB + Math.min(30, kernelPct / 3));
        expect(rows.get(A)![4]).toMatch(/^[\d.]+[KMG]?\/512M$/); // RAM used / limit
      }
      const only = await tool("pstat", ["-b", "-n", "1", "-d", "0.2", "-E", String(B)]);
      expect(only.code).toBe(0);
      expect(
        only.stdout
          .split("\n")
          .filter((l) => /^\s*\d+\s/.test(l))
          .map((l) => Number(l.trim().split(/\s+/)[0])),
      ).toEqual([B]);
    } finally {
      await sh(A, `kill ${burner}`);
    }
    const bad = await tool("pstat", ["-x"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/unknown option "-x"/);
    expect((await tool("pstat", ["-E", "999", "-b", "-n", "1"])).stderr).toMatch(/container 999 does not exist/);
  });

  it("container.usage: memBytes grows by what the container puts in memory (64 MiB in a tmpfs)", async () => {
    const before = await usageOf(A);
    const r = await sh(
      A,
      "mkdir -p /dev/shm && mount -t tmpfs -o size=100m tmpfs /dev/shm && dd if=/dev/zero of=/dev/shm/fill bs=1M count=64",
    );
    expect(r.code, r.stderr).toBe(0);
    const after = await usageOf(A);
    console.log(
      `memBytes ${before.memBytes} → ${after.memBytes} (+${((after.memBytes - before.memBytes) / MiB).toFixed(1)} MiB), peak ${after.memMaxBytes}`,
    );
    expect(after.memBytes - before.memBytes).toBeGreaterThan(60 * MiB);
    expect(after.memMaxBytes).toBeGreaterThanOrEqual(after.memBytes);
    expect(after.cpuNs).toBeGreaterThan(before.cpuNs);
    await sh(A, "rm -f /dev/shm/fill; umount /dev/shm");
    expect((await usageOf(A)).memBytes).toBeLessThan(after.memBytes - 50 * MiB);
  });

  it("container.usage: block I/O read and (direct) write bytes grow; buffered writes go to the root cgroup on v1", async () => {
    const u0 = await usageOf(A);
    expect((await sh(A, "dd if=/dev/zero of=/buffered.bin bs=1M count=32 2>/dev/null && sync")).code).toBe(0);
    const u1 = await usageOf(A);
    expect((await sh(A, "dd if=/dev/zero of=/direct.bin bs=1M count=32 oflag=direct 2>/dev/null")).code).toBe(0);
    const u2 = await usageOf(A);
    // drop the file's cached pages from the host (through the root path), so the container's read hits the disk
    const root = (await te.client.call("container.status", { ctid: A })).root;
    await run("dd", [`if=${path.join(root, "direct.bin")}`, "iflag=nocache", "count=0"]);
    expect((await sh(A, "cat /direct.bin > /dev/null")).code).toBe(0);
    const u3 = await usageOf(A);
    const d = (x: number) => `${(x / MiB).toFixed(2)} MiB`;
    console.log(
      `ioWriteBytes: buffered 32 MiB + sync → +${d(u1.ioWriteBytes - u0.ioWriteBytes)}; O_DIRECT 32 MiB → +${d(u2.ioWriteBytes - u1.ioWriteBytes)}; ` +
        `ioReadBytes: uncached read of 32 MiB → +${d(u3.ioReadBytes - u2.ioReadBytes)}`,
    );
    expect(u2.ioWriteBytes - u1.ioWriteBytes).toBeGreaterThanOrEqual(32 * MiB);
    expect(u3.ioReadBytes - u2.ioReadBytes).toBeGreaterThanOrEqual(30 * MiB);
    expect(u1.ioWriteBytes).toBeGreaterThanOrEqual(u0.ioWriteBytes); // cumulative, never down
    await sh(A, "rm -f /buffered.bin /direct.bin");
  });

  it("<stateDir>/root/<ctid> shows a running container's files to host root, an empty mount point when stopped, nothing to other users", async () => {
    const a = await te.client.call("container.status", { ctid: A });
    const c = await te.client.call("container.status", { ctid: C });
    expect(a.root).toBe(path.join(te.stateDir, "root", String(A)));
    expect(await readlink(a.root)).toBe(path.join(te.stateDir, "lxc", String(A), "rootfs"));
    expect(await readFile(path.join(a.root, "etc/hostname"), "utf8")).toBe("busy-a\n");
    // stopped: the path exists and is the empty mount point, as /vz/root/CTID of an unmounted container
    expect((await lstat(c.root)).isSymbolicLink()).toBe(true);
    expect(await readdir(c.root)).toEqual([]);
    // the link adds no access: the root dir is root-only and the gate behind it still refuses host users
    expect(((await lstat(path.dirname(a.root))).mode & 0o777).toString(8)).toBe("700");
    for (const p of [
      path.join(a.root, "etc/hostname"),
      path.join(te.stateDir, "lxc", String(A), "rootfs", "etc/hostname"),
    ]) {
      const s = await asNobody("cat", [p]);
      expect(s.code).not.toBe(0);
      expect(s.stderr).toMatch(/Permission denied/);
    }
    // stop → the empty mount point; start → the files again
    await te.client.call("container.stop", { ctid: B });
    expect(await readdir((await te.client.call("container.status", { ctid: B })).root)).toEqual([]);
    await te.client.call("container.start", { ctid: B });
    expect(await readFile(path.join(te.stateDir, "root", String(B), "etc/hostname"), "utf8")).toBe("idle-b\n");
  });

  it("engine start recreates missing root links and removes links of containers that are gone", async () => {
    const dir = path.join(te.stateDir, "root");
    await rm(path.join(dir, String(C)));
    await symlink("/nonexistent", path.join(dir, "4242"));
    await te.kill9();
    await te.start();
    expect(await readlink(path.join(dir, String(C)))).toBe(path.join(te.stateDir, "lxc", String(C), "rootfs"));
    await expect(lstat(path.join(dir, "4242"))).rejects.toMatchObject({ code: "ENOENT" });
    // running containers kept running across the engine restart, and usage still finds them
    expect((await te.client.call("container.usage", {})).map((u) => u.ctid)).toEqual([A, B]);
  });

  it("destroy removes the root link with the container", async () => {
    const root = (await te.client.call("container.status", { ctid: A })).root;
    await te.client.call("container.destroy", { ctid: A, force: true });
    await expect(lstat(root)).rejects.toMatchObject({ code: "ENOENT" });
    expect(await leftovers(te, A)).toEqual([]);
    expect((await te.client.call("container.usage", {})).map((u) => u.ctid)).toEqual([B]);
  });
});
