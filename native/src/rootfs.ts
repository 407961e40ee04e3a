/**
 * Writing host-side into a container's root filesystem safely. A container's root can plant symlinks
 * (e.g. /etc/hostname → /etc/shadow of the host) so every component is checked with lstat and the file
 * is opened with O_NOFOLLOW. Only used while the container is stopped (no race with its processes);
 * for running containers the engine writes from inside the container instead.
 */
import { constants } from "node:fs";
import { chmod, lchown, lstat, mkdir, open, unlink } from "node:fs/promises";
import path from "node:path";
import { EngineError } from "./errors.js";

/** The host path of `rel` whose every directory on the way is a real directory; null when one is missing. */
async function safeParent(rootfs: string, rel: string, verb: string): Promise<string | null> {
  const parts = rel.split("/").filter(Boolean);
  if (parts.length === 0 || parts.some((p) => p === ".." || p === "."))
    throw new EngineError("BAD_REQUEST", `bad path ${rel}`);
  let cur = rootfs;
  for (const p of parts.slice(0, -1)) {
    cur = path.join(cur, p);
    const st = await lstat(cur).catch(() => null);
    if (!st) return null; // directory missing in this rootfs (e.g. no /etc)
    if (!st.isDirectory()) {
      throw new EngineError(
        "BAD_REQUEST",
        `refusing to ${verb} ${rel}: ${path.relative(rootfs, cur)} in the container is not a directory (symlink?)`,
      );
    }
  }
  return path.join(cur, parts[parts.length - 1]!);
}

/**
 * A regular file of a stopped container's root filesystem, or null when it does not exist (or is not a
 * regular file: a planted symlink to a host file is never followed, so its target is never read).
 */
export async function readInRootfs(rootfs: string, rel: string): Promise<string | null> {
  const target = await safeParent(rootfs, rel, "read");
  if (!target) return null;
  const st = await lstat(target).catch(() => null);
  if (!st?.isFile()) return null;
  const fh = await open(target, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(() => null);
  if (!fh) return null;
  try {
    if (!(await fh.stat()).isFile()) return null;
    return await fh.readFile("utf8");
  } finally {
    await fh.close();
  }
}

export async function writeInRootfs(rootfs: string, rel: string, content: string, mode = 0o644): Promise<void> {
  const target = await safeParent(rootfs, rel, "write");
  if (!target) return; // directory missing in this rootfs (e.g. no /etc): nothing to write into
  const st = await lstat(target).catch(() => null);
  if (st && !st.isFile()) await unlink(target); // replace a planted symlink/fifo by a regular file
  const fh = await open(
    target,
    constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
    mode,
  );
  try {
    await fh.writeFile(content);
  } finally {
    await fh.close();
  }
}

/**
 * What is at `rel` in a stopped container's root filesystem, without following symlinks: "file", "dir",
 * "symlink", "other", or null when it (or a directory on the way) is missing. A symlink or non-directory on
 * the way is refused, as in writeInRootfs.
 */
export async function kindInRootfs(rootfs: string, rel: string): Promise<"file" | "dir" | "symlink" | "other" | null> {
  const target = await safeParent(rootfs, rel, "look at");
  const st = target ? await lstat(target).catch(() => null) : null;
  if (!st) return null;
  return st.isFile() ? "file" : st.isDirectory() ? "dir" : st.isSymbolicLink() ? "symlink" : "other";
}

/** Remove a regular file from a stopped container's root filesystem (never through a symlink); no-op when absent. */
export async function removeFileInRootfs(rootfs: string, rel: string): Promise<boolean> {
  if ((await kindInRootfs(rootfs, rel)) !== "file") return false;
  await unlink(path.join(rootfs, ...rel.split("/").filter(Boolean)));
  return true;
}

/**
 * Make sure a directory exists in a stopped container's root filesystem (created with `mode`, owned by
 * `owner` — in-container ids, as files on an idmapped rootfs keep them; default 0 = the container's root;
 * an existing one gets `mode` and that owner too).
 * Every component is checked with lstat: a symlink or non-directory on the way is refused.
 */
export async function ensureDirInRootfs(
  rootfs: string,
  rel: string,
  mode: number,
  owner = { uid: 0, gid: 0 },
): Promise<void> {
  const parts = rel.split("/").filter(Boolean);
  if (parts.length === 0 || parts.some((p) => p === ".." || p === "."))
    throw new EngineError("BAD_REQUEST", `bad path ${rel}`);
  let cur = rootfs;
  for (const [i, p] of parts.entries()) {
    cur = path.join(cur, p);
    let st = await lstat(cur).catch(() => null);
    const last = i === parts.length - 1;
    if (!st) {
      await mkdir(cur, { mode: last ? mode : 0o755 });
      st = await lstat(cur);
    }
    if (!st.isDirectory()) {
      throw new EngineError(
        "BAD_REQUEST",
        `refusing to write into ${rel}: ${path.relative(rootfs, cur)} in the container is not a directory (symlink?)`,
      );
    }
    if (last) {
      await lchown(cur, owner.uid, owner.gid);
      await chmod(cur, mode);
    }
  }
}
