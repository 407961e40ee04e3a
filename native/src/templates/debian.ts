/**
 * debian-12 template: debootstrap minbase + systemd-sysv + iproute2 (+ a few small tools), made
 * container-friendly (empty machine-id, no host hostname/resolv.conf, units that fail in containers
 * masked, apt caches dropped), packed as tar.zst with numeric owners.
 *
 * Also the small filesystem helpers the template code shares: temp names that a later run can recognise
 * as leftovers, unmounting everything under a build dir, and removing a tree without leaving its
 * filesystem.
 */
import { randomBytes } from "node:crypto";
import { constants as fsc } from "node:fs";
import {
  chmod,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  stat,
  symlink,
  unlink,
  writeFile,
} from "node:fs/promises";
import { join, resolve as resolvePath } from "node:path";
import { EngineError, wrapError } from "../errors.js";
import { run } from "../exec.js";
import { packRootfs, parseOsRelease } from "./import.js";
import type { LogFn } from "./types.js";

export const DEFAULT_MIRROR = "http://deb.debian.org/debian";
export const DEFAULT_SUITE = "bookworm";
/**
 * Packages added to minbase. systemd-sysv gives /sbin/init; dbus is systemd's recommended bus (hostnamectl, loginctl).
 */
export const DEBIAN_INCLUDE = ["systemd-sysv", "iproute2", "procps", "dbus"];
/** Units that fail (or hang around failed) in an unprivileged container and would also block checkpointing. */
export const DEBIAN_MASKED_UNITS = [
  "dev-hugepages.mount",
  "sys-fs-fuse-connections.mount",
  "systemd-journald-audit.socket",
  "getty-static.service",
  // debugfs/tracefs/configfs cannot be mounted in a user namespace: "degraded" without these masks
  "sys-kernel-debug.mount",
  "sys-kernel-tracing.mount",
  "sys-kernel-config.mount",
];
const SUITE_RELEASE: Record<string, string> = { buster: "10", bullseye: "11", bookworm: "12", trixie: "13" };

const noLog: LogFn = () => {};

// ---------------------------------------------------------------------------------------------------------
// Temp names and leftovers

/** Kinds of temporary entries the template code creates next to its final files. */
export type TempKind = "tar" | "json" | "build" | "unpack" | "copy";

const TEMP_RE = /^\.tmp\.(\d+)\.([0-9a-f]+)\.(tar|json|build|unpack|copy)\.(.+)$/;

/** Temp paths in use by this process: never taken for crash leftovers. */
const ACTIVE_TEMPS = new Set<string>();

/**
 * `<dir>/.tmp.<pid>.<random>.<kind>.<name>`: same directory as the final file, so rename is atomic.
 * The path counts as in use by this process until releaseTemp().
 */
export function tempPath(dir: string, kind: TempKind, name: string): string {
  const p = join(resolvePath(dir), `.tmp.${process.pid}.${randomBytes(4).toString("hex")}.${kind}.${name}`);
  ACTIVE_TEMPS.add(p);
  return p;
}

export function releaseTemp(path: string): void {
  ACTIVE_TEMPS.delete(path);
}

export function parseTempName(file: string): { pid: number; kind: TempKind; name: string } | null {
  const m = TEMP_RE.exec(file);
  if (!m) return null;
  return { pid: Number(m[1]), kind: m[3] as TempKind, name: m[4]! };
}

export function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** fsync a file or directory (directories: so a rename is durable). */
export async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, fsc.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Write a file atomically: tmp in the same dir, fsync, rename, fsync the dir. */
export async function writeFileAtomic(dir: string, name: string, data: string, mode = 0o644): Promise<void> {
  const tmp = tempPath(dir, "json", name);
  try {
    const fh = await open(tmp, "wx", mode);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, join(dir, name));
    await fsyncPath(dir);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  } finally {
    releaseTemp(tmp);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Mounts and tree removal

function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Mount points at or under `dir` in our mount namespace, deepest first. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const base = resolvePath(dir);
  const text = await readFile("/proc/self/mountinfo", "utf8");
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const f = line.split(" ");
    if (f.length < 5) continue;
    const mp = unescapeMountPath(f[4]!);
    if (mp === base || mp.startsWith(base + "/")) out.push(mp);
  }
  return [...new Set(out)].sort((a, b) => b.length - a.length);
}

