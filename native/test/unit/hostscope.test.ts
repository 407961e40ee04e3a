/**
 * Host-scope tools (vzps, pstat) and container.usage, without root: /proc and cgroup parsers on fixture text,
 * the cgroup → CTID mapping on a fake /proc tree, option parsing, CPU%/rate math, formatting, and the cgroup
 * drivers' usage() on fake v1 and v2 trees. The real thing runs in native/test/root/hostscope.root.test.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CgroupV1, parseIoServiceRW } from "../../src/drivers/cgroup/v1.js";
import { CgroupV2, parseIoStatRW } from "../../src/drivers/cgroup/v2.js";
import { containerCgroups, ctidOf, isAtOrBelow, isInitIn } from "../../src/hostscope/ctmap.js";
import { fmtBytes, fmtCpuTime, fmtPercent, fmtStart, fmtTty, renderTable } from "../../src/hostscope/format.js";
import {
  findInitPid,
  listPids,
  mapLimit,
  mappingController,
  parseBootTime,
  parseCgroupFile,
  parseMemTotal,
  parsePasswd,
  parseStat,
  parseStatus,
  readProc,
  type ProcInfo,
} from "../../src/hostscope/proc.js";
import {
  buildRows,
  byteRate,
  cpuPercent,
  parsePstatArgs,
  renderRows,
  sortRows,
  type CtMeta,
  type UsageSample,
} from "../../src/hostscope/pstat.js";
import {
  isSelected,
  parseFormat,
  parseVzpsArgs,
  renderVzps,
  statFlags,
  UsageError,
  usageErrorText,
  USER_FORMAT,
} from "../../src/hostscope/vzps.js";

const tmp: string[] = [];
afterAll(() => {
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
});
const MiB = 1024 * 1024;

// ------------------------------------------------------------------------------------------------ fixtures

/** A /proc/<pid>/stat line as the kernel writes it (fields 1..52). */
function statLine(o: {
  pid: number;
  comm: string;
  state?: string;
  ppid?: number;
  pgrp?: number;
  session?: number;
  tty?: number;
  tpgid?: number;
  utime?: number;
  stime?: number;
  nice?: number;
  threads?: number;
  start?: number;
  vsize?: number;
  rss?: number;
}): string {
  const f = [
    o.state ?? "S",
    o.ppid ?? 1,
    o.pgrp ?? o.pid,
    o.session ?? o.pid,
    o.tty ?? 0,
    o.tpgid ?? -1,
    4194560,
    100,
    0,
    0,
    0,
    o.utime ?? 0,
    o.stime ?? 0,
    0,
    0,
    20,
    o.nice ?? 0,
    o.threads ?? 1,
    0,
    o.start ?? 1000,
    o.vsize ?? 4_000_000,
    o.rss ?? 100,
    ...Array(28).fill(0),
  ];
  return `${o.pid} (${o.comm}) ${f.join(" ")}\n`;
}

function statusText(o: {
  name: string;
  uid?: number;
  nspid: number[];
  rssKb?: number;
  sizeKb?: number;
  lckKb?: number;
}): string {
  const u = o.uid ?? 0;
  const mem =
    o.rssKb === undefined ? "" : `VmSize:\t${o.sizeKb ?? 4000} kB\nVmLck:\t${o.lckKb ?? 0} kB\nVmRSS:\t${o.rssKb} kB\n`;
  return `Name:\t${o.name}\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t${o.nspid[0]}\nNgid:\t0\nPid:\t${o.nspid[0]}\nPPid:\t1\nUid:\t${u}\t${u}\t${u}\t${u}\nGid:\t${u}\t${u}\t${u}\t${u}\nNSpid:\t${o.nspid.join("\t")}\nNSpgid:\t${o.nspid.join("\t")}\n${mem}Threads:\t1\n`;
}

/** v1 hybrid /proc/<pid>/cgroup with the given path in every hierarchy (memory may differ, as on this host). */
const cgroupV1 = (p: string, memory = p) =>
  `9:name=systemd:${p}\n8:pids:${p}\n7:blkio:${p}\n6:freezer:${p}\n5:devices:${p}\n4:memory:${memory}\n3:cpuset:${p}\n2:cpu,cpuacct:${p}\n0::${p}\n`;

/**
 * A fake /proc: host init (1), a host shell (300, uid 1000 on pts/2), container 101's init (500, vpid 1) and a
 * sleep in it (501, vpid 7, in a nested cgroup), container 1010's init (600; its path shares a prefix with
 * 101's), container 101's LXC monitor (700, outside the container cgroup) and a kernel thread (2).
 */
