/**
 * Runs a real engine daemon for root tests: its own network namespace (created here, removed after),
 * its own state dir, btrfs loop pool, socket and cgroup parent, so tests never touch the host's
 * network or the production engine. `kill9()`/`start()` let crash tests restart it. Its lxcfs (the containers'
 * view of /proc, on <stateDir>/lxcfs) outlives a restart as in production; cleanup() ends it by its pid.
 *
 * A node on "another host" (mutual TLS): `link` joins the engine's namespace to the caller's with a veth
 * pair on a free /30 of 198.18.<subnet>.0/24 (caller side .1, engine side .2 of the /30); after the node
 * joined (its <stateDir>/tls files exist), `serveTls(port)` restarts the engine with OVZ_LISTEN on the
 * engine side's address and returns the endpoint tls://ADDRESS:PORT.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, openSync, closeSync } from "node:fs";
import { lstat, mkdtemp, readdir, readFile, rm, rmdir, stat } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { run } from "../../src/exec.js";
import { EngineClient } from "../../src/protocol/client.js";
import { createStorage } from "../../src/drivers/storage/index.js";
import { LxcfsView } from "../../src/lxcfs.js";

export const REPO = path.resolve(import.meta.dirname, "../../..");
// every hierarchy LXC makes cgroups in on this host (v1 controllers, name=systemd, the hybrid "unified")
const V1_CONTROLLERS = [
  "cpu",
  "cpuacct",
  "cpuset",
  "memory",
  "devices",
  "freezer",
  "blkio",
  "pids",
  "systemd",
  "unified",
];

export interface TestLink {
  /** the caller's (host namespace) interface and address */
  hostIf: string;
  hostIp: string;
  /** the engine's namespace side */
  nodeIp: string;
  prefix: 30;
}

export interface TestEngine {
  id: string;
  netns: string;
  stateDir: string;
  cgroupParent: string;
  client: EngineClient;
  env: NodeJS.ProcessEnv;
  /** the veth link to the caller's namespace (option `link`) */
  link: TestLink | null;
  pid(): number | null;
  /** Starts the daemon; with OVZ_LISTEN (in env or extraEnv) also waits for its TLS listener. */
  start(extraEnv?: NodeJS.ProcessEnv): Promise<void>;
  /** SIGTERM the daemon and wait for it to exit. */
  stop(): Promise<void>;
  /** Restart with OVZ_LISTEN=<link.nodeIp>:<port> (needs `link` and a joined node); returns tls://… */
  serveTls(port?: number): Promise<string>;
  /** SIGKILL the daemon and wait for it to exit. */
  kill9(): Promise<void>;
  /** Wait for the daemon to exit by itself (e.g. a failpoint killed it); returns its signal. */
  waitExit(): Promise<NodeJS.Signals | number | null>;
  /** Run a command inside the engine's network namespace (lxc-* tools need it). */
  inNetns(cmd: string, args: string[]): ReturnType<typeof run>;
  cleanup(): Promise<void>;
  log(): Promise<string>;
}

export interface TestEngineOptions {
  poolSize?: string;
  env?: NodeJS.ProcessEnv;
  /** veth link to the caller's namespace on a free /30 of 198.18.<subnet>.0/24 (true = subnet 250) */
  link?: boolean | { subnet: number };
}

/** A /30 of 198.18.<subnet>.0/24 that no interface of the caller's namespace uses. */
async function freeSlash30(subnet: number): Promise<number> {
  const used = (await run("ip", ["-4", "-o", "addr", "show"])).stdout;
  const start = Math.floor(Math.random() * 64);
  for (let i = 0; i < 64; i++) {
    const base = ((start + i) % 64) * 4;
    if (!new RegExp(`inet 198\\.18\\.${subnet}\\.(${base + 1}|${base + 2})/`).test(used)) return base;
  }
  throw new Error(`no free /30 left in 198.18.${subnet}.0/24`);
}

