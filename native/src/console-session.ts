/**
 * One console session: the runtime's attach command under a pseudo-terminal, its clients, scrollback and
 * flow control, and how it ends (see console.ts for the processes involved).
 */
import { randomBytes } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { IPty } from "node-pty";
import type { ConsoleExit } from "./protocol/console-framing.js";
import { childrenOf, pidNs, procStat, sessionMembers, type SessionRecord, signalName, sleep } from "./console-proc.js";

/** recent output replayed to a client that attaches to a running session */
export const SCROLLBACK_BYTES = 256 * 1024;
/** after a hangup, how long processes get to exit before SIGKILL */
const HANGUP_GRACE_MS = 1000;
/** how often a session checks whether its shell has exited (see track()) */
const TRACK_INTERVAL_MS = 200;
/** input typed before the shell started that is kept (more is dropped, like a full terminal buffer) */
const MAX_PENDING_INPUT = 64 * 1024;
const HOST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

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

export type PtyModule = typeof import("node-pty");

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