function fakeProc(): string {
  const root = mkdtempSync(path.join(tmpdir(), "ovz-proc-"));
  tmp.push(root);
  const put = (pid: number, files: Record<string, string>) => {
    mkdirSync(path.join(root, String(pid)), { recursive: true });
    for (const [f, c] of Object.entries(files)) writeFileSync(path.join(root, String(pid), f), c);
  };
  put(1, {
    stat: statLine({ pid: 1, comm: "systemd", ppid: 0 }),
    status: statusText({ name: "systemd", nspid: [1], rssKb: 9000 }),
    cgroup: cgroupV1("/"),
    cmdline: "/sbin/init\0splash\0",
  });
  put(2, {
    stat: statLine({ pid: 2, comm: "kthreadd", ppid: 0, vsize: 0, rss: 0 }),
    status: statusText({ name: "kthreadd", nspid: [2] }),
    cgroup: cgroupV1("/"),
    cmdline: "",
  });
  put(300, {
    stat: statLine({ pid: 300, comm: "bash", tty: (136 << 8) | 2, tpgid: 300, utime: 150, stime: 50 }),
    status: statusText({ name: "bash", uid: 1000, nspid: [300], rssKb: 4000 }),
    cgroup: cgroupV1("/user.slice", "/process_api/x"),
    cmdline: "-bash\0",
  });
  put(500, {
    stat: statLine({ pid: 500, comm: "init", ppid: 400 }),
    status: statusText({ name: "init", uid: 1000000, nspid: [500, 1], rssKb: 800 }),
    cgroup: cgroupV1("/ovz/101"),
    cmdline: "/sbin/init\0",
  });
  put(501, {
    stat: statLine({ pid: 501, comm: "sleep", ppid: 500, utime: 3, stime: 2 }),
    status: statusText({ name: "sleep", uid: 1000000, nspid: [501, 7], rssKb: 600 }),
    cgroup: cgroupV1("/ovz/101/sub"),
    cmdline: "sleep\x00300\x00",
  });
  put(600, {
    stat: statLine({ pid: 600, comm: "init", ppid: 599 }),
    status: statusText({ name: "init", uid: 1065536, nspid: [600, 1], rssKb: 800 }),
    cgroup: cgroupV1("/ovz/1010"),
    cmdline: "/sbin/init\0",
  });
  put(700, {
    stat: statLine({ pid: 700, comm: "lxc-start", ppid: 1 }),
    status: statusText({ name: "lxc-start", nspid: [700], rssKb: 2000 }),
    cgroup: cgroupV1("/ovz.monitor/101"),
    cmdline: "[lxc monitor] /var/lib/ovz/lxc 101\0",
  });
  writeFileSync(path.join(root, "stat"), "cpu  1 2 3\nbtime 1700000000\n");
  mkdirSync(path.join(root, "self"));
  return root;
}

const sample = (ctid: number, t: number, cpuSec: number, io = 0, initPid = 500): UsageSample => ({
  ctid,
  initPid,
  cpuNs: cpuSec * 1e9,
  memBytes: 10 * MiB,
  memMaxBytes: 12 * MiB,
  swapBytes: 0,
  nproc: 3,
  ioReadBytes: io,
  ioWriteBytes: 2 * io,
  sampledAt: t,
});

// ------------------------------------------------------------------------------------------------ /proc parsers

