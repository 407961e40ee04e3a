/**
 * The device nodes of a container's features (features.ts: tun, fuse), made by the engine in
 * <lxcPath>/<ctid>/devices/ and bound into the container by its LXC config. Owned by the container's root and mode
 * 0666 (as udev makes /dev/net/tun and /dev/fuse on Debian): the host's own nodes are root's, often 0600, and an
 * unprivileged container's root cannot open a node whose owner it does not map. Access stays gated by the device
 * cgroup, which allows each node only to containers with the feature. Nodes of features turned off are removed.
 */
import { chmod, chown, lstat, mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { run } from "./exec.js";
import { FEATURE_KEYS, FEATURES, type FeatureKey } from "./features.js";

/** Linux's dev_t encoding as stat's rdev shows it (new_encode_dev) */
function rdevOf(major: number, minor: number): number {
  return (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12);
}

export async function makeFeatureDevices(dir: string, enabled: readonly FeatureKey[], hostId: number): Promise<void> {
  const on = new Set(enabled);
  const wanted = FEATURE_KEYS.flatMap((k) => (on.has(k) ? FEATURES[k].devices : []));
  const unwanted = FEATURE_KEYS.flatMap((k) => (on.has(k) ? [] : FEATURES[k].devices));
  for (const d of unwanted) await rm(path.join(dir, d.name), { force: true });
  if (wanted.length === 0) return;
  await mkdir(dir, { recursive: true, mode: 0o710 });
  // the container's root traverses it to its nodes (LXC binds them from inside the container's user namespace)
  await chown(dir, 0, hostId);
  await chmod(dir, 0o710);
  for (const d of wanted) {
    const file = path.join(dir, d.name);
    const st = await lstat(file).catch(() => null);
    if (!st || !st.isCharacterDevice() || st.rdev !== rdevOf(d.major, d.minor)) {
      await rm(file, { force: true });
      await run("mknod", ["-m", "0666", file, "c", String(d.major), String(d.minor)]);
    }
    await chown(file, hostId, hostId);
    await chmod(file, 0o666);
  }
}

export function featureDeviceDir(lxcPath: string, ctid: number): string {
  return path.join(lxcPath, String(ctid), "devices");
}
