/**
 * A cached debian-12 tarball for tests and repeated installs (built once per host, reused).
 */
import { mkdir, open, readFile, rename, rm, unlink } from "node:fs/promises";
import { join } from "node:path";
import { EngineError } from "../errors.js";
import { run } from "../exec.js";
import { buildDebianRootfs } from "./debian-build.js";
import { packRootfs } from "./import.js";
import { exists, fsyncPath, pidAlive, releaseTemp, removeTree, staleTemps, tempPath } from "./temp-files.js";
import type { LogFn } from "./types.js";

const noLog: LogFn = () => {};

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