describe("/proc parsers", () => {
  it("parseStat: a command with spaces and parentheses, and the numeric fields after it", () => {
    const s = parseStat(
      statLine({
        pid: 42,
        comm: "my (odd) proc",
        state: "R",
        ppid: 7,
        tty: 34818,
        utime: 123,
        stime: 45,
        nice: -5,
        threads: 3,
        start: 9999,
        vsize: 8192,
      }),
    )!;
    expect(s).toMatchObject({
      pid: 42,
      comm: "my (odd) proc",
      state: "R",
      ppid: 7,
      ttyNr: 34818,
      utime: 123,
      stime: 45,
      nice: -5,
      threads: 3,
      starttime: 9999,
      vsize: 8192,
    });
    expect(parseStat("garbage")).toBeNull();
  });

  it("parseStatus: effective uid, NSpid (outermost first), memory in KiB; kernel threads have no Vm lines", () => {
    const s = parseStatus(
      statusText({ name: "sleep", uid: 1000000, nspid: [501, 7], rssKb: 600, sizeKb: 1500, lckKb: 4 }),
    );
    expect(s).toEqual({
      uid: [1000000, 1000000, 1000000, 1000000],
      nspid: [501, 7],
      vmSizeKb: 1500,
      vmRssKb: 600,
      vmLckKb: 4,
    });
    expect(parseStatus(statusText({ name: "kthreadd", nspid: [2] }))).toMatchObject({
      vmRssKb: 0,
      vmSizeKb: 0,
      nspid: [2],
    });
  });

  it("parseCgroupFile: v1 hierarchies (co-mounted ones split), name=, the unified line; mapping prefers pids", () => {
    const m = parseCgroupFile(cgroupV1("/ovz/101", "/elsewhere"));
    expect(m.get("cpu")).toBe("/ovz/101");
    expect(m.get("cpuacct")).toBe("/ovz/101");
    expect(m.get("memory")).toBe("/elsewhere");
    expect(m.get("name=systemd")).toBe("/ovz/101");
    expect(m.get("")).toBe("/ovz/101");
    expect(mappingController(m)).toBe("pids");
    expect(mappingController(parseCgroupFile("4:memory:/a\n"))).toBe("memory");
    expect(mappingController(parseCgroupFile("0::/ovz/101/init.scope\n"))).toBe("");
    expect(mappingController(parseCgroupFile(""))).toBeNull();
  });

  it("small parsers: passwd, btime, MemTotal; mapLimit keeps order with bounded concurrency", async () => {
    expect(parsePasswd("root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534::/:/usr/sbin/nologin\n").get(65534)).toBe(
      "nobody",
    );
    expect(parseBootTime("cpu 1 2\nbtime 1700000000\nprocesses 5\n")).toBe(1_700_000_000);
    expect(parseMemTotal("MemTotal:       24576000 kB\nMemFree: 1 kB\n")).toBe(24_576_000 * 1024);
    let inFlight = 0;
    let peak = 0;
    const out = await mapLimit([5, 4, 3, 2, 1], 2, async (x) => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, x));
      inFlight--;
      return x * 10;
    });
    expect(out).toEqual([50, 40, 30, 20, 10]);
    expect(peak).toBe(2);
  });
});

// ------------------------------------------------------------------------------------------------ mapping

describe("cgroup → CTID mapping on a fake /proc", () => {
  it("isAtOrBelow: the cgroup itself and below, never a sibling sharing a prefix", () => {
    expect(isAtOrBelow("/ovz/101", "/ovz/101")).toBe(true);
    expect(isAtOrBelow("/ovz/101/init.scope", "/ovz/101")).toBe(true);
    expect(isAtOrBelow("/ovz/1010", "/ovz/101")).toBe(false);
    expect(isAtOrBelow("/ovz.monitor/101", "/ovz/101")).toBe(false);
  });

  it("maps every process to its container's CTID (0 = host) from the inits' cgroups", async () => {
    const root = fakeProc();
    const pids = await listPids(root);
    expect(pids).toEqual([1, 2, 300, 500, 501, 600, 700]);
    const procs = (await Promise.all(pids.map((p) => readProc(p, root)))).filter((p): p is ProcInfo => p !== null);
    const byPid = new Map(procs.map((p) => [p.pid, p]));
    const { map, skipped } = containerCgroups([
      { ctid: 101, cgroups: byPid.get(500)!.cgroups },
      { ctid: 1010, cgroups: byPid.get(600)!.cgroups },
      { ctid: 102, cgroups: null }, // its init exited meanwhile
      { ctid: 103, cgroups: byPid.get(1)!.cgroups }, // an init in the root cgroup would swallow the host
    ]);
    expect(skipped.map((s) => s.ctid)).toEqual([102, 103]);
    const ct = Object.fromEntries(procs.map((p) => [p.pid, ctidOf(p.cgroups, map)]));
    expect(ct).toEqual({ 1: 0, 2: 0, 300: 0, 500: 101, 501: 101, 600: 1010, 700: 0 });
    expect(byPid.get(501)!.status.nspid.at(-1)).toBe(7);
    expect(byPid.get(501)!.argv).toEqual(["sleep", "300"]);
    expect(await readProc(99999, root)).toBeNull();
  });

  it("an init in a sub-cgroup (systemd's init.scope): the engine's container cgroup covers its siblings", () => {
    const init = parseCgroupFile(cgroupV1("/ovz/101/init.scope"));
    const service = parseCgroupFile(cgroupV1("/ovz/101/system.slice/sshd.service"));
    // init's path alone misses it
    expect(ctidOf(service, containerCgroups([{ ctid: 101, cgroups: init }]).map)).toBe(0);
    const { map } = containerCgroups([{ ctid: 101, cgroups: init, cgroup: "/ovz/101" }]);
    expect(map).toEqual([{ ctid: 101, controller: "pids", base: "/ovz/101" }]);
    expect(ctidOf(service, map)).toBe(101);
    expect(ctidOf(init, map)).toBe(101);
    // an engine path that does not hold the init (or "/") is not trusted
    expect(containerCgroups([{ ctid: 101, cgroups: init, cgroup: "/other" }]).map[0]!.base).toBe("/ovz/101/init.scope");
    expect(containerCgroups([{ ctid: 101, cgroups: init, cgroup: "/" }]).map[0]!.base).toBe("/ovz/101/init.scope");
  });

  it("finds a container's init among its cgroup's pids and re-verifies a cached one", async () => {
    const root = fakeProc();
    expect(await findInitPid([501, 500], root)).toBe(500);
    expect(await findInitPid([501, 700], root)).toBeNull();
    expect(await isInitIn(500, "/ovz/101", root)).toBe(true);
    expect(await isInitIn(600, "/ovz/101", root)).toBe(false); // pid reused by another container's init
    expect(await isInitIn(501, "/ovz/101", root)).toBe(false); // not pid 1 in its namespace
    expect(await isInitIn(4242, "/ovz/101", root)).toBe(false); // gone
  });
});