/** Unmount everything mounted at or under `dir` (debootstrap leaves proc/sys mounted when it fails). */
export async function unmountUnder(dir: string, log: LogFn = noLog): Promise<void> {
  for (let round = 0; round < 5; round++) {
    const mps = await mountsUnder(dir);
    if (mps.length === 0) return;
    for (const mp of mps) {
      log(`unmounting leftover mount ${mp}`);
      const r = await run("umount", [mp], { allowFailure: true });
      if (r.code !== 0) await run("umount", ["-l", mp], { allowFailure: true });
    }
  }
  const left = await mountsUnder(dir);
  if (left.length > 0)
    throw new EngineError("HOST_TOOL_FAILED", `Could not unmount ${left.join(", ")}; unmount them by hand`);
}

/** rm -rf a build tree after unmounting anything under it; never crosses into another filesystem. */
export async function removeTree(dir: string, log: LogFn = noLog): Promise<void> {
  try {
    await lstat(dir);
  } catch {
    return;
  }
  await unmountUnder(dir, log);
  await run("rm", ["-rf", "--one-file-system", "--", dir]);
}

/**
 * Remove leftovers of crashed runs in `dir`: temp entries whose process is gone, or that belong to this
 * process but are not in `active`. Returns the entries it found (the caller handles "unpack" markers).
 */