async function createLink(id: string, netns: string, subnet: number): Promise<TestLink> {
  const base = await freeSlash30(subnet);
  const hostIf = `ovl-${id}`;
  const peer = `ovn-${id}`;
  const link: TestLink = {
    hostIf,
    hostIp: `198.18.${subnet}.${base + 1}`,
    nodeIp: `198.18.${subnet}.${base + 2}`,
    prefix: 30,
  };
  await run("ip", ["link", "add", hostIf, "type", "veth", "peer", "name", peer]);
  await run("ip", ["link", "set", peer, "netns", netns]);
  await run("ip", ["addr", "add", `${link.hostIp}/30`, "dev", hostIf]);
  await run("ip", ["link", "set", hostIf, "up"]);
  await run("ip", ["-n", netns, "addr", "add", `${link.nodeIp}/30`, "dev", peer]);
  await run("ip", ["-n", netns, "link", "set", peer, "up"]);
  return link;
}

export async function startTestEngine(opts: TestEngineOptions = {}): Promise<TestEngine> {
  const id = randomBytes(3).toString("hex");
  const netns = `ovzt-${id}`;
  await run("ip", ["netns", "add", netns]);
  await run("ip", ["-n", netns, "link", "set", "lo", "up"]);
  let link: TestLink | null = null;
  if (opts.link) {
    try {
      link = await createLink(id, netns, opts.link === true ? 250 : opts.link.subnet);
    } catch (e) {
      await run("ip", ["link", "del", `ovl-${id}`], { allowFailure: true });
      await run("ip", ["netns", "del", netns], { allowFailure: true });
      throw e;
    }
  }
  const stateDir = await mkdtemp(`/var/tmp/ovzt-${id}-`);
  const cgroupParent = `ovzt-${id}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    OVZ_STATE_DIR: stateDir,
    OVZ_SOCKET: path.join(stateDir, "engine.sock"),
    OVZ_SOCKET_GROUP: "",
    OVZ_CGROUP_PARENT: cgroupParent,
    OVZ_POOL_SIZE: opts.poolSize ?? "3G",
    OVZ_STOP_TIMEOUT: "10",
    // test pools are small (3 GiB) while the default disk limit is 10 GiB: allow thin provisioning
    OVZ_DISK_OVERCOMMIT: "20",
    ...opts.env,
  };
  let child: ChildProcess | null = null;
  let exited: Promise<NodeJS.Signals | number | null> = Promise.resolve(null);
  let client = new EngineClient(env.OVZ_SOCKET!);

  const te: TestEngine = {
    id,
    netns,
    stateDir,
    cgroupParent,
    get client() {
      return client;
    },
    env,
    link,
    pid: () => child?.pid ?? null,
    async start(extraEnv = {}) {
      const logPath = path.join(stateDir, "engine.log");
      const logFrom = await stat(logPath).then(
        (st) => st.size,
        () => 0,
      );
      const logFd = openSync(logPath, "a");
      child = spawn(
        "nsenter",
        [`--net=/run/netns/${netns}`, "--", process.execPath, "--import", "tsx", "native/src/main.ts"],
        {
          cwd: REPO,
          env: { ...env, ...extraEnv },
          stdio: ["ignore", logFd, logFd],
        },
      );
      closeSync(logFd);
      const c = child;
      exited = new Promise((resolve) => c.once("exit", (code, sig) => resolve(sig ?? code)));
      client.close();
      client = new EngineClient(env.OVZ_SOCKET!);
      await waitForSocket(env.OVZ_SOCKET!, exited, () => te.log());
      if ({ ...env, ...extraEnv }.OVZ_LISTEN) await waitForTlsListener(logPath, logFrom, exited, () => te.log());
    },
    async stop() {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      await exited;
    },
    async serveTls(port = 7443) {
      if (!link) throw new Error("serveTls needs startTestEngine({ link })");
      await te.stop();
      await te.start({ OVZ_LISTEN: `${link.nodeIp}:${port}` });
      return `tls://${link.nodeIp}:${port}`;
    },
    async kill9() {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGKILL");
      await exited;
    },
    waitExit: () => exited,
    inNetns: (cmd, args) => run("nsenter", [`--net=/run/netns/${netns}`, "--", cmd, ...args], { allowFailure: true }),
    async log() {
      return run("tail", ["-n", "40", path.join(stateDir, "engine.log")], { allowFailure: true }).then((r) => r.stdout);
    },
    async cleanup() {
      try {
        if (!child || child.exitCode !== null || child.signalCode !== null) await te.start().catch(() => {});
        for (const c of await client.call("container.list", {}).catch(() => [])) {
          await client.call("container.destroy", { ctid: c.ctid, force: true }).catch(() => {});
        }
      } finally {
        client.close();
        if (child && child.exitCode === null && child.signalCode === null) {
          child.kill("SIGTERM");
          await exited;
        }
        // DHCP servers the engine started for its networks would keep the netns alive
        for (const f of await readdir(path.join(stateDir, "dhcp")).catch(() => [] as string[])) {
          if (!f.endsWith(".pid")) continue;
          const pid = Number((await readFile(path.join(stateDir, "dhcp", f), "utf8").catch(() => "")).trim());
          if (pid > 1 && (await readFile(`/proc/${pid}/comm`, "utf8").catch(() => "")).trim() === "dnsmasq")
            process.kill(pid, "SIGTERM");
        }
        // the engine's lxcfs outlives the engine on purpose (lxcfs.ts): end it by its pid, unmount its mount
        await new LxcfsView({ bin: null, dir: path.join(stateDir, "lxcfs"), log: () => {} }).stop().catch(() => {});
        const storage = createStorage({
          driver: "btrfs",
          root: path.join(stateDir, "pool"),
          image: { path: path.join(stateDir, "pool.img"), sizeBytes: 3 * 1024 ** 3 },
        });
        await storage.teardown().catch(() => {});
        for (const ctl of V1_CONTROLLERS) {
          for (const p of [cgroupParent, `${cgroupParent}.monitor`])
            await removeCgroupTree(`/sys/fs/cgroup/${ctl}/${p}`);
        }
        if (link) await run("ip", ["link", "del", link.hostIf], { allowFailure: true });
        await run("ip", ["netns", "del", netns], { allowFailure: true });
        await rm(stateDir, { recursive: true, force: true });
      }
    },
  };
  try {
    await te.start();
  } catch (e) {
    // an engine that dies at start-up must not leave its netns, pool and state dir behind
    await te.cleanup().catch(() => {});
    throw e;
  }
  return te;
}