// ------------------------------------------------------------------------------------------------ vzps

describe("vzps options", () => {
  const fields = (o: { format: Array<{ field: string }> }) => o.format.map((f) => f.field).join(",");

  it("selections: -e, -A, ax, aux; -E repeatable and comma lists; attached values", () => {
    expect(parseVzpsArgs(["-e"]).all).toBe(true);
    expect(parseVzpsArgs(["-A"]).all).toBe(true);
    expect(parseVzpsArgs(["ax"]).all).toBe(true);
    expect(parseVzpsArgs(["a"])).toMatchObject({ all: false, bsdA: true, bsdX: false });
    const aux = parseVzpsArgs(["aux"]);
    expect(aux.all).toBe(true);
    expect(fields(aux)).toBe(USER_FORMAT);
    expect(parseVzpsArgs(["-E", "101", "-E", "102,103"]).ctids).toEqual([101, 102, 103]);
    expect(parseVzpsArgs(["-E101"]).ctids).toEqual([101]);
    expect(parseVzpsArgs(["-eE", "0"])).toMatchObject({ all: true, ctids: [0] });
    expect(parseVzpsArgs(["--ctid=5"]).ctids).toEqual([5]);
    expect(parseVzpsArgs(["-p", "1,2"]).pids).toEqual([1, 2]);
  });

  it("formats: defaults, -o lists (repeatable, aliases, FIELD=HEADER), no header", () => {
    expect(fields(parseVzpsArgs([]))).toBe("ctid,pid,vpid,tty,time,comm");
    expect(fields(parseVzpsArgs(["ax"]))).toBe("ctid,pid,vpid,tty,stat,time,args");
    expect(fields(parseVzpsArgs(["-o", "ctid,pid", "-o", "vpid user"]))).toBe("ctid,pid,vpid,user");
    expect(fields(parseVzpsArgs(["-eo", "veid,%cpu,%mem,cmd"]))).toBe("ctid,pcpu,pmem,args");
    expect(fields(parseVzpsArgs(["axo", "pid,comm"]))).toBe("pid,comm");
    expect(parseFormat("pid,args=COMMAND LINE, really")).toEqual([
      { field: "pid", header: "PID" },
      { field: "args", header: "COMMAND LINE, really" },
    ]);
    expect(parseVzpsArgs(["-H"]).noHeader).toBe(true);
    expect(parseVzpsArgs(["axh"]).noHeader).toBe(true);
    expect(parseVzpsArgs(["--no-headers"]).noHeader).toBe(true);
    expect(parseVzpsArgs(["--help"]).help).toBe(true);
  });

  it("refuses what it does not know, in procps ps's words", () => {
    const err = (argv: string[]) => {
      try {
        parseVzpsArgs(argv);
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        return (e as Error).message;
      }
      throw new Error(`accepted ${argv.join(" ")}`);
    };
    expect(err(["-Z"])).toBe("unsupported SysV option");
    expect(err(["-"])).toBe("unsupported SysV option");
    expect(err(["axk"])).toBe("unsupported option (BSD syntax)");
    expect(err(["--bogus"])).toBe("unknown gnu long option");
    expect(err(["-o", "pid,bogus"])).toBe('unknown user-defined format specifier "bogus"');
    expect(err(["-E"])).toMatch(/list of container IDs must follow -E/);
    expect(err(["-E", "abc"])).toMatch(/invalid container ID "abc"/);
    expect(err(["-p", "x"])).toMatch(/process ID list syntax error/);
    expect(usageErrorText(new UsageError("unsupported SysV option"))).toMatch(
      /^error: unsupported SysV option\n\nUsage:\n vzps \[options\]\n/,
    );
  });
});

