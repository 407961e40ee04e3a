/**
 * Root links: <stateDir>/root/<ctid> → <lxcPath>/<ctid>/rootfs (the gated mount point, present from create
 * to destroy), OpenVZ's /vz/root/CTID. The directory is root-only (0700) and a symlink adds no access:
 * following it still has to pass the gate (root:<container gid> 0710), so host users reach container files
 * through it no more than directly.
 */
import { chmod, lstat, mkdir, readdir, readlink, rename, rm, symlink } from "node:fs/promises";
import path from "node:path";
import { prepareGate } from "./gate.js";

export function rootLinkDir(stateDir: string): string {
  return path.join(stateDir, "root");
}

/** OpenVZ's /vz/root/CTID: the host's path to a container's files. */
export function rootLinkPath(stateDir: string, ctid: number): string {
  return path.join(rootLinkDir(stateDir), String(ctid));
}

export async function ensureRootLink(stateDir: string, lxcPath: string, ctid: number, hostGid: number): Promise<void> {
  const target = await prepareGate(lxcPath, ctid, hostGid);
  const dir = rootLinkDir(stateDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const link = rootLinkPath(stateDir, ctid);
  if ((await readlink(link).catch(() => null)) === target) return;
  const tmp = `${link}.tmp`;
  await rm(tmp, { force: true });
  await symlink(target, tmp);
  await rename(tmp, link); // atomic: never a moment without the link, never a half-made one
}

/** Remove the links of containers that are gone (names not in `keep`). */
export async function pruneRootLinks(stateDir: string, keep: Set<string>): Promise<void> {
  const dir = rootLinkDir(stateDir);
  for (const n of await readdir(dir).catch(() => [] as string[])) {
    if (keep.has(n)) continue;
    const st = await lstat(path.join(dir, n)).catch(() => null);
    if (st?.isSymbolicLink()) await rm(path.join(dir, n), { force: true });
  }
}
