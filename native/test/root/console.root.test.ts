/**
 * Console sessions into a real container (busybox) through the real engine, driven from a REAL terminal:
 * the test runs `enter.ts` under a pseudo-terminal of its own (the admin's terminal), types into it and
 * reads the screen. Covers the shell's output and exit status, window resizes reaching the shell,
 * abrupt client death leaving no process behind (host or container), a shell whose background jobs
 * hold the terminal, typed errors, the per-container session limit and descriptor hygiene; and the
 * browser console's persistent sessions: detach and re-attach to the same shell, shared clients, expiry.
 */
import os from "node:os";
import path from "node:path";
import { readdir, readFile, readlink } from "node:fs/promises";
import { createRequire } from "node:module";
import type { IPty } from "node-pty";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeRoot } from "../helpers/root.js";
import { REPO, startTestEngine, type TestEngine } from "../helpers/engine.js";
import { openConsole, type ConsoleConnection } from "../../src/protocol/console-client.js";

const pty = createRequire(import.meta.url)("node-pty") as typeof import("node-pty");

let te: TestEngine;
const CT = 131;
const STOPPED = 132;
const HOSTNAME = "console-ct.test";
/** detached sessions of this test engine end this long after their last client left */
const DETACH_SEC = 3;

interface Term {
  p: IPty;
  out(): string;
  waitFor(re: RegExp, ms?: number): Promise<string>;
  exited: Promise<{ exitCode: number; signal?: number }>;
}