describe("vzps selection and table", () => {
  const self = { euid: 1000, ttyNr: (136 << 8) | 2 };
  async function procs() {
    const root = fakeProc();
    const list = (await Promise.all((await listPids(root)).map((p) => readProc(p, root)))).filter(
      (p): p is ProcInfo => p !== null,
    );
    const byPid = new Map(list.map((p) => [p.pid, p]));
    const { map } = containerCgroups([
      { ctid: 101, cgroups: byPid.get(500)!.cgroups },
      { ctid: 1010, cgroups: byPid.get(600)!.cgroups },
    ]);
    return list.map((proc) => ({ proc, ctid: ctidOf(proc.cgroups, map) }));
  }
  const pick = async (argv: string[]) =>
    (await procs()).filter((x) => isSelected(x.proc, x.ctid, parseVzpsArgs(argv), self)).map((x) => x.proc.pid);

  it("selects like ps (default: own processes on own terminal), -E filters by container (0 = host)", async () => {
    expect(await pick([])).toEqual([300]);
    expect(await pick(["-e"])).toEqual([1, 2, 300, 500, 501, 600, 700]);
    expect(await pick(["-E", "101"])).toEqual([500, 501]);
    expect(await pick(["-e", "-E", "1010"])).toEqual([600]);
    expect(await pick(["-E", "0"])).toEqual([1, 2, 300, 700]);
    expect(await pick(["-p", "501,600", "-E", "101"])).toEqual([501]);
    expect(await pick(["a"])).toEqual([300]); // processes with a terminal
    expect(await pick(["x"])).toEqual([300]); // the caller's (uid 1000)
  });

  it("renders CTID, PID, VPID, user, times and commands; numbers right-aligned", async () => {
    const all = await procs();
    const ctx = {
      nowMs: (1_700_000_000 + 20 + 3600) * 1000,
      bootMs: 1_700_000_000 * 1000,
      uptimeSec: 3620,
      memTotalBytes: 1024 * 1024 * 1024,
      users: new Map([
        [0, "root"],
        [1000, "alice"],
      ]),
    };
    const out = renderVzps(
      all,
      parseVzpsArgs(["-e", "-o", "ctid,pid,vpid,user,pcpu,pmem,vsz,rss,tty,stat,time,args"]),
      ctx,
    );
    const lines = out.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^\s*CTID\s+PID\s+VPID USER\s+%CPU %MEM\s+VSZ\s+RSS TT\s+STAT\s+TIME COMMAND$/);
    const row = (pid: number) =>
      lines
        .find((l) => new RegExp(`^\\s*\\d+\\s+${pid}\\s`).test(l))!
        .trim()
        .split(/\s+/);
    expect(row(501).slice(0, 4)).toEqual(["101", "501", "7", "1000000"]);
    expect(row(501).slice(-2)).toEqual(["sleep", "300"]);
    expect(row(300).slice(0, 4)).toEqual(["0", "300", "300", "alice"]);
    expect(row(300)).toContain("pts/2");
    expect(row(300)).toContain("Ss+");
    expect(row(300)).toContain("00:00:02"); // 200 ticks
    expect(row(2).at(-1)).toBe("[kthreadd]");
    // %CPU over the lifetime: 2 s of CPU since boot+10 s (start 1000 ticks), uptime 3620 s
    expect(row(300)[4]).toBe(((2 / 3610) * 100).toFixed(1));
    expect(renderVzps(all.slice(0, 1), parseVzpsArgs(["-H", "-o", "pid"]), ctx)).toBe("1\n");
    expect(renderVzps(all.slice(0, 1), parseVzpsArgs(["-o", "pid="]), ctx)).toBe("1\n");
  });

  it("a command line with a newline or tab stays on its own row, shown with '?' as ps does", async () => {
    const all = await procs();
    const ctx = { nowMs: 0, bootMs: 0, uptimeSec: 1, memTotalBytes: 1, users: new Map<number, string>() };
    const odd = all.map((x) =>
      x.proc.pid === 501 ? { ...x, proc: { ...x.proc, argv: ["sh", "-c", "echo a\necho\tb"] } } : x,
    );
    const lines = renderVzps(odd, parseVzpsArgs(["-e", "-H", "-o", "pid,args"]), ctx)
      .trimEnd()
      .split("\n");
    expect(lines).toHaveLength(odd.length);
    expect(lines.find((l) => l.trim().startsWith("501 "))!.trim()).toBe("501 sh -c echo a?echo?b");
  });

  it("STAT flags like ps: <, N, L, s, l, +", () => {
    const base = parseStat(statLine({ pid: 10, comm: "x", session: 10, pgrp: 10, tpgid: 10 }))!;
    const p = (o: Partial<ProcInfo>, lck = 0) =>
      ({
        ...base,
        status: parseStatus(statusText({ name: "x", nspid: [10], rssKb: 1, lckKb: lck })),
        cgroups: new Map(),
        argv: [],
        ...o,
      }) as ProcInfo;
    expect(statFlags(p({}))).toBe("Ss+");
    expect(statFlags(p({ nice: -5, threads: 4, session: 1, tpgid: -1 }, 8))).toBe("S<Ll");
    expect(statFlags(p({ nice: 10, state: "R", session: 1, tpgid: 3 }))).toBe("RN");
  });
});

