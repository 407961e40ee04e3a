/**
 * Container features (Proxmox's `features:`, Incus' security.nesting, OpenVZ's `vzctl set --features`): what an
 * unprivileged container may do beyond a plain system container. Declared once here, as data, like the limits in
 * settings.ts: the engine's validation, the LXC renderer (drivers/runtime/lxc-config.ts), the panel's toggles, the
 * CLI's --features and docs/features.md follow from this table. A leaf: it imports nothing of the engine.
 */
import { z } from "zod";

export const FEATURE_KEYS = ["nesting", "tun", "fuse", "keyctl"] as const;
export type FeatureKey = (typeof FEATURE_KEYS)[number];

export interface FeatureDevice {
  /** the node's file name in the container's device directory (<lxcPath>/<ctid>/devices/) */
  name: string;
  major: number;
  minor: number;
  /** where it appears in the container, relative to its root */
  target: string;
}

export interface FeatureDecl {
  key: FeatureKey;
  /** Human label for the panel and docs. */
  label: string;
  /** What it lets the container's users do. */
  description: string;
  /** What the host gives up by allowing it (shown to admins next to the plan's toggle, and in the docs). */
  risk: string;
  /**
   * Character devices it grants: the device cgroup rule (lxc.cgroup.devices.allow on v1, lxc.cgroup2.devices.allow
   * on v2) and a node the engine makes for the container (owned by its root, mode 0666, as udev makes tun and fuse
   * on Debian) and binds at `target`. Not the host's own node: it is root's, mode 0600 on many hosts, and an
   * unprivileged container's root could not open it.
   */
  devices: FeatureDevice[];
  /** lxc.mount.entry lines (paths in the container are relative to its root, as LXC wants them). */
  mounts: string[];
  /** Which mechanism grants it (docs). */
  enforcedBy: string;
  /**
   * Whether it can change on a running container. None can: a device needs its node bound into the container's
   * mount namespace (and on cgroup v2 the device rules are one eBPF program LXC attaches at start), the seccomp
   * filter of a running process can only grow stricter, and the AppArmor profile is chosen at start.
   */
  live: false;
}

export const FEATURES: Record<FeatureKey, FeatureDecl> = {
  nesting: {
    key: "nesting",
    label: "Nesting",
    description:
      "Containers inside the container (Docker, Podman, LXC, systemd's PrivateNetwork= and sandboxing that mount " +
      "their own /proc): a clean procfs and sysfs under /dev/.lxc/ make new proc mounts possible, and on AppArmor " +
      "hosts the container runs under lxc-container-ovz-nesting.",
    risk:
      "Processes inside may mount proc and sysfs and create nested namespaces: more of the kernel's mount and " +
      "namespace code is reachable from the container (still as an unprivileged user on the host).",
    devices: [],
    mounts: ["proc dev/.lxc/proc proc create=dir,optional 0 0", "sys dev/.lxc/sys sysfs create=dir,optional 0 0"],
    enforcedBy: "lxc.mount.entry (/dev/.lxc/proc, /dev/.lxc/sys) + AppArmor profile lxc-container-ovz-nesting",
    live: false,
  },
  tun: {
    key: "tun",
    label: "TUN/TAP",
    description: "/dev/net/tun: VPNs in user space (OpenVPN, WireGuard-go, tinc) create their tun and tap interfaces.",
    risk: "The kernel's tun driver is reachable from the container; the interfaces live in its own network namespace.",
    devices: [{ name: "tun", major: 10, minor: 200, target: "dev/net/tun" }],
    mounts: [],
    enforcedBy: "device cgroup (c 10:200 rwm) + the node /dev/net/tun, made by the engine for the container",
    live: false,
  },
  fuse: {
    key: "fuse",
    label: "FUSE",
    description: "/dev/fuse: file systems in user space (sshfs, rclone mount, s3fs, AppImages) mount inside.",
    risk:
      "The kernel's FUSE driver is reachable from the container; a hung FUSE server inside can block the " +
      "container's own processes (and a freeze or checkpoint of the container while a FUSE mount is busy).",
    devices: [{ name: "fuse", major: 10, minor: 229, target: "dev/fuse" }],
    mounts: [],
    enforcedBy: "device cgroup (c 10:229 rwm) + the node /dev/fuse, made by the engine for the container",
    live: false,
  },
  keyctl: {
    key: "keyctl",
    label: "keyctl",
    description:
      "The kernel keyring syscalls (keyctl, add_key, request_key): Docker/runc's session keyrings, systemd's " +
      "credentials, ecryptfs. Without it they fail with ENOSYS, which programs take as 'no keyring support'.",
    risk:
      "Kernel keyrings are not namespaced: key quotas are per host uid (each container has its own uids), and " +
      "the keyring code is reachable from the container.",
    devices: [],
    mounts: [],
    enforcedBy: "seccomp (native/config/seccomp/keyctl.seccomp instead of default.seccomp)",
    live: false,
  },
};

/** A set of enabled features, sorted in table order (what records, plans and the protocol carry). */
export type Features = FeatureKey[];

export const featureKeySchema = z.enum(FEATURE_KEYS, {
  message: `unknown feature; features are ${FEATURE_KEYS.join(", ")}`,
});

/** A feature set from outside (protocol, panel): known names only, duplicates dropped, table order. */
export const featuresSchema = z
  .array(featureKeySchema)
  .max(FEATURE_KEYS.length * 4)
  .transform((list) => normalizeFeatures(list));

export function normalizeFeatures(list: readonly FeatureKey[]): Features {
  const set = new Set(list);
  return FEATURE_KEYS.filter((k) => set.has(k));
}

/** The features of `wanted` that `allowed` does not contain. */
export function featuresOutside(wanted: readonly FeatureKey[], allowed: readonly FeatureKey[]): FeatureKey[] {
  const ok = new Set(allowed);
  return normalizeFeatures(wanted.filter((k) => !ok.has(k)));
}

/**
 * OpenVZ's `--features name:on|off[,name:on|off...]` applied to a set. Unknown names and values are an error
 * (a sentence naming the accepted ones).
 */
export function applyFeatureSwitches(current: readonly FeatureKey[], spec: string): Features {
  const set = new Set(current);
  for (const part of spec.split(",")) {
    const m = /^\s*([a-z]+)\s*:\s*(on|off)\s*$/.exec(part);
    if (!m) throw new Error(`"${part}" is not name:on or name:off (e.g. --features tun:on,fuse:off)`);
    const key = featureKeySchema.safeParse(m[1]);
    if (!key.success) throw new Error(`unknown feature "${m[1]}"; features are ${FEATURE_KEYS.join(", ")}`);
    if (m[2] === "on") set.add(key.data);
    else set.delete(key.data);
  }
  return normalizeFeatures([...set]);
}