async function removeCgroupTree(dir: string): Promise<void> {
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) if (e.isDirectory()) await removeCgroupTree(path.join(dir, e.name));
  await rmdir(dir).catch(() => {});
}

async function waitForSocket(sock: string, exited: Promise<unknown>, log: () => Promise<string>): Promise<void> {
  let dead = false;
  void exited.then(() => (dead = true));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (dead) throw new Error(`engine exited during start-up:\n${await log()}`);
    if (existsSync(sock)) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = net.createConnection(sock, () => {
          s.destroy();
          resolve(true);
        });
        s.on("error", () => resolve(false));
      });
      if (ok) return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`engine did not open its socket within 60 s:\n${await log()}`);
}

/** Waits for the engine's "listening on … and tls://…" line (written after both listeners are up). */
async function waitForTlsListener(
  logPath: string,
  from: number,
  exited: Promise<unknown>,
  log: () => Promise<string>,
): Promise<void> {
  let dead = false;
  void exited.then(() => (dead = true));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const text = (await readFile(logPath).catch(() => Buffer.alloc(0))).subarray(from).toString("utf8");
    if (/listening on \S+ and tls:\/\//.test(text)) return;
    if (dead) throw new Error(`engine exited during start-up:\n${await log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`engine did not open its TLS listener within 60 s:\n${await log()}`);
}

/** Every trace a container can leave on the host; empty when the container is fully gone. */
export async function leftovers(te: TestEngine, ctid: number): Promise<string[]> {
  const found: string[] = [];
  for (const ctl of V1_CONTROLLERS) {
    for (const p of [`${te.cgroupParent}/${ctid}`, `${te.cgroupParent}.monitor/${ctid}`]) {
      if (existsSync(`/sys/fs/cgroup/${ctl}/${p}`)) found.push(`cgroup ${ctl}/${p}`);
    }
  }
  const pool = path.join(te.stateDir, "pool");
  if (existsSync(path.join(pool, "containers", String(ctid)))) found.push(`volume dir containers/${ctid}`);
  const subs = await run("btrfs", ["subvolume", "list", "-o", path.join(pool, "containers")], { allowFailure: true });
  if (new RegExp(`path (\\S*/)?containers/${ctid}$`, "m").test(subs.stdout))
    found.push(`btrfs subvolume containers/${ctid}`);
  // snapshots and the volumes of an interrupted rollback/restore
  for (const p of [`snapshots/${ctid}`, `containers/.staging-${ctid}`, `containers/.previous-${ctid}`]) {
    if (existsSync(path.join(pool, p))) found.push(`pool path ${p}`);
  }
  const all = await run("btrfs", ["subvolume", "list", pool], { allowFailure: true });
  for (const m of all.stdout.matchAll(
    new RegExp(`path ((?:\\S*/)?(?:snapshots/${ctid}/\\S+|containers/\\.(?:staging|previous)-${ctid}))$`, "gm"),
  )) {
    found.push(`btrfs subvolume ${m[1]}`);
  }
  if (existsSync(path.join(te.stateDir, "snapshots", `${ctid}.json`)))
    found.push(`snapshot metadata snapshots/${ctid}.json`);
  if (existsSync(path.join(te.stateDir, "lxc", String(ctid)))) found.push(`lxc dir ${ctid}`);
  for (const d of [String(ctid), `.${ctid}.partial`])
    if (existsSync(path.join(te.stateDir, "dumps", d))) found.push(`checkpoint dump dumps/${d}`);
  // <stateDir>/root/<ctid> is a symlink: lstat, not existsSync (which follows it)
  if (
    await lstat(path.join(te.stateDir, "root", String(ctid))).then(
      () => true,
      () => false,
    )
  )
    found.push(`root link root/${ctid}`);
  if (existsSync(path.join(te.stateDir, "containers", `${ctid}.json`))) found.push(`record ${ctid}.json`);
  const mounts = await run("cat", ["/proc/mounts"]);
  if (mounts.stdout.includes(path.join(pool, "containers", String(ctid)))) found.push("mount of the rootfs");
  if (mounts.stdout.includes(path.join(te.stateDir, "lxc", String(ctid), "rootfs")))
    found.push("gate mount of the rootfs");
  const journal = await readdir(path.join(te.stateDir, "journal")).catch(() => [] as string[]);
  if (journal.length) found.push(`journal entries: ${journal.join(",")}`);
  const st = await te.inNetns("lxc-info", ["-n", String(ctid), "-P", path.join(te.stateDir, "lxc"), "-s", "-H"]);
  if (st.stdout.trim() === "RUNNING") found.push("LXC still reports it RUNNING");
  return found;
}

/** Count btrfs qgroups of the pool whose subvolume is gone (stale qgroups leak accounting). */
export async function staleQgroups(te: TestEngine): Promise<string[]> {
  const pool = path.join(te.stateDir, "pool");
  const q = await run("btrfs", ["qgroup", "show", "--raw", pool], { allowFailure: true });
  const subs = await run("btrfs", ["subvolume", "list", pool], { allowFailure: true });
  const ids = new Set([...subs.stdout.matchAll(/^ID (\d+)/gm)].map((m) => m[1]));
  return [...q.stdout.matchAll(/^0\/(\d+)\s/gm)].map((m) => m[1]!).filter((id) => id !== "5" && !ids.has(id));
}
