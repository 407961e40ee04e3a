/**
 * Console sessions: an interactive terminal into a running container, owned by the engine (the panel
 * runs unprivileged and reaches containers only through the engine's socket).
 *
 * A session is the runtime's attach command (lxc-attach into the container, clean environment, none of
 * the engine's descriptors) run under a pseudo-terminal made with node-pty. LXC allocates the
 * container-side terminal itself (from the container's devpts) and copies between the two; a resize of
 * our terminal reaches it through SIGWINCH. So three processes matter:
 *
 *   engine ── pty master ── lxc-attach (host, session leader of our pty)
 *                              └── shell (a host pid inside the container's pid namespace, leader of
 *                                  its own session on the container-side terminal) └── its jobs
 *
 * Ending a session — the client went away, the engine shuts down, or the shell exited while background
 * jobs still hold the terminal (lxc-attach would wait for them forever) — hangs up every process of the
 * shell's session and lxc-attach (SIGHUP), and after a grace period SIGKILLs what is left. Processes
 * are matched by session id AND the container's pid namespace, so a reused pid on the host is never
 * hit. Only processes that left the session on purpose (setsid: daemons, services) outlive it.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, readlink, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { IPty } from "node-pty";
import { EngineError } from "./errors.js";
import type { ConsoleExit } from "./protocol/console-framing.js";
import type { RuntimeDriver } from "./drivers/runtime/types.js";
import type { ContainerInfo } from "./engine-types.js";

export const DEFAULT_MAX_PER_CONTAINER = 8;
export const DEFAULT_MAX_TOTAL = 64;
/** clients attached to one session at the same time */
export const DEFAULT_MAX_CLIENTS = 8;
/** how long a detachable session lives without any client (OVZ_CONSOLE_DETACH_SEC) */
export const DEFAULT_DETACH_SEC = 900;
/** recent output replayed to a client that attaches to a running session */
export const SCROLLBACK_BYTES = 256 * 1024;
/** after a hangup, how long processes get to exit before SIGKILL */
const HANGUP_GRACE_MS = 1000;
/** how often a session checks whether its shell has exited (see track()) */
const TRACK_INTERVAL_MS = 200;
/** input typed before the shell started that is kept (more is dropped, like a full terminal buffer) */
const MAX_PENDING_INPUT = 64 * 1024;
const CONTAINER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const HOST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * Default session command: root's login shell from the container's /etc/passwd (as vzctl enter, falling
 * back to bash, then sh, when it is missing or nologin), started as a login shell.
 */
export const LOGIN_SHELL_SCRIPT = [
  "s=",
  'while IFS=: read -r u _ _ _ _ _ sh; do if [ "$u" = root ]; then s=$sh; break; fi; done 2>/dev/null </etc/passwd',
  "case $s in */nologin|*/false) s= ;; esac",
  'if [ -z "$s" ] || [ ! -x "$s" ]; then if [ -x /bin/bash ]; then s=/bin/bash; else s=/bin/sh; fi; fi',
  "SHELL=$s; export SHELL",
  'exec "$s" -l',
].join("\n");

export interface ConsoleRequest {
  ctid: number;
  cols: number;
  rows: number;
  command?: string[];
  term?: string;
  /** keep the session when its last client leaves (for detachSec) and let others attach */
  detachable?: boolean;
  /** attach to this existing session (of the same ctid) instead of starting one */
  session?: string;
}

export interface ConsoleEngine {
  status(ctid: number): Promise<ContainerInfo>;
  drivers: { runtime: RuntimeDriver };
}

export interface ConsoleManagerOptions {
  maxPerContainer?: number;
  maxTotal?: number;
  /** clients per session */
  maxClients?: number;
  /** a detachable session without any client ends after this many seconds */
  detachSec?: number;
  log?: (line: string) => void;
  /**
   * Where live sessions are recorded (shell pid + the container's pid namespace), so that an engine
   * that died without ending them kills their remains at its next start (recover()). None = no records.
   */
  recordDir?: string;
}

interface SessionRecord {
  ctid: number;
  leaders: number[];
  pidns: string;
}