export async function staleTemps(
  dir: string,
  active: ReadonlySet<string> = ACTIVE_TEMPS,
): Promise<{ path: string; kind: TempKind; name: string }[]> {
  dir = resolvePath(dir);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const out: { path: string; kind: TempKind; name: string }[] = [];
  for (const n of names) {
    const t = parseTempName(n);
    if (!t) continue;
    const path = join(dir, n);
    if (active.has(path)) continue;
    if (t.pid !== process.pid && pidAlive(t.pid)) continue;
    out.push({ path, kind: t.kind, name: t.name });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Running debootstrap with its output streamed

/**
 * Run a command, passing each output line (stdout and stderr) to `log`. Throws HOST_TOOL_FAILED with the last lines.
 */
export async function runStreaming(
  cmd: string,
  args: readonly string[],
  log: LogFn,
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<void> {
  await run(cmd, args, { env: opts.env, timeoutMs: opts.timeoutMs, onLine: log, maxOutput: 256 * 1024 });
}

// ---------------------------------------------------------------------------------------------------------
// Building the rootfs

export interface DebianBuildOptions {
  suite?: string;
  mirror?: string;
  /** extra packages besides DEBIAN_INCLUDE */
  include?: string[];
  timeoutMs?: number;
}

/**
 * debootstrap into `target` (must not exist or be empty) and make it container-friendly.
 * Does NOT remove `target` on failure — the caller owns it (use removeTree).
 */
export async function buildDebianRootfs(
  target: string,
  opts: DebianBuildOptions = {},
  log: LogFn = noLog,
): Promise<{ distro: string; release: string }> {
  const suite = opts.suite ?? DEFAULT_SUITE;
  const mirror = opts.mirror ?? DEFAULT_MIRROR;
  if (!/^[a-z][a-z0-9-]*$/.test(suite))
    throw new EngineError("BAD_REQUEST", `Invalid Debian suite ${JSON.stringify(suite)}`);
  if (!/^(https?|file):\/\/\S+$/.test(mirror))
    throw new EngineError("BAD_REQUEST", `Invalid mirror URL ${JSON.stringify(mirror)}`);
  const include = [...new Set([...DEBIAN_INCLUDE, ...(opts.include ?? [])])];
  for (const p of include)
    if (!/^[a-z0-9][a-z0-9+.-]+$/.test(p))
      throw new EngineError("BAD_REQUEST", `Invalid package name ${JSON.stringify(p)}`);
  await mkdir(target, { recursive: true, mode: 0o755 });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin${process.env.PATH ? `:${process.env.PATH}` : ""}`,
    DEBIAN_FRONTEND: "noninteractive",
    LC_ALL: "C.UTF-8",
    LANG: "C.UTF-8",
  };
  const t0 = Date.now();
  log(`debootstrap --variant=minbase --include=${include.join(",")} ${suite} ${target} ${mirror}`);
  try {
    await runStreaming(
      "debootstrap",
      ["--variant=minbase", `--include=${include.join(",")}`, suite, target, mirror],
      log,
      {
        env,
        timeoutMs: opts.timeoutMs ?? 30 * 60_000,
      },
    );
  } catch (e) {
    // debootstrap's own log has the real reason (e.g. a dpkg error); add its tail.
    let extra = "";
    try {
      extra = (await readFile(join(target, "debootstrap", "debootstrap.log"), "utf8"))
        .trim()
        .split("\n")
        .slice(-8)
        .join("\n");
    } catch {
      /* not there */
    }
    throw wrapError(
      e,
      `debootstrap of ${suite} failed${extra ? ` (debootstrap.log: ${extra})` : ""}`,
      "HOST_TOOL_FAILED",
    );
  }
  log(`debootstrap done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  // debootstrap unmounts what it mounted when it succeeds; be sure before we pack anything.
  await unmountUnder(target, log);
  await makeContainerFriendly(target, log);
  let release = SUITE_RELEASE[suite] ?? suite;
  let distro = "debian";
  try {
    const os = parseOsRelease(await readFile(join(target, "usr/lib/os-release"), "utf8"));
    distro = os.ID ?? distro;
    release = os.VERSION_ID ?? release;
  } catch {
    /* keep the suite's number */
  }
  return { distro, release };
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}

/** Remove every entry inside `dir` (not `dir` itself) without leaving its filesystem. */
async function emptyDir(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const n of names) await run("rm", ["-rf", "--one-file-system", "--", join(dir, n)]);
}

/**
 * Strip everything host- or instance-specific and mask units that fail in containers. Paths are only ever
 * touched inside `root`; existing symlinks are replaced, never followed (they point into the host while
 * the tree is not chrooted).
 */
export async function makeContainerFriendly(root: string, log: LogFn = noLog): Promise<void> {
  const p = (rel: string) => join(root, rel);
  const replaceFile = async (rel: string, data: string, mode: number) => {
    await rm(p(rel), { force: true }); // unlink first: never write through a symlink to the host
    await writeFile(p(rel), data, { mode, flag: "wx" });
    await chmod(p(rel), mode);
  };
  // Each container gets its own machine-id at first boot (systemd fills an empty file).
  await replaceFile("etc/machine-id", "", 0o444);
  if (await exists(p("var/lib/dbus"))) {
    await rm(p("var/lib/dbus/machine-id"), { force: true });
    await symlink("/etc/machine-id", p("var/lib/dbus/machine-id"));
  }
  // debootstrap copies the HOST's hostname and resolv.conf; the engine writes per-container ones.
  await replaceFile("etc/hostname", "", 0o644);
  await replaceFile("etc/resolv.conf", "", 0o644);
  if (!(await exists(p("etc/hosts")))) {
    await writeFile(
      p("etc/hosts"),
      "127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\nff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n",
      { mode: 0o644 },
    );
  }
  // Mask units that fail in an unprivileged container.
  const sysdir = p("etc/systemd/system");
  await mkdir(sysdir, { recursive: true, mode: 0o755 });
  for (const unit of DEBIAN_MASKED_UNITS) {
    const shipped =
      (await exists(p(`lib/systemd/system/${unit}`))) || (await exists(p(`usr/lib/systemd/system/${unit}`)));
    if (!shipped) continue;
    await rm(join(sysdir, unit), { force: true });
    await symlink("/dev/null", join(sysdir, unit));
    log(`masked ${unit}`);
  }
  // LXC mounts its own /dev (autodev); device nodes in the template are useless and need mknod to unpack.
  await emptyDir(p("dev"));
  // apt clean + no package lists: keeps the template small (run `apt-get update` in the container).
  for (const d of ["var/cache/apt/archives"]) {
    for (const n of await readdir(p(d)).catch(() => [] as string[]))
      if (n.endsWith(".deb")) await rm(join(p(d), n), { force: true });
  }
  for (const n of await readdir(p("var/cache/apt")).catch(() => [] as string[]))
    if (n.endsWith(".bin")) await rm(join(p("var/cache/apt"), n), { force: true });
  for (const n of await readdir(p("var/lib/apt/lists")).catch(() => [] as string[])) {
    if (n === "partial" || n === "lock") continue;
    await rm(join(p("var/lib/apt/lists"), n), { recursive: true, force: true });
  }
  // Build logs are not part of anyone's container.
  await rm(p("var/log/bootstrap.log"), { force: true });
  await rm(p("debootstrap"), { recursive: true, force: true });
  // Sanity: the result must have an init and a shell.
  for (const f of ["sbin/init", "bin/sh"]) {
    try {
      await stat(p(f)).catch(async () => {
        // absolute symlinks point into the host while not chrooted: check the link itself exists
        await readlink(p(f));
      });
    } catch {
      throw new EngineError("INTERNAL", `The built rootfs has no /${f}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Cached debian-12 tarball for tests and repeated installs

export function templateCacheDir(): string {
  return process.env.OVZ_TEMPLATE_CACHE || "/var/cache/ovz/templates";
}

let inflight: Promise<string> | null = null;

/**
 * Path of a cached debian-12 tarball (`$OVZ_TEMPLATE_CACHE/debian-12.tar.zst`, default
 * /var/cache/ovz/templates), building it once if missing. Safe against crashes (temp name + rename) and
 * against concurrent callers (in-process promise + a pid lock file across processes).
 */
export function cachedDebianTarball(log: LogFn = noLog): Promise<string> {
  if (!inflight) {
    inflight = cachedDebianTarballOnce(log).finally(() => {
      inflight = null;
    });
  }
  return inflight;
}

export function cachedDebianTarballPath(): string {
  return join(templateCacheDir(), "debian-12.tar.zst");
}

/** Put an already-built debian-12 tarball into the cache (copy to a temp name, rename). No-op if cached. */
export async function seedDebianCache(tarball: string): Promise<string> {
  const dir = templateCacheDir();
  const final = cachedDebianTarballPath();
  if (await exists(final)) return final;
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const tmp = tempPath(dir, "copy", "debian-12");
  try {
    await run("cp", ["--reflink=auto", "--", tarball, tmp]);
    await fsyncPath(tmp);
    await rename(tmp, final);
    await fsyncPath(dir);
  } finally {
    await rm(tmp, { force: true });
    releaseTemp(tmp);
  }
  return final;
}

async function cachedDebianTarballOnce(log: LogFn): Promise<string> {
  const dir = templateCacheDir();
  const final = cachedDebianTarballPath();
  if (await exists(final)) return final;
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const lock = join(dir, ".debian-12.lock");
  const deadline = Date.now() + 40 * 60_000;
  for (;;) {
    try {
      const fh = await open(lock, "wx", 0o644);
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const holder = Number((await readFile(lock, "utf8").catch(() => "")).trim());
      if (!Number.isInteger(holder) || holder <= 0 || !pidAlive(holder) || holder === process.pid) {
        await unlink(lock).catch(() => {});
        continue;
      }
      if (Date.now() > deadline)
        throw new EngineError("TIMEOUT", `Timed out waiting for process ${holder} building ${final}`);
      log(`waiting for process ${holder} that is building ${final}`);
      await new Promise((r) => setTimeout(r, 2000));
      if (await exists(final)) return final;
    }
  }
  try {
    if (await exists(final)) return final;
    for (const t of await staleTemps(dir)) {
      log(`removing leftover ${t.path}`);
      await removeTree(t.path, log);
    }
    const build = tempPath(dir, "build", "debian-12");
    const tar = tempPath(dir, "tar", "debian-12");
    try {
      const t0 = Date.now();
      await buildDebianRootfs(build, {}, log);
      const t1 = Date.now();
      await packRootfs(build, tar);
      log(`packed ${final} in ${((Date.now() - t1) / 1000).toFixed(1)} s (build ${((t1 - t0) / 1000).toFixed(1)} s)`);
      await fsyncPath(tar);
      await rename(tar, final);
      await fsyncPath(dir);
    } finally {
      await removeTree(build, log).then(
        () => releaseTemp(build),
        (e) => log(`could not remove ${build}: ${(e as Error).message}`),
      );
      await rm(tar, { force: true });
      releaseTemp(tar);
    }
    return final;
  } finally {
    await unlink(lock).catch(() => {});
  }
}