// ------------------------------------------------------------------------------------------------ formatting

describe("formatting", () => {
  it("sizes, CPU time, start time, terminals, percent", () => {
    expect([0, 512, 1536, 12.34 * MiB, 150 * MiB, 2 * 1024 * MiB].map(fmtBytes)).toEqual([
      "0",
      "512",
      "1.5K",
      "12.3M",
      "150M",
      "2.0G",
    ]);
    expect(fmtBytes(-1)).toBe("-");
    expect(fmtCpuTime(0)).toBe("00:00:00");
    expect(fmtCpuTime(3 * 3600 + 25 * 60 + 7.9)).toBe("03:25:07");
    expect(fmtCpuTime(2 * 86400 + 61)).toBe("2-00:01:01");
    const now = new Date(2026, 10, 23, 20, 15).getTime();
    expect(fmtStart(new Date(2026, 10, 23, 9, 5).getTime(), now)).toBe("09:05");
    expect(fmtStart(new Date(2026, 1, 3, 9, 5).getTime(), now)).toBe("Feb03");
    expect(fmtStart(new Date(2024, 1, 3).getTime(), now)).toBe("2024");
    expect(fmtTty(0)).toBe("?");
    expect(fmtTty((136 << 8) | 5)).toBe("pts/5");
    expect(fmtTty((4 << 8) | 1)).toBe("tty1");
    expect(fmtTty((4 << 8) | 64)).toBe("ttyS0");
    expect(fmtPercent(12.345)).toBe("12.3");
    expect(fmtPercent(null)).toBe("-");
  });

  it("tables: padded columns, right-aligned numbers, last column unpadded", () => {
    expect(
      renderTable(
        ["PID", "CMD"],
        ["r", "l"],
        [
          ["1", "init"],
          ["12345", "sleep 300"],
        ],
      ),
    ).toBe("  PID CMD\n    1 init\n12345 sleep 300\n");
    expect(renderTable(null, ["r"], [])).toBe("");
  });
});

// ------------------------------------------------------------------------------------------------ pstat