type PtyModule = typeof import("node-pty");
let ptyModule: Promise<PtyModule> | null = null;
function loadPty(): Promise<PtyModule> {
  ptyModule ??= import("node-pty").then((m) => ((m as { default?: PtyModule }).default ?? m) as PtyModule);
  return ptyModule.catch((e) => {
    ptyModule = null;
    throw new EngineError(
      "UNSUPPORTED",
      `console sessions need the node-pty module, which did not load (run "npm rebuild node-pty"): ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  });
}

export class ConsoleManager {
  private readonly sessions = new Set<ConsoleSession>();
  /** sessions being opened, counted against the limits before any await */
  private readonly opening = new Map<number, number>();
  private readonly maxPerContainer: number;
  private readonly maxTotal: number;
  private readonly maxClients: number;
  private readonly detachMs: number;
  private readonly log: (line: string) => void;
  private readonly recordDir: string | undefined;

  constructor(
    private readonly engine: ConsoleEngine,
    opts: ConsoleManagerOptions = {},
  ) {
    this.maxPerContainer = opts.maxPerContainer ?? DEFAULT_MAX_PER_CONTAINER;
    this.maxTotal = opts.maxTotal ?? DEFAULT_MAX_TOTAL;
    this.maxClients = opts.maxClients ?? DEFAULT_MAX_CLIENTS;
    this.detachMs = (opts.detachSec ?? DEFAULT_DETACH_SEC) * 1000;
    this.log = opts.log ?? (() => {});
    this.recordDir = opts.recordDir;
  }

  /**
   * At engine start: sessions of a previous engine process that died (SIGKILL, crash) lost their
   * terminal; lxc-attach and ordinary shells die of that hangup, but jobs that ignore SIGHUP would stay.
   * Kill every process still in those sessions (matched by session id and pid namespace).
   */
  async recover(): Promise<number> {
    if (!this.recordDir) return 0;
    await mkdir(this.recordDir, { recursive: true, mode: 0o700 });
    let killed = 0;
    for (const f of await readdir(this.recordDir)) {
      const file = path.join(this.recordDir, f);
      try {
        if (!f.endsWith(".json")) continue;
        const rec = JSON.parse(await readFile(file, "utf8")) as SessionRecord;
        const leaders = new Set(rec.leaders);
        for (let round = 0; round < 50; round++) {
          const left = await sessionMembers(leaders, rec.pidns, true);
          if (left.length === 0) break;
          for (const p of left) {
            try {
              process.kill(p, "SIGKILL");
              if (round === 0) killed++;
            } catch {
              /* gone */
            }
          }
          await sleep(20);
        }
        this.log(`console ${f.replace(/\.json$/, "")}: cleaned up after the previous engine (CT ${rec.ctid})`);
      } catch (e) {
        this.log(`console record ${f}: ${(e as Error).message}`);
      } finally {
        await rm(file, { force: true });
      }
    }
    return killed;
  }

  count(ctid?: number): number {
    let n = 0;
    for (const s of this.sessions) if (ctid === undefined || s.ctid === ctid) n++;
    for (const [c, k] of this.opening) if (ctid === undefined || c === ctid) n += k;
    return n;
  }

  /**
   * Starts a session in a running container, or attaches to an existing one (req.session); throws
   * NOT_FOUND, NOT_RUNNING, FROZEN or BUSY (a limit). The caller is counted as one of the session's
   * clients and must call leave() when it goes.
   */
  async open(req: ConsoleRequest): Promise<ConsoleSession> {
    if (req.session !== undefined) return this.attach(req);
    if (this.count(req.ctid) >= this.maxPerContainer) {
      throw new EngineError(
        "BUSY",
        `container ${req.ctid} already has ${this.maxPerContainer} console sessions, the most allowed; close one first`,
      );
    }
    if (this.count() >= this.maxTotal) {
      throw new EngineError(
        "BUSY",
        `this host already has ${this.maxTotal} console sessions, the most allowed; close one first`,
      );
    }
    this.opening.set(req.ctid, (this.opening.get(req.ctid) ?? 0) + 1);
    try {
      const pty = await loadPty();
      const info = await this.engine.status(req.ctid);
      if (info.state === "suspended")
        throw new EngineError("FROZEN", `container ${req.ctid} is suspended; resume it first`);
      if (info.state !== "running")
        throw new EngineError("NOT_RUNNING", `container ${req.ctid} is not running; start it first`);
      const argv = req.command ?? ["/bin/sh", "-c", LOGIN_SHELL_SCRIPT];
      const env = {
        PATH: CONTAINER_PATH,
        HOME: "/root",
        USER: "root",
        LOGNAME: "root",
        TERM: req.term ?? "xterm-256color",
      };
      const cmd = this.engine.drivers.runtime.attachCommand(req.ctid, argv, env);
      const session = new ConsoleSession(
        pty,
        req,
        cmd,
        this.log,
        this.recordDir,
        req.detachable ? this.detachMs : null,
      );
      this.sessions.add(session);
      session.onExit(() => this.sessions.delete(session));
      this.log(
        `console ${session.id}: opened into CT ${req.ctid} (pid ${session.pid}, ${req.command ? "command" : "login shell"})`,
      );
      return session;
    } finally {
      const n = (this.opening.get(req.ctid) ?? 1) - 1;
      if (n > 0) this.opening.set(req.ctid, n);
      else this.opening.delete(req.ctid);
    }
  }

  /** Another client for a live session of this container (a session of another container is NOT_FOUND). */
  private attach(req: ConsoleRequest): ConsoleSession {
    const { ctid, session: id } = req;
    const s = [...this.sessions].find((x) => x.id === id && x.ctid === ctid);
    if (!s || !s.attachable)
      throw new EngineError(
        "NOT_FOUND",
        `console session ${id} of container ${ctid} does not exist (it ended); start a new one`,
      );
    if (s.clients >= this.maxClients) {
      throw new EngineError(
        "BUSY",
        `console session ${id} already has ${this.maxClients} clients, the most allowed; close one first`,
      );
    }
    s.join();
    s.resize(req.cols, req.rows); // the newest viewer's size (any client's resize wins until the next)
    this.log(`console ${id}: another client attached (CT ${ctid}, ${s.clients} now)`);
    return s;
  }

  /** End every session (engine shutdown). */
  async closeAll(reason = "the engine is shutting down"): Promise<void> {
    await Promise.all([...this.sessions].map((s) => s.close(reason)));
  }
}

interface ProcStat {
  state: string;
  ppid: number;
  session: number;
  /** wait(2)-style status of an exited (zombie) process */
  exitCode: number;
}

async function procStat(pid: number): Promise<ProcStat | null> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, "utf8");
    const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
    // fields after "pid (comm)": state(3) ppid(4) pgrp(5) session(6) ... exit_code(52)
    return { state: f[0]!, ppid: Number(f[1]), session: Number(f[3]), exitCode: Number(f[49] ?? 0) };
  } catch {
    return null;
  }
}

async function pidNs(pid: number): Promise<string | null> {
  return readlink(`/proc/${pid}/ns/pid`).catch(() => null);
}

/** Processes (zombies optional) whose session id is one of `leaders` and that live in pid namespace `ns`. */
async function sessionMembers(leaders: ReadonlySet<number>, ns: string, live: boolean): Promise<number[]> {
  const out: number[] = [];
  for (const e of await readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    const st = await procStat(pid);
    if (!st || !leaders.has(st.session)) continue;
    if (live && (st.state === "Z" || st.state === "X")) continue;
    if ((await pidNs(pid)) === ns) out.push(pid);
  }
  return out;
}

async function childrenOf(pid: number): Promise<number[]> {
  const out: number[] = [];
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  for (const t of tasks) {
    const text = await readFile(`/proc/${pid}/task/${t}/children`, "utf8").catch(() => "");
    for (const c of text.split(" ")) if (c.trim()) out.push(Number(c));
  }
  return out;
}

function signalName(n: number): string | null {
  if (!n) return null;
  for (const [name, num] of Object.entries(os.constants.signals)) if (num === n) return name;
  return `SIG${n}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export class ConsoleSession {
  readonly id = randomBytes(8).toString("hex");
  readonly ctid: number;
  private readonly pty: IPty;
  private readonly hostNs: Promise<string | null> = pidNs(process.pid);
  /** host pids of the processes lxc-attach started inside the container (the shell): session ids */
  private readonly leaders = new Set<number>();
  private containerNs: string | null = null;
  /** wait status of the shell, read while it was a zombie (lxc-attach had not reaped it yet) */
  private shellStatus: number | null = null;
  private readonly dataListeners = new Set<(d: Buffer) => void>();
  private readonly exitListeners = new Set<(e: ConsoleExit) => void>();
  /** connected clients (the opener counts); a detachable session survives 0 for detachMs */
  private clientCount = 1;
  private detachTimer: NodeJS.Timeout | null = null;
  /** recent output, replayed to clients that attach (detachable sessions only) */
  private readonly ring: Buffer[] = [];
  private ringBytes = 0;
  /** clients that asked to stop reading the terminal (flow control); it reads again when none does */
  private pauses = 0;
  private exitInfo: ConsoleExit | null = null;
  private ptyExited: Promise<{ exitCode: number; signal?: number }>;
  private terminating: Promise<void> | null = null;
  private closeReason: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly pendingInput: Buffer[] = [];
  private pendingBytes = 0;
  private recordWrite: Promise<void> = Promise.resolve();
  private tracking = false;
  private readonly startedAt = Date.now();

  constructor(
    pty: PtyModule,
    req: ConsoleRequest,
    cmd: { file: string; args: string[] },
    private readonly log: (line: string) => void,
    private readonly recordDir?: string,
    /** null: ends with its (only) client; else detachable, ends this long after its last client left */
    private readonly detachMs: number | null = null,
  ) {
    this.ctid = req.ctid;
    this.pty = pty.spawn(cmd.file, cmd.args, {
      name: "xterm-256color",
      cols: req.cols,
      rows: req.rows,
      cwd: "/",
      // the host side (bash, lxc-attach) gets only PATH; the container side gets exactly cmd's env
      env: { PATH: HOST_PATH },
      encoding: null,
    });
    this.pty.onData((d) => {
      const buf = typeof d === "string" ? Buffer.from(d, "utf8") : (d as unknown as Buffer);
      if (this.detachMs !== null) this.remember(buf);
      for (const l of [...this.dataListeners]) l(buf);
    });
    this.ptyExited = new Promise((resolve) => this.pty.onExit((e) => resolve(e)));
    void this.ptyExited.then((e) => this.finish(e));
    this.schedule();
  }

  /** Poll quickly until the shell is known (a short command must not slip through), then slowly. */
  private schedule(): void {
    if (this.exitInfo) return;
    const fast = this.leaders.size === 0 && Date.now() - this.startedAt < 5000;
    this.timer = setTimeout(() => void this.track().finally(() => this.schedule()), fast ? 20 : TRACK_INTERVAL_MS);
    this.timer.unref();
  }

  get pid(): number {
    return this.pty.pid;
  }

  get exited(): ConsoleExit | null {
    return this.exitInfo;
  }

  get detachable(): boolean {
    return this.detachMs !== null;
  }

  /** another client may attach: detachable and not ending */
  get attachable(): boolean {
    return this.detachMs !== null && !this.exitInfo && !this.terminating;
  }

  get clients(): number {
    return this.clientCount;
  }

  /** Terminal output from now on; returns an unsubscribe. */
  onData(cb: (d: Buffer) => void): () => void {
    this.dataListeners.add(cb);
    return () => this.dataListeners.delete(cb);
  }

  /** Called exactly once, after the session's processes are gone (immediately if that already happened). */
  onExit(cb: (e: ConsoleExit) => void): () => void {
    if (this.exitInfo) {
      cb(this.exitInfo);
      return () => {};
    }
    this.exitListeners.add(cb);
    return () => this.exitListeners.delete(cb);
  }

  /** Recent output (up to SCROLLBACK_BYTES) for a client that attaches; empty for a non-detachable session. */
  scrollback(): Buffer {
    return Buffer.concat(this.ring);
  }

  private remember(buf: Buffer): void {
    this.ring.push(buf);
    this.ringBytes += buf.length;
    while (this.ringBytes > SCROLLBACK_BYTES && this.ring.length) {
      const over = this.ringBytes - SCROLLBACK_BYTES;
      const first = this.ring[0]!;
      if (first.length <= over) {
        this.ring.shift();
        this.ringBytes -= first.length;
      } else {
        this.ring[0] = first.subarray(over);
        this.ringBytes -= over;
      }
    }
  }

  /** One more client (ConsoleManager.attach). */
  join(): void {
    this.clientCount++;
    if (this.detachTimer) clearTimeout(this.detachTimer);
    this.detachTimer = null;
  }

  /**
   * A client went away. A non-detachable session ends with it; a detachable one keeps running and ends
   * only after detachMs without any client.
   */
  leave(reason: string): void {
    this.clientCount = Math.max(0, this.clientCount - 1);
    if (this.exitInfo || this.clientCount > 0) return;
    if (this.detachMs === null) {
      void this.close(reason);
      return;
    }
    this.log(
      `console ${this.id}: last client left (CT ${this.ctid}); the session ends in ${Math.round(this.detachMs / 1000)} s unless one attaches`,
    );
    if (this.detachTimer) clearTimeout(this.detachTimer);
    this.detachTimer = setTimeout(() => {
      this.detachTimer = null;
      if (this.clientCount === 0) void this.close(`no client for ${Math.round(this.detachMs! / 1000)} s`);
    }, this.detachMs);
    this.detachTimer.unref();
  }

  write(data: Buffer): void {
    if (this.exitInfo || this.terminating) return;
    // lxc-attach switches our terminal to raw mode with TCSAFLUSH before it starts the shell, which
    // would discard anything typed ahead: hold input until the shell exists
    if (this.leaders.size > 0) this.pty.write(data);
    else if ((this.pendingBytes += data.length) <= MAX_PENDING_INPUT) this.pendingInput.push(data);
  }

  resize(cols: number, rows: number): void {
    if (this.exitInfo) return;
    try {
      this.pty.resize(cols, rows);
    } catch {
      /* the terminal is already gone */
    }
  }

  /**
   * Flow control: stop reading the terminal while a client cannot keep up. Each pause() is balanced by
   * one resume() (also when that client leaves); the terminal is read again when no client is behind.
   */
  pause(): void {
    if (this.pauses++ === 0 && !this.exitInfo) this.pty.pause();
  }
  resume(): void {
    if (this.pauses === 0) return;
    if (--this.pauses === 0 && !this.exitInfo) this.pty.resume();
  }

  /** End the session now (client disconnected, engine shutdown); resolves when its processes are gone. */
  async close(reason: string): Promise<void> {
    if (this.exitInfo) return;
    this.closeReason ??= reason;
    await this.terminate();
    await Promise.race([new Promise<void>((r) => this.onExit(() => r())), sleep(5000)]);
  }

  /** Learn the shell's pid; notice when it exited while lxc-attach still waits for its terminal. */
  private async track(): Promise<void> {
    if (this.tracking || this.exitInfo) return;
    this.tracking = true;
    try {
      await this.findLeaders();
      if (this.leaders.size === 0 || this.terminating) return;
      let alive = false;
      for (const pid of this.leaders) {
        const st = await procStat(pid);
        if (st && st.state !== "Z" && st.state !== "X") alive = true;
        else if (st && this.shellStatus === null) this.shellStatus = st.exitCode;
      }
      if (!alive) {
        // the shell is gone; lxc-attach normally follows at once, unless jobs of the shell still hold
        // the container-side terminal: give it a moment, then end the session (its jobs with it)
        await sleep(TRACK_INTERVAL_MS);
        if (!this.exitInfo) void this.terminate();
      }
    } finally {
      this.tracking = false;
    }
  }

  private async findLeaders(): Promise<void> {
    const host = await this.hostNs;
    const before = this.leaders.size;
    for (const c of await childrenOf(this.pty.pid)) {
      if (this.leaders.has(c)) continue;
      const ns = await pidNs(c);
      if (!ns || ns === host) continue; // lxc-attach's own helpers on the host side
      this.leaders.add(c);
      this.containerNs ??= ns;
    }
    if (this.leaders.size > 0 && this.pendingInput.length && !this.terminating) {
      for (const d of this.pendingInput.splice(0)) this.pty.write(d);
    }
    if (this.leaders.size > before && this.recordDir && this.containerNs && !this.exitInfo) {
      const rec: SessionRecord = { ctid: this.ctid, leaders: [...this.leaders], pidns: this.containerNs };
      this.recordWrite = this.recordWrite.then(() =>
        writeFile(this.recordFile()!, JSON.stringify(rec), { mode: 0o600 }).catch((e) =>
          this.log(`console ${this.id}: cannot record the session: ${(e as Error).message}`),
        ),
      );
      await this.recordWrite;
    }
  }

  private recordFile(): string | null {
    return this.recordDir ? path.join(this.recordDir, `${this.id}.json`) : null;
  }

  /** Live processes of the shell's session(s) inside the container. */
  private async liveMembers(): Promise<number[]> {
    if (this.leaders.size === 0 || !this.containerNs) return [];
    return sessionMembers(this.leaders, this.containerNs, true);
  }

  private signalAll(pids: number[], sig: NodeJS.Signals): void {
    for (const p of pids) {
      try {
        process.kill(p, sig);
      } catch {
        /* already gone */
      }
    }
    try {
      process.kill(-this.pty.pid, sig); // lxc-attach's process group (it is the leader)
    } catch {
      /* already gone */
    }
  }

  /** Hang up the session, then SIGKILL what is left, until nothing of it remains. */
  private terminate(): Promise<void> {
    this.terminating ??= (async () => {
      await this.findLeaders();
      const exitedOrTimeout = (ms: number) =>
        Promise.race([this.ptyExited.then(() => true), sleep(ms).then(() => false)]);
      let left = await this.liveMembers();
      if (left.length === 0 && (await exitedOrTimeout(0))) return; // the usual end: nothing to do
      this.signalAll(left, "SIGHUP");
      const deadline = Date.now() + HANGUP_GRACE_MS;
      while (Date.now() < deadline) {
        const ptyDone = await exitedOrTimeout(50);
        if (ptyDone && (await this.liveMembers()).length === 0) return;
      }
      for (let round = 0; round < 100; round++) {
        await this.findLeaders();
        left = await this.liveMembers();
        if (left.length === 0 && (await exitedOrTimeout(0))) return;
        this.signalAll(left, "SIGKILL");
        await exitedOrTimeout(50);
      }
      this.log(
        `console ${this.id}: processes of the session in CT ${this.ctid} survived SIGKILL for 5 s (container frozen?)`,
      );
    })();
    return this.terminating;
  }

  private async finish(e: { exitCode: number; signal?: number }): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    if (this.detachTimer) clearTimeout(this.detachTimer);
    // lxc-attach returns the shell's status; when we had to kill lxc-attach, the status we saw is better
    let code = e.exitCode;
    let signal = signalName(e.signal ?? 0);
    if (signal) {
      if (this.shellStatus !== null) {
        const sig = this.shellStatus & 0x7f;
        code = sig ? 128 + sig : (this.shellStatus >> 8) & 0xff;
        signal = sig ? signalName(sig) : null;
      } else {
        code = 128 + (e.signal ?? 0);
      }
    }
    // jobs of the shell may outlive it (nohup, SIGHUP ignored): a session leaves nothing behind
    await this.terminate().catch(() => {});
    const info: ConsoleExit = { code: Math.max(-1, Math.min(255, code)), signal };
    if (this.closeReason) info.message = this.closeReason;
    this.exitInfo = info;
    const rf = this.recordFile();
    if (rf) await this.recordWrite.then(() => rm(rf, { force: true })).catch(() => {});
    this.log(
      `console ${this.id}: CT ${this.ctid} session ended (code ${info.code}${signal ? `, ${signal}` : ""}${this.closeReason ? `: ${this.closeReason}` : ""})`,
    );
    const listeners = [...this.exitListeners];
    this.exitListeners.clear();
    this.dataListeners.clear();
    for (const l of listeners) l(info);
  }
}