/** enter.ts on a fresh pseudo-terminal, as an admin would run it. */
function enter(args: string[], size = { cols: 80, rows: 24 }): Term {
  const p = pty.spawn(process.execPath, ["--import", "tsx", "native/src/tools/enter.ts", ...args], {
    name: "xterm-256color",
    cols: size.cols,
    rows: size.rows,
    cwd: REPO,
    env: { ...process.env, OVZ_SOCKET: te.env.OVZ_SOCKET!, TERM: "xterm-256color" } as Record<string, string>,
  });
  let buf = "";
  p.onData((d) => (buf += d));
  const exited = new Promise<{ exitCode: number; signal?: number }>((r) => p.onExit(r));
  return {
    p,
    out: () => buf,
    exited,
    async waitFor(re, ms = 15_000) {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        const m = re.exec(buf);
        if (m) return m[0];
        await sleep(25);
      }
      throw new Error(`timed out waiting for ${re} on the terminal; screen so far:\n${JSON.stringify(buf)}`);
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function pidsWhere(pred: (pid: number) => Promise<boolean>): Promise<number[]> {
  const out: number[] = [];
  for (const e of await readdir("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    if (await pred(Number(e)).catch(() => false)) out.push(Number(e));
  }
  return out;
}

/** host pids of every process inside the container (its pid namespace), zombies excluded */
let ctPidNs: string; // read once: the engine is down in some tests
async function containerPids(): Promise<number[]> {
  if (!ctPidNs)
    ctPidNs = await readlink(`/proc/${(await te.client.call("container.status", { ctid: CT })).initPid!}/ns/pid`);
  const ns = ctPidNs;
  return pidsWhere(async (pid) => {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) return false;
    return (await readlink(`/proc/${pid}/ns/pid`)) === ns;
  });
}

/** lxc-attach processes on the host attached to this test's container */
async function attachPids(ctid = CT): Promise<number[]> {
  const lxcPath = path.join(te.stateDir, "lxc");
  return pidsWhere(async (pid) => {
    const argv = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0");
    if (!argv.some((a) => a.endsWith("lxc-attach"))) return false;
    const n = argv.indexOf("-n");
    return argv[n + 1] === String(ctid) && argv.includes(lxcPath);
  });
}

async function describePids(pids: number[]): Promise<string> {
  const lines = await Promise.all(
    pids.map(
      async (p) => `${p}: ${(await readFile(`/proc/${p}/cmdline`, "utf8").catch(() => "?")).replace(/\0/g, " ")}`,
    ),
  );
  return lines.join("\n");
}

/** Polls until the container runs only `baseline` and no lxc-attach is left; returns what remained. */
async function waitNoLeftovers(
  baseline: number[],
  ms = 10_000,
): Promise<{ extra: string; attach: string; tookMs: number }> {
  const t0 = Date.now();
  let extra: number[] = [];
  let attach: number[] = [];
  while (Date.now() - t0 < ms) {
    extra = (await containerPids()).filter((p) => !baseline.includes(p));
    attach = await attachPids();
    if (extra.length === 0 && attach.length === 0) break;
    await sleep(50);
  }
  return { extra: await describePids(extra), attach: await describePids(attach), tookMs: Date.now() - t0 };
}

const PROMPT = /# (\x1b\[6n)?$/;

describeRoot("console sessions (real terminal, real container)", () => {
  let baseline: number[];

  beforeAll(async () => {
    te = await startTestEngine({ env: { OVZ_CONSOLE_DETACH_SEC: String(DETACH_SEC) } });
    await te.client.call("template.build", { kind: "busybox" });
    await te.client.call("container.create", { ctid: CT, template: "busybox", hostname: HOSTNAME });
    await te.client.call("container.start", { ctid: CT });
    await te.client.call("container.create", { ctid: STOPPED, template: "busybox" });
    baseline = await containerPids();
  });
  afterAll(async () => {
    await te?.cleanup();
  });

  it("enters the container on a real terminal: its shell, its hostname, the shell's exit status", async () => {
    expect(os.hostname()).not.toBe(HOSTNAME);
    const t0 = Date.now();
    const t = enter([String(CT)]);
    await t.waitFor(/entered into CT 131\r?\n/);
    await t.waitFor(PROMPT);
    const promptMs = Date.now() - t0;
    t.p.write("echo $((6*7)); hostname; exit 3\r");
    const { exitCode } = await t.exited;
    const screen = t.out();
    // (each terminal layer — the container's, the engine's, the admin's — turns \n into \r\n)
    expect(screen).toMatch(/\n42\r+\n/); // the result, not the echoed "6*7"
    expect(screen).toMatch(new RegExp(`\\n${HOSTNAME.replace(/\./g, "\\.")}\\r+\\n`));
    expect(screen).toMatch(/exited from CT 131\r?\n$/);
    expect(exitCode).toBe(3);
    console.log(`enter.ts: prompt after ${promptMs} ms (node + tsx start-up included)`);
    const left = await waitNoLeftovers(baseline);
    expect(left).toMatchObject({ extra: "", attach: "" });
  });

  it("forwards window size changes of the admin's terminal to the shell", async () => {
    const t = enter([String(CT)], { cols: 80, rows: 24 });
    await t.waitFor(PROMPT);
    t.p.write("stty size\r");
    await t.waitFor(/\r\n24 80\r/);
    t.p.resize(101, 37); // SIGWINCH to enter.ts → RESIZE frame → engine's pty → lxc-attach → the shell's tty
    const t0 = Date.now();
    let seen = false;
    while (!seen && Date.now() - t0 < 10_000) {
      t.p.write("stty size\r");
      await sleep(150);
      seen = /\r\n37 101\r/.test(t.out());
    }
    expect(seen, t.out()).toBe(true);
    console.log(`resize visible inside after ≤ ${Date.now() - t0} ms`);
    t.p.write("exit\r");
    expect((await t.exited).exitCode).toBe(0);
  });

  it("leaves no process behind, on the host or in the container, when the client dies abruptly", async () => {
    const t = enter([String(CT)]);
    await t.waitFor(PROMPT);
    // a foreground job, a background job and one that ignores hangups
    t.p.write("sleep 1000 & (trap '' HUP; exec sleep 1001) & echo ready-$((40+2))\r");
    await t.waitFor(/ready-42/);
    t.p.write("sleep 1002\r");
    await sleep(300);
    const during = await containerPids();
    const cmdlines = await describePids(during.filter((p) => !baseline.includes(p)));
    expect(cmdlines).toMatch(/sleep 1000/);
    expect(cmdlines).toMatch(/sleep 1001/);
    expect(cmdlines).toMatch(/sleep 1002/);
    expect((await attachPids()).length).toBe(1);

    t.p.kill("SIGKILL"); // the enter.ts process: its socket closes without a word
    await t.exited;
    const left = await waitNoLeftovers(baseline);
    console.log(`after the client's SIGKILL the session's processes were gone in ${left.tookMs} ms`);
    expect(left).toMatchObject({ extra: "", attach: "" });
  });

  it("ends the session when the shell exits even if its background jobs still hold the terminal", async () => {
    const c = await openConsole(te.env.OVZ_SOCKET!, {
      ctid: CT,
      cols: 80,
      rows: 24,
      command: ["/bin/sh", "-c", "sleep 1003 & echo started; exit 4"],
    });
    let out = "";
    c.onData((d) => (out += d.toString()));
    const t0 = Date.now();
    const exit = await c.exited;
    expect(out).toMatch(/started/);
    expect(exit).toMatchObject({ code: 4 });
    expect(Date.now() - t0).toBeLessThan(5000);
    const left = await waitNoLeftovers(baseline);
    expect(left).toMatchObject({ extra: "", attach: "" });
  });

  it("refuses a stopped or unknown container with a clear error and a non-zero exit", async () => {
    const t = enter([String(STOPPED)]);
    const { exitCode } = await t.exited;
    expect(exitCode).not.toBe(0);
    expect(t.out()).toMatch(/enter into CT 132 failed/);
    expect(t.out()).toMatch(/container 132 is not running; start it first/);
    expect(t.out()).not.toMatch(/entered into/);
    await expect(openConsole(te.env.OVZ_SOCKET!, { ctid: STOPPED, cols: 80, rows: 24 })).rejects.toMatchObject({
      code: "NOT_RUNNING",
    });
    await expect(openConsole(te.env.OVZ_SOCKET!, { ctid: 999, cols: 80, rows: 24 })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    const u = enter(["999"]);
    expect((await u.exited).exitCode).not.toBe(0);
    expect(u.out()).toMatch(/container 999 does not exist/);
  });

  it("limits concurrent sessions per container; a closed session frees its slot", async () => {
    const open: ConsoleConnection[] = [];
    try {
      for (let i = 0; i < 8; i++) open.push(await openConsole(te.env.OVZ_SOCKET!, { ctid: CT, cols: 80, rows: 24 }));
      const ninth = await openConsole(te.env.OVZ_SOCKET!, { ctid: CT, cols: 80, rows: 24 }).catch((e) => e);
      expect(ninth).toMatchObject({ code: "BUSY" });
      expect(ninth.message).toMatch(/8 console sessions/);
      // a session is accepted once its terminal's process is forked; it shows as lxc-attach once that has
      // exec'd, a moment later on a loaded host: wait for the eighth, then there must be exactly eight
      let pids = await attachPids();
      for (const end = Date.now() + 10_000; pids.length < 8 && Date.now() < end; pids = await attachPids()) {
        await sleep(50);
      }
      expect(pids.length).toBe(8);
      open.shift()!.close();
      let again: ConsoleConnection | null = null;
      for (const end = Date.now() + 10_000; !again && Date.now() < end; await sleep(100)) {
        again = await openConsole(te.env.OVZ_SOCKET!, { ctid: CT, cols: 80, rows: 24 }).catch(() => null);
      }
      expect(again).not.toBeNull();
      open.push(again!);
    } finally {
      for (const c of open) c.close();
    }
    const left = await waitNoLeftovers(baseline);
    expect(left).toMatchObject({ extra: "", attach: "" });
  });

  it("starts root's login shell from the container's /etc/passwd, falling back to sh for nologin", async () => {
    const passwd = (await te.client.call("container.exec", { ctid: CT, argv: ["cat", "/etc/passwd"] })).stdout;
    const shellOf = async (shell: string) => {
      const next = passwd.replace(/^root:(.*):[^:\n]*$/m, `root:$1:${shell}`);
      await te.client.call("container.exec", { ctid: CT, argv: ["/bin/sh", "-c", "cat > /etc/passwd"], input: next });
      // the sessions of the test before end asynchronously (their processes can be gone a moment before the
      // engine has counted them out): a BUSY right after is retried, anything else fails at once
      let c: ConsoleConnection | null = null;
      for (const end = Date.now() + 10_000; !c; await sleep(100)) {
        c = await openConsole(te.env.OVZ_SOCKET!, { ctid: CT, cols: 80, rows: 24 }).catch((e: { code?: string }) => {
          if (e.code !== "BUSY" || Date.now() > end) throw e;
          return null;
        });
      }
      let out = "";
      c.onData((d) => (out += d.toString()));
      for (const end = Date.now() + 10_000; !PROMPT.test(out) && Date.now() < end;) await sleep(25);
      c.write("echo shell=$SHELL term=$TERM home=$HOME; exit\r");
      await c.exited;
      return out;
    };
    try {
      await te.client.call("container.exec", {
        ctid: CT,
        argv: ["/bin/sh", "-c", "cat > /root/myshell && chmod 755 /root/myshell"],
        input: '#!/bin/sh\necho "MYSHELL $*"\nexec /bin/sh "$@"\n',
      });
      const mine = await shellOf("/root/myshell");
      expect(mine).toMatch(/MYSHELL -l/);
      expect(mine).toMatch(/shell=\/root\/myshell term=xterm-256color home=\/root/);
      const nologin = await shellOf("/sbin/nologin");
      expect(nologin).toMatch(/shell=\/bin\/sh term=xterm-256color/); // busybox has no bash
    } finally {
      await te.client.call("container.exec", {
        ctid: CT,
        argv: ["/bin/sh", "-c", "cat > /etc/passwd; rm -f /root/myshell"],
        input: passwd,
      });
    }
    const left = await waitNoLeftovers(baseline);
    expect(left).toMatchObject({ extra: "", attach: "" });
  });

  it("ends its sessions when the engine stops, and cleans up after an engine that was killed", async () => {
    // the worst case: the session's jobs ignore hangups, so only an explicit kill removes them
    const stubborn = ["/bin/sh", "-c", "trap '' HUP; sleep 1004 & echo up; sleep 1005"];
    const running = async () => await describePids((await containerPids()).filter((p) => !baseline.includes(p)));

    let c = await openConsole(te.env.OVZ_SOCKET!, { ctid: CT, cols: 80, rows: 24, command: stubborn });
    let out = "";
    c.onData((d) => (out += d.toString()));
    for (const end = Date.now() + 10_000; !/up/.test(out) && Date.now() < end;) await sleep(25);
    expect(await running()).toMatch(/sleep 1004[^]*sleep 1005|sleep 1005[^]*sleep 1004/);
    process.kill(te.pid()!, "SIGTERM");
    await te.waitExit();
    const exit = await c.exited;
    expect(exit.code).not.toBe(0);
    expect(await waitNoLeftovers(baseline, 2000)).toMatchObject({ extra: "", attach: "" });
    await te.start();

    c = await openConsole(te.env.OVZ_SOCKET!, { ctid: CT, cols: 80, rows: 24, command: stubborn });
    out = "";
    c.onData((d) => (out += d.toString()));
    for (const end = Date.now() + 10_000; !/up/.test(out) && Date.now() < end;) await sleep(25);
    await sleep(300); // the engine records the session once it has seen the shell
    await te.kill9();
    await c.exited;
    await sleep(500);
    // the terminal's hangup killed lxc-attach, but the jobs that ignore SIGHUP are still there...
    expect(await running()).toMatch(/sleep 100[45]/);
    // ...until the next engine start
    await te.start();
    expect(await waitNoLeftovers(baseline, 5000)).toMatchObject({ extra: "", attach: "" });
  });

  it("keeps a detachable session after its client left: re-attach finds the same shell; two clients share it; it expires", async () => {
    const a = await openConsole(te.env.OVZ_SOCKET!, { ctid: CT, cols: 80, rows: 24, detachable: true });
    let outA = "";
    a.onData((d) => (outA += d.toString()));
    for (const end = Date.now() + 10_000; !PROMPT.test(outA) && Date.now() < end;) await sleep(25);
    a.write("X=kept-$((40+2)); echo pid=$$\r");
    for (const end = Date.now() + 10_000; !/pid=\d+\r/.test(outA) && Date.now() < end;) await sleep(25);
    const pid = /pid=(\d+)\r/.exec(outA)![1]!;
    a.close(); // a network drop / page reload: the engine keeps the session
    await sleep(500);
    expect((await attachPids()).length).toBe(1);

    const t0 = Date.now();
    const b = await openConsole(te.env.OVZ_SOCKET!, { ctid: CT, cols: 80, rows: 24, session: a.session });
    let outB = "";
    b.onData((d) => (outB += d.toString()));
    const c = await openConsole(te.env.OVZ_SOCKET!, { ctid: CT, cols: 100, rows: 40, session: a.session });
    let outC = "";
    c.onData((d) => (outC += d.toString()));
    console.log(`re-attached two clients in ${Date.now() - t0} ms`);
    expect(b.session).toBe(a.session);
    await expect.poll(() => outB, { timeout: 5000 }).toMatch(new RegExp(`pid=${pid}\r`)); // the screen, replayed
    b.write("echo x=$X pid=$$; stty size\r"); // typed by one, seen by both; the last attach's size won
    const same = new RegExp(`x=kept-42 pid=${pid}\r+\n40 100\r`);
    await expect.poll(() => outB, { timeout: 5000 }).toMatch(same);
    await expect.poll(() => outC, { timeout: 5000 }).toMatch(same);
    c.resize(90, 30);
    await sleep(200);
    b.write("stty size\r");
    await expect.poll(() => outC, { timeout: 5000 }).toMatch(/\n30 90\r/);

    // another container's id cannot reach it; an unknown session is NOT_FOUND too
    await expect(
      openConsole(te.env.OVZ_SOCKET!, { ctid: STOPPED, cols: 80, rows: 24, session: a.session }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(
      openConsole(te.env.OVZ_SOCKET!, { ctid: CT, cols: 80, rows: 24, session: "0123456789abcdef" }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    // still one shell (one lxc-attach) for all clients
    expect((await attachPids()).length).toBe(1);

    b.close();
    c.close();
    const t1 = Date.now();
    while ((await attachPids()).length > 0 && Date.now() - t1 < 15_000) await sleep(100);
    const expiredMs = Date.now() - t1;
    console.log(
      `detached session ended ${expiredMs} ms after its last client left (OVZ_CONSOLE_DETACH_SEC=${DETACH_SEC})`,
    );
    expect(expiredMs).toBeGreaterThanOrEqual(DETACH_SEC * 1000 - 200);
    expect(expiredMs).toBeLessThan(DETACH_SEC * 1000 + 5000);
    await expect(
      openConsole(te.env.OVZ_SOCKET!, { ctid: CT, cols: 80, rows: 24, session: a.session }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await waitNoLeftovers(baseline)).toMatchObject({ extra: "", attach: "" });
  });

  it("caps the clients of a shared session and ends it for all of them when its shell exits", async () => {
    const first = await openConsole(te.env.OVZ_SOCKET!, { ctid: CT, cols: 80, rows: 24, detachable: true });
    const all = [first];
    try {
      for (let i = 1; i < 8; i++)
        all.push(await openConsole(te.env.OVZ_SOCKET!, { ctid: CT, cols: 80, rows: 24, session: first.session }));
      const ninth = await openConsole(te.env.OVZ_SOCKET!, {
        ctid: CT,
        cols: 80,
        rows: 24,
        session: first.session,
      }).catch((e) => e);
      expect(ninth).toMatchObject({ code: "BUSY" });
      expect(ninth.message).toMatch(/8 clients/);
      let out = "";
      first.onData((d) => (out += d.toString()));
      for (const end = Date.now() + 10_000; !PROMPT.test(out) && Date.now() < end;) await sleep(25);
      all[5]!.write("exit 5\r");
      const exits = await Promise.all(all.map((c) => c.exited));
      expect(exits.map((e) => e.code)).toEqual(Array(8).fill(5));
    } finally {
      for (const c of all) c.close();
    }
    expect(await waitNoLeftovers(baseline)).toMatchObject({ extra: "", attach: "" });
  });

  it("gives the container none of the engine's descriptors (another session's terminal included)", async () => {
    const other = await openConsole(te.env.OVZ_SOCKET!, { ctid: CT, cols: 80, rows: 24 });
    try {
      const c = await openConsole(te.env.OVZ_SOCKET!, {
        ctid: CT,
        cols: 80,
        rows: 24,
        command: ["/bin/sh", "-c", "ls -l /proc/$$/fd; true"],
      });
      let out = "";
      c.onData((d) => (out += d.toString()));
      expect((await c.exited).code).toBe(0);
      const fds = [...out.matchAll(/ (\d+) -> (\S+)/g)].map((m) => `${m[1]}->${m[2]}`);
      expect(fds.map((f) => f.split("->")[0]).sort()).toEqual(["0", "1", "2"]);
      expect(out).not.toMatch(/ptmx|socket:|pipe:/);
      // container.exec goes through the same attach command
      const r = await te.client.call("container.exec", { ctid: CT, argv: ["/bin/sh", "-c", "ls /proc/$$/fd; true"] });
      expect(r.stdout.trim().split(/\s+/).sort()).toEqual(["0", "1", "2"]);
    } finally {
      other.close();
    }
    const left = await waitNoLeftovers(baseline);
    expect(left).toMatchObject({ extra: "", attach: "" });
  });
});
