/**
 * Engine configuration, read once from the environment (see README "Configuration").
 */
import path from "node:path";
import { containerApparmor, type ContainerApparmor } from "./apparmor.js";
import { isStorageDriverName, STORAGE_DRIVERS, type StorageDriverName } from "./drivers/storage/index.js";
import { driverNames } from "./drivers/registry.js";
import { parseHostPort } from "./protocol/dial.js";
import { parseSize } from "./settings.js";

export interface EngineConfig {
  stateDir: string;
  socketPath: string;
  /** group that may connect to the socket (the web tier's); null = root only */
  socketGroup: string | null;
  storage: {
    driver: StorageDriverName;
    root: string;
    image: { path: string; sizeBytes: number; sizeIsDefault?: boolean } | undefined;
  };
  templateDir: string;
  /** the only directory template.import reads tarballs from (templates/import-path.ts) */
  templateImportDir: string;
  lxcPath: string;
  journalDir: string;
  /**
   * the cgroup systemd delegated to the containers (OVZ_CGROUP_DELEGATE, e.g. system.slice/ovz-containers.service;
   * scripts/systemd): the engine creates cgroups only below it, and refuses starts while it does not exist
   */
  cgroupDelegate: string | null;
  cgroupParent: string;
  /** first host uid of the idmap ranges; container slot N maps 0 → idmapBase + N*65536 */
  idmapBase: number;
  idmapSlots: number;
  /** refuse a create whose disk limit exceeds free pool space × this ratio */
  diskOvercommit: number;
  stopTimeoutSec: number;
  seccompProfile: string;
  /** the seccomp profile of containers with the keyctl feature (features.ts): the default without its keyctl lines */
  seccompKeyctlProfile: string;
  /** the containers' AppArmor profile (apparmor.ts); null = LXC's default or no AppArmor */
  apparmor: ContainerApparmor;
  debianMirror: string;
  /**
   * host interfaces container traffic may be routed out of (none by default: containers reach only each other and the
   * host)
   */
  netUplinks: string[];
  /** where backup archives and their manifests are written (mode 0700) */
  backupDir: string;
  /** most snapshots one container may have (snapshot data is not charged to its disk limit) */
  maxSnapshots: number;
  /**
   * OVZ_LISTEN: also serve the protocol on this TCP address with mutual TLS (a node joined to a panel); null = Unix
   * socket only
   */
  listen: { host: string; port: number } | null;
  /** the node's TLS files (node.key, node.crt, ca.crt), written by `ovz-node join` */
  tlsDir: string;
  /**
   * the container's own /proc view (lxcfs.ts): the lxcfs binary (OVZ_LXCFS, default /usr/bin/lxcfs; "off" = null, the
   * host's view) and the mount point of the engine's own instance
   */
  lxcfs: { bin: string | null; dir: string };
  /**
   * The boot log (OVZ_CONSOLE_LOG=on; default off): containers started with a console pty whose output LXC keeps
   * in a bounded file (container.bootlog). LXC 5.0 cannot restore a container that has a console, so such a
   * container cannot be checkpointed, migrated live or suspended over a host reboot: the engine refuses those.
   */
  consoleLog: boolean;
  /** host boot and shutdown (host-power.ts): containers at once, stop or suspend, the shutdown's deadline */
  power: { parallel: number; stopMode: "stop" | "suspend"; stopDeadlineSec: number };
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, dflt: number): number {
  const v = env[name];
  if (v === undefined || v === "") return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number of at least 1, not "${v}"`);
  return n;
}

function stopMode(v: string | undefined): "stop" | "suspend" {
  if (v === undefined || v === "" || v === "stop") return "stop";
  if (v === "suspend") return "suspend";
  throw new Error(`OVZ_STOP_MODE must be "stop" or "suspend" (OpenVZ's VE_STOP_MODE), not "${v}"`);
}

function parseListen(v: string | undefined): { host: string; port: number } | null {
  if (!v?.trim()) return null;
  try {
    return parseHostPort(v.trim());
  } catch (e) {
    throw new Error(`OVZ_LISTEN: ${(e as Error).message}; give the address the panel dials, like 198.18.250.2:7443`);
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): EngineConfig {
  const stateDir = env.OVZ_STATE_DIR ?? "/var/lib/ovz";
  const driver = env.OVZ_STORAGE ?? "btrfs";
  if (!isStorageDriverName(driver)) {
    throw new Error(`OVZ_STORAGE must be ${driverNames(STORAGE_DRIVERS)}, not "${driver}"`);
  }
  const poolRoot = env.OVZ_POOL ?? path.join(stateDir, "pool");
  const image =
    STORAGE_DRIVERS[driver].poolImage && env.OVZ_POOL_IMAGE !== "none"
      ? {
          path: env.OVZ_POOL_IMAGE ?? path.join(stateDir, "pool.img"),
          sizeBytes: parseSize(env.OVZ_POOL_SIZE || "20G"),
          // without OVZ_POOL_SIZE a new image takes at most 80% of the free space (a small disk still works)
          sizeIsDefault: !env.OVZ_POOL_SIZE,
        }
      : undefined;
  const here = path.dirname(new URL(import.meta.url).pathname);
  const delegate = env.OVZ_CGROUP_DELEGATE?.trim().replace(/^\/+|\/+$/g, "") || null;
  if (delegate && env.OVZ_CGROUP_PARENT && !env.OVZ_CGROUP_PARENT.startsWith(`${delegate}/`)) {
    throw new Error(`OVZ_CGROUP_PARENT (${env.OVZ_CGROUP_PARENT}) must be below OVZ_CGROUP_DELEGATE (${delegate})`);
  }
  return {
    stateDir,
    socketPath: env.OVZ_SOCKET ?? "/run/ovz/engine.sock",
    socketGroup: env.OVZ_SOCKET_GROUP === "" ? null : (env.OVZ_SOCKET_GROUP ?? "ovz"),
    storage: { driver, root: poolRoot, image },
    templateDir: env.OVZ_TEMPLATE_DIR ?? path.join(stateDir, "templates"),
    templateImportDir: env.OVZ_TEMPLATE_IMPORT_DIR ?? path.join(stateDir, "template-cache"),
    lxcPath: path.join(stateDir, "lxc"),
    journalDir: path.join(stateDir, "journal"),
    cgroupDelegate: delegate,
    cgroupParent: env.OVZ_CGROUP_PARENT ?? (delegate ? `${delegate}/ovz` : "ovz"),
    idmapBase: Number(env.OVZ_IDMAP_BASE ?? 1_000_000),
    idmapSlots: Number(env.OVZ_IDMAP_SLOTS ?? 10_000),
    diskOvercommit: Number(env.OVZ_DISK_OVERCOMMIT ?? 1),
    stopTimeoutSec: Number(env.OVZ_STOP_TIMEOUT ?? 30),
    seccompProfile: env.OVZ_SECCOMP ?? path.resolve(here, "../config/seccomp/default.seccomp"),
    seccompKeyctlProfile: env.OVZ_SECCOMP_KEYCTL ?? path.resolve(here, "../config/seccomp/keyctl.seccomp"),
    apparmor: containerApparmor(env),
    debianMirror: env.OVZ_DEBIAN_MIRROR ?? "http://deb.debian.org/debian",
    netUplinks: (env.OVZ_NET_UPLINKS ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    backupDir: path.resolve(env.OVZ_BACKUP_DIR ?? path.join(stateDir, "backups")),
    maxSnapshots: Number(env.OVZ_MAX_SNAPSHOTS ?? 20),
    listen: parseListen(env.OVZ_LISTEN),
    tlsDir: path.join(stateDir, "tls"),
    lxcfs: {
      bin: env.OVZ_LXCFS === "off" ? null : env.OVZ_LXCFS || "/usr/bin/lxcfs",
      dir: path.join(stateDir, "lxcfs"),
    },
    consoleLog: onOff(env.OVZ_CONSOLE_LOG, "OVZ_CONSOLE_LOG"),
    power: {
      parallel: positiveInt(env, "OVZ_BOOT_PARALLEL", 4),
      stopMode: stopMode(env.OVZ_STOP_MODE),
      stopDeadlineSec: positiveInt(env, "OVZ_STOP_DEADLINE", 180),
    },
  };
}

function onOff(v: string | undefined, name: string): boolean {
  if (v === undefined || v === "" || v === "off") return false;
  if (v === "on") return true;
  throw new Error(`${name} must be "on" or "off", not "${v}"`);
}
