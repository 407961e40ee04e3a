/**
 * The container's own view: top, procps' free and uptime, nproc, /proc/{cpuinfo,meminfo,stat,loadavg,diskstats,
 * swaps,uptime} and /sys/devices/system/cpu inside a container show its limits and usage, not the host's. lxcfs
 * (Debian's package) serves those files from a FUSE mount, answering each read from the reader's cgroup; every
 * container gets them bound over its own through its LXC config (lxc.mount.entry, which lxc-checkpoint hands to CRIU
 * as external mounts). Not covered: the sysinfo(2) system call (busybox's free and uptime use it), as with lxcfs
 * everywhere.
 *
 * The engine runs its own instance on <stateDir>/lxcfs, never the system's lxcfs.service on /var/lib/lxcfs (absent
 * without systemd; restarted behind the engine's back by apt or an admin). It is started detached (its own session,
 * stdio to <stateDir>/lxcfs.log, pid in <stateDir>/lxcfs.pid), so an engine stop or restart leaves it alone
 * (ovz-engine.service has KillMode=process). ensure() checks it — process alive, mount present, a read answers — at
 * engine start and before each container start or restore, and starts it again when it died (a dead FUSE mount is
 * unmounted first). When it cannot run, containers start with the host's view and the engine says why in its log and
 * the operation's: never a failed start because of the view.
 */
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { run } from "./exec.js";
import { trace } from "./trace.js";

/** The files lxcfs serves that are bound over the container's own (relative to its root and to the mount). */
export const VIEW_FILES = [
  "proc/cpuinfo",
  "proc/diskstats",
  "proc/loadavg",
  "proc/meminfo",
  "proc/stat",
  "proc/swaps",
  "proc/uptime",
] as const;
/** Directories bound whole (lxcfs serves the full tree, with `online` from the container's cpuset and quota). */
export const VIEW_DIRS = ["sys/devices/system/cpu"] as const;

/**
 * lxcfs's options: -l per-container load averages (/proc/loadavg), --enable-cfs CPUs from the CFS quota as well as the
 * cpuset (a 150 % cpulimit shows 2 CPUs), --enable-pidfd (no pid-reuse races), -p its pid file.
 */
export function lxcfsArgs(dir: string, pidFile: string): string[] {
  return ["-f", "-l", "--enable-cfs", "--enable-pidfd", "-p", pidFile, dir];
}

/** Pure: the lxc.mount.entry values that bind lxcfs's files from `dir` into a container. */
export function viewMountEntries(dir: string): string[] {
  return [
    ...VIEW_FILES.map((f) => `${dir}/${f} ${f} none bind,optional,create=file 0 0`),
    ...VIEW_DIRS.map((d) => `${dir}/${d} ${d} none bind,optional,create=dir 0 0`),
  ];
}

/** Pure: is the LXC config line one of viewMountEntries'? (a checkpoint's fingerprint leaves them out) */
export function isViewMountLine(line: string): boolean {
  const m = /^lxc\.mount\.entry\s*=\s*(\S+)\s+(\S+)\s/.exec(line);
  if (!m) return false;
  const [, src, dst] = m;
  return ([...VIEW_FILES, ...VIEW_DIRS] as readonly string[]).includes(dst!) && src!.endsWith(`/lxcfs/${dst}`);
}

/** Pure: the filesystem type mounted exactly at `dir` according to /proc/self/mountinfo (the last one wins). */
export function mountTypeAt(mountinfo: string, dir: string): string | null {
  let type: string | null = null;
  for (const line of mountinfo.split("\n")) {
    const f = line.split(" ");
    const sep = f.indexOf("-");
    if (sep < 0 || f.length < sep + 2) continue;
    const point = f[4]!.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (point === dir) type = f[sep + 1]!;
  }
  return type;
}

export type ViewStatus =
  { ok: true; dir: string; pid: number; started: boolean; replaced: boolean } | { ok: false; reason: string };

export interface LxcfsOptions {
  /** the lxcfs binary; null = the view is switched off (OVZ_LXCFS=off) */
  bin: string | null;
  /** mount point (<stateDir>/lxcfs); the pid and log files sit next to it */
  dir: string;
  /** the engine's log */
  log: (line: string) => void;
  /**
   * a cgroup v2 directory to run lxcfs in (under systemd: a leaf of the containers' delegated subtree,
   * ovz-containers.service/ovz.lxcfs, so it lives with the containers it serves rather than in the engine's
   * unit, where `systemctl kill ovz-engine` would end it); null = where the engine runs
   */
  cgroup?: string | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class LxcfsView {
  private last: ViewStatus | null = null;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: LxcfsOptions) {}

  get pidFile(): string {
    return `${this.opts.dir}.pid`;
  }
  get logFile(): string {
    return `${this.opts.dir}.log`;
  }

  /** The mount point when the last check found lxcfs healthy, else null (no I/O: the runtime config asks this). */
  get dir(): string | null {
    return this.last?.ok ? this.last.dir : null;
  }

  /** Check lxcfs and (re)start it when it is not serving; serialised, so parallel starts run one lxcfs. */
  ensure(): Promise<ViewStatus> {
    const next = this.chain.then(() => this.ensureNow());
    this.chain = next.catch(() => {});
    return next;
  }

  private async ensureNow(): Promise<ViewStatus> {
    this.last = await this.check();
    return this.last;
  }

