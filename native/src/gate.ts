/**
 * The rootfs gate: why a container's files are reachable by its own root and by nobody else on the host.
 *
 * Containers run from idmapped mounts, so their files keep in-container ids on disk: a setuid-root binary
 * a customer puts in its container is a setuid-root file on the host. Host users must therefore never
 * reach a container's files, while the container's root (an unprivileged host uid) must traverse to its
 * rootfs while LXC sets it up. So the pool keeps containers in a root-only (0700) directory, and while a
 * container runs, its volume is bind-mounted at <lxcPath>/<ctid>/rootfs, behind <lxcPath>/<ctid> owned
 * by root:<the container's host gid> with mode 0710 — only that container's root may pass. The bind mount
 * is the one place setuid is honoured (`remount,bind,suid`); the pool itself can be mounted nosuid.
 */
import { chmod, chown, mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { EngineError } from "./errors.js";
import { run } from "./exec.js";

export function gatePath(lxcPath: string, ctid: number): string {
  return path.join(lxcPath, String(ctid), "rootfs");
}

/** Mount points from /proc/self/mountinfo (octal escapes decoded). */
async function mountPoints(): Promise<Set<string>> {
  const text = await readFile("/proc/self/mountinfo", "utf8");
  return new Set(
    text
      .split("\n")
      .filter(Boolean)
      .map((l) => l.split(" ")[4]!.replace(/\\(\d{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)))),
  );
}

export async function isGateMounted(lxcPath: string, ctid: number): Promise<boolean> {
  return (await mountPoints()).has(gatePath(lxcPath, ctid));
}

/**
 * The gate directory (root:<hostGid> 0710) and its mount point, without mounting anything. Exists from create
 * to destroy, so <stateDir>/root/<ctid> (a symlink to the mount point, like OpenVZ's /vz/root/CTID) always
 * resolves: to the container's files while it runs, to the empty mount point while it is stopped. Idempotent.
 */
export async function prepareGate(lxcPath: string, ctid: number, hostGid: number): Promise<string> {
  const dir = path.join(lxcPath, String(ctid));
  const target = gatePath(lxcPath, ctid);
  await mkdir(dir, { recursive: true, mode: 0o710 });
  await chown(dir, 0, hostGid);
  await chmod(dir, 0o710);
  await mkdir(target, { recursive: true, mode: 0o755 });
  return target;
}

/**
 * Open the gate before a start: the container's volume at <lxcPath>/<ctid>/rootfs, for its root only.
 * `idmapped` (restores): the gate itself is an idmapped mount (0 → hostId, via the ovz-idmap-mount helper),
 * because lxc-checkpoint -r bind-mounts the rootfs without applying lxc.rootfs.options = idmap=container.
 */
export async function openGate(
  lxcPath: string,
  ctid: number,
  volume: string,
  hostGid: number,
  idmapped?: { helper: string; size: number },
): Promise<string> {
  const target = await prepareGate(lxcPath, ctid, hostGid);
  if (await isGateMounted(lxcPath, ctid)) return target;
  if (idmapped) {
    await run(idmapped.helper, [volume, target, String(hostGid), String(idmapped.size)]);
    return target;
  }
  await run("mount", ["--bind", volume, target]);
  try {
    await run("mount", ["-o", "remount,bind,suid,nodev", target]);
  } catch (e) {
    await run("umount", [target], { allowFailure: true });
    throw e;
  }
  return target;
}

/** Close the gate after a stop (idempotent). The empty mount point stays (see prepareGate); destroy removes it. */
export async function closeGate(lxcPath: string, ctid: number): Promise<void> {
  const target = gatePath(lxcPath, ctid);
  if (await isGateMounted(lxcPath, ctid)) {
    const r = await run("umount", [target], { allowFailure: true });
    if (r.code !== 0) {
      // a process still holds it: detach it now, the kernel frees it when the last user goes
      await run("umount", ["--lazy", target], { allowFailure: true });
    }
    if (await isGateMounted(lxcPath, ctid)) {
      throw new EngineError("HOST_TOOL_FAILED", `could not unmount ${target}: ${r.stderr.trim()}`);
    }
  }
}

/** True when <dir> has a mount point at or below it (refuse recursive deletes across mounts). */
export async function hasMountBelow(dir: string): Promise<boolean> {
  const prefix = dir.endsWith("/") ? dir : `${dir}/`;
  for (const m of await mountPoints()) if (m === dir || m.startsWith(prefix)) return true;
  return false;
}