describe("pstat: rates and table", () => {
  it("CPU%: 100 = one core over the interval; none across a restart or without a previous sample", () => {
    expect(cpuPercent(sample(101, 1000, 10), sample(101, 3000, 12))).toBeCloseTo(100);
    expect(cpuPercent(sample(101, 1000, 10), sample(101, 2000, 11.5))).toBeCloseTo(150); // 1.5 cores
    expect(cpuPercent(sample(101, 1000, 10), sample(101, 1500, 10.05))).toBeCloseTo(10);
    expect(cpuPercent(undefined, sample(101, 1000, 1))).toBeNull();
    expect(cpuPercent(sample(101, 1000, 10), sample(101, 2000, 1, 0, 900))).toBeNull(); // new init: restarted
    expect(cpuPercent(sample(101, 1000, 10), sample(101, 2000, 9))).toBeNull(); // counter went back
    expect(cpuPercent(sample(101, 1000, 10), sample(101, 1000, 11))).toBeNull(); // no time passed
    expect(byteRate(sample(101, 1000, 0, 0), sample(101, 3000, 0, 4 * MiB), "ioReadBytes")).toBe(2 * MiB);
    expect(byteRate(sample(101, 1000, 0, 0), sample(101, 3000, 0, 4 * MiB), "ioWriteBytes")).toBe(4 * MiB);
  });

  it("rows take names and limits from container.list; sorted by cpu (default), ram, ctid, name", () => {
    const meta = new Map<number, CtMeta>([
      [101, { name: "web", hostname: "web.example", ramLimit: 256 * MiB, swapLimit: 0 }],
      [102, { name: null, hostname: "db.example", ramLimit: 512 * MiB, swapLimit: 0 }],
    ]);
    const prev = new Map([
      [101, sample(101, 0, 0)],
      [102, sample(102, 0, 0)],
    ]);
    const cur = [sample(101, 1000, 0.05), { ...sample(102, 1000, 0.9), memBytes: 5 * MiB }, sample(103, 1000, 1)];
    const rows = buildRows(prev, cur, meta);
    expect(rows.map((r) => [r.ctid, r.name, r.cpu === null ? null : Math.round(r.cpu)])).toEqual([
      [101, "web", 5],
      [102, "db.example", 90],
      [103, "?", null],
    ]);
    expect(sortRows(rows, "cpu").map((r) => r.ctid)).toEqual([102, 101, 103]);
    expect(sortRows(rows, "ram").map((r) => r.ctid)).toEqual([101, 103, 102]);
    expect(sortRows(rows, "ctid").map((r) => r.ctid)).toEqual([101, 102, 103]);
    expect(sortRows(rows, "name").map((r) => r.name)).toEqual(["?", "db.example", "web"]);
    const text = renderRows(sortRows(rows, "cpu"));
    const lines = text
      .trimEnd()
      .split("\n")
      .map((l) => l.trim().split(/\s+/));
    expect(lines[0]).toEqual(["CTID", "NAME", "NPROC", "CPU%", "RAM/LIMIT", "SWAP", "IOR/s", "IOW/s"]);
    expect(lines[1]).toEqual(["102", "db.example", "3", "90.0", "5.0M/512M", "0", "0", "0"]);
    expect(lines[3]).toEqual(["103", "?", "3", "-", "10.0M/-", "0", "-", "-"]);
  });

  it("options: -b -n -d -s -E, attached values, errors", () => {
    expect(parsePstatArgs([])).toEqual({
      help: false,
      batch: false,
      iterations: null,
      delaySec: 2,
      sort: "cpu",
      ctids: null,
    });
    expect(parsePstatArgs(["-b", "-n", "2", "-d", "1"])).toMatchObject({ batch: true, iterations: 2, delaySec: 1 });
    expect(parsePstatArgs(["-bn3", "-d0.5", "-s", "mem", "-E", "101,102", "-E103"])).toMatchObject({
      batch: true,
      iterations: 3,
      delaySec: 0.5,
      sort: "ram",
      ctids: [101, 102, 103],
    });
    expect(parsePstatArgs(["--help"]).help).toBe(true);
    for (const bad of [
      ["-x"],
      ["-n", "0"],
      ["-n"],
      ["-d", "0"],
      ["-d", "abc"],
      ["-s", "colour"],
      ["-E", "x"],
      ["--bogus"],
      ["b"],
    ]) {
      expect(() => parsePstatArgs(bad), bad.join(" ")).toThrow(UsageError);
    }
  });
});

// ------------------------------------------------------------------------------------------------ cgroup usage()

