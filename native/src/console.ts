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
 *
 * The parts: console-session.ts (one session), console-proc.ts (finding a session's processes in /proc).
 */
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { EngineError } from "./errors.js";
import type { RuntimeDriver } from "./drivers/runtime/types.js";
import type { ContainerInfo } from "./engine-types.js";
import { sessionMembers, type SessionRecord, sleep } from "./console-proc.js";
import { type ConsoleRequest, ConsoleSession, type PtyModule } from "./console-session.js";

export { type ConsoleRequest, ConsoleSession, SCROLLBACK_BYTES } from "./console-session.js";

export const DEFAULT_MAX_PER_CONTAINER = 8;
export const DEFAULT_MAX_TOTAL = 64;
/** clients attached to one session at the same time */
export const DEFAULT_MAX_CLIENTS = 8;
/** how long a detachable session lives without any client (OVZ_CONSOLE_DETACH_SEC) */
export const DEFAULT_DETACH_SEC = 900;
const CONTAINER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

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
