/**
 * Building the debian-12 root filesystem: debootstrap minbase + systemd-sysv + iproute2 (+ a few small
 * tools), made container-friendly (empty machine-id, no host hostname/resolv.conf, units that fail in
 * containers masked, apt caches dropped).
 */
import { chmod, mkdir, readdir, readFile, readlink, rm, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { EngineError, wrapError } from "../errors.js";
import { run } from "../exec.js";
import { parseOsRelease } from "./import.js";
import { exists, unmountUnder } from "./temp-files.js";
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