describe("cgroup drivers: usage() on fake trees", () => {
  const mk = (root: string, dir: string, files: Record<string, string>) => {
    mkdirSync(path.join(root, dir), { recursive: true });
    for (const [f, c] of Object.entries(files)) writeFileSync(path.join(root, dir, f), c);
  };

  it("v1: cpuacct.usage, memory usage/peak/total_swap, pids.current, blkio Read/Write summed over devices", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "ovz-cg1-"));
    tmp.push(root);
    mk(root, "memory/ovz/101", {
      "memory.usage_in_bytes": `${20 * MiB}\n`,
      "memory.max_usage_in_bytes": `${30 * MiB}\n`,
      "memory.limit_in_bytes": `${256 * MiB}\n`,
      "memory.stat": "cache 100\nswap 4096\ntotal_cache 200\ntotal_swap 8192\n",
      "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n",
    });
    mk(root, "cpuacct/ovz/101", { "cpuacct.usage": "123456789012\n" });
    mk(root, "pids/ovz/101", { "pids.current": "7\n", "pids.events": "max 9\n" });
    mk(root, "blkio/ovz/101", {
      "blkio.throttle.io_service_bytes_recursive":
        "7:1 Read 1000\n7:1 Write 2000\n7:1 Sync 3000\n7:1 Async 0\n7:1 Discard 0\n7:1 Total 3000\n8:0 Read 5\n8:0 Write 6\nTotal 3011\n",
    });
    const d = new CgroupV1({ mountRoot: root });
    expect(await d.usage("ovz/101")).toEqual({
      cpuNs: 123456789012,
      memBytes: 20 * MiB,
      memMaxBytes: 30 * MiB,
      memLimitBytes: 256 * MiB,
      swapBytes: 8192,
      nproc: 7,
      ioReadBytes: 1005,
      ioWriteBytes: 2006,
      oomKills: 3,
      forkFails: 9,
    });
    expect(await d.usage("ovz/999")).toBeNull();
    // no swap accounting (no swap lines in memory.stat), no blkio files: swap null, I/O 0
    // and no RAM limit (v1 prints LONG_MAX rounded to a page): memLimitBytes null
    mk(root, "memory/ovz/102", {
      "memory.usage_in_bytes": "100\n",
      "memory.stat": "cache 100\n",
      "memory.limit_in_bytes": "9223372036854771712\n",
    });
    expect(await d.usage("ovz/102")).toEqual({
      cpuNs: 0,
      memBytes: 100,
      memMaxBytes: null,
      memLimitBytes: null,
      swapBytes: null,
      nproc: 0,
      ioReadBytes: 0,
      ioWriteBytes: 0,
      oomKills: 0,
      forkFails: 0,
    });
    expect(parseIoServiceRW(null)).toEqual({ read: 0, write: 0 });
  });

  it("v2: cpu.stat usage_usec, memory.current/peak, memory.swap.current, pids.current, io.stat", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "ovz-cg2-"));
    tmp.push(root);
    mk(root, "ovz/101", {
      "cgroup.procs": "500\n",
      "cpu.stat": "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\nnr_throttled 3\n",
      "memory.current": `${40 * MiB}\n`,
      "memory.peak": `${50 * MiB}\n`,
      "memory.max": `${128 * MiB}\n`,
      "memory.swap.current": "4096\n",
      "pids.current": "12\n",
      "memory.events": "low 0\nhigh 0\nmax 40\noom 2\noom_kill 2\n",
      "pids.events": "max 5\n",
      "io.stat":
        "254:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n7:1 rbytes=10 wbytes=20 rios=1 wios=1 dbytes=0 dios=0\n",
    });
    const d = new CgroupV2({ mountRoot: root });
    expect(await d.usage("ovz/101")).toEqual({
      cpuNs: 2_500_000_000,
      memBytes: 40 * MiB,
      memMaxBytes: 50 * MiB,
      memLimitBytes: 128 * MiB,
      swapBytes: 4096,
      nproc: 12,
      ioReadBytes: 110,
      ioWriteBytes: 220,
      oomKills: 2,
      forkFails: 5,
    });
    expect(await d.usage("ovz/999")).toBeNull();
    // older kernel: no memory.peak; no swap; no RAM limit ("max")
    mk(root, "ovz/102", { "cgroup.procs": "", "memory.current": "5\n", "memory.max": "max\n" });
    expect(await d.usage("ovz/102")).toEqual({
      cpuNs: 0,
      memBytes: 5,
      memMaxBytes: null,
      memLimitBytes: null,
      swapBytes: null,
      nproc: 0,
      ioReadBytes: 0,
      ioWriteBytes: 0,
      oomKills: 0,
      forkFails: 0,
    });
    expect(parseIoStatRW("8:0 rbytes=1 wbytes=2\n")).toEqual({ read: 1, write: 2 });
  });
});