  /**
   * ensure(), saying in the engine's log and in `log` (an operation's) what a container gets when it is not the view
   * or when lxcfs had to be started again. Returns the mount point, or null: the host's view.
   */
  async prepare(log: (line: string) => void = () => {}): Promise<string | null> {
    const st = await this.ensure();
    const say = (l: string) => {
      this.opts.log(l);
      log(l);
    };
    if (!st.ok) {
      say(
        `WARNING: containers start without their own view of /proc (free, top, uptime and nproc inside show the ` +
          `host's memory, CPUs and uptime): ${st.reason}`,
      );
      return null;
    }
    if (st.replaced) {
      say(
        `WARNING: lxcfs had died; started it again (pid ${st.pid}). Containers that were running keep a broken ` +
          `view (reading /proc/meminfo fails inside) until they are restarted.`,
      );
    } else if (st.started) this.opts.log(`lxcfs serves the containers' view on ${st.dir} (pid ${st.pid})`);
    return st.dir;
  }

  /** lxcfs's pid from its pid file when that process is an lxcfs, else null. */
  async pid(): Promise<number | null> {
    const pid = Number((await readFile(this.pidFile, "utf8").catch(() => "")).trim());
    if (!Number.isInteger(pid) || pid < 2) return null;
    const comm = (await readFile(`/proc/${pid}/comm`, "utf8").catch(() => "")).trim();
    return comm === "lxcfs" ? pid : null;
  }

  private async mounted(): Promise<string | null> {
    return mountTypeAt(await readFile("/proc/self/mountinfo", "utf8"), this.opts.dir);
  }

  /** Does a read through the mount answer? (a child process with a timeout: a hung FUSE server must not hang us) */
  private async answers(): Promise<boolean> {
    const r = await run("head", ["-c", "64", path.join(this.opts.dir, "proc/uptime")], {
      allowFailure: true,
      timeoutMs: 10_000,
    }).catch(() => null);
    return r?.code === 0 && /^\d/.test(r.stdout);
  }

  private async check(): Promise<ViewStatus> {
    const { bin, dir } = this.opts;
    if (!bin) return { ok: false, reason: "the container view is switched off (OVZ_LXCFS=off)" };
    if (!existsSync(bin)) {
      return { ok: false, reason: `lxcfs is not installed (${bin} is missing); install it with apt-get install lxcfs` };
    }
    const pid = await this.pid();
    const type = await this.mounted();
    if (pid && type === "fuse.lxcfs" && (await this.answers())) {
      return { ok: true, dir, pid, started: false, replaced: false };
    }
    // not serving: end what is left of it (by its pid), unmount a dead mount, start a new one
    await this.stop();
    return this.start(type === "fuse.lxcfs");
  }

  private async start(replaced: boolean): Promise<ViewStatus> {
    const { bin, dir } = this.opts;
    await mkdir(dir, { recursive: true, mode: 0o755 });
    const out = openSync(this.logFile, "a");
    trace("exec", "lxcfs");
    const child = spawn(bin!, lxcfsArgs(dir, this.pidFile), {
      detached: true,
      stdio: ["ignore", out, out],
      env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
    });
    closeSync(out);
    await this.moveToCgroup(child.pid);
    let exited: string | null = null;
    child.once("exit", (code, sig) => (exited = `exited with ${sig ?? code}`));
    child.once("error", (e) => (exited = e.message));
    child.unref();
    for (let i = 0; i < 200 && !exited; i++) {
      if ((await this.mounted()) === "fuse.lxcfs" && (await this.answers())) {
        // keep it out of the OOM killer's way as Debian's unit does (needs CAP_SYS_RESOURCE: best effort)
        await writeFile(`/proc/${child.pid}/oom_score_adj`, "-1000").catch(() => {});
        return { ok: true, dir, pid: child.pid!, started: true, replaced };
      }
      await sleep(50);
    }
    if (!exited) process.kill(child.pid!, "SIGKILL");
    const log = (await readFile(this.logFile, "utf8").catch(() => "")).trim().split("\n").slice(-3).join(" | ");
    return {
      ok: false,
      reason: `lxcfs did not start (${exited ?? "no mount after 10 s"}): ${log || "no output"}; see ${this.logFile}`,
    };
  }

  private async moveToCgroup(pid: number | undefined): Promise<void> {
    const cg = this.opts.cgroup;
    if (!cg || !pid) return;
    try {
      await mkdir(cg, { recursive: true });
      await writeFile(path.join(cg, "cgroup.procs"), String(pid));
    } catch (e) {
      this.opts.log(`lxcfs: could not move it into ${cg} (it stays in the engine's cgroup): ${(e as Error).message}`);
    }
  }

  /** End lxcfs (by its pid: SIGTERM, then SIGKILL) and unmount what it leaves. Idempotent. */
  async stop(): Promise<void> {
    const pid = await this.pid();
    if (pid) {
      process.kill(pid, "SIGTERM");
      // lxcfs unmounts at once but its load-average thread may take seconds to end
      for (let i = 0; i < 200 && existsSync(`/proc/${pid}`); i++) await sleep(50);
      if (existsSync(`/proc/${pid}`)) process.kill(pid, "SIGKILL");
    }
    if (await this.mounted()) await run("umount", ["-l", this.opts.dir], { allowFailure: true });
    await rm(this.pidFile, { force: true });
    this.last = null;
  }
}
