/**
 * How the engine runs CRIU (through LXC's lxc-checkpoint). Debian bookworm's criu 3.17 fails on this
 * kernel; scripts/install-criu.sh builds CRIU 4.2.1 into /opt/criu (HOST-FACTS "Checkpoint / restore").
 * lxc-checkpoint finds `criu` through PATH and CRIU reads extra options from CRIU_CONFIG_FILE.
 */
import { existsSync } from "node:fs";

export const CRIU_PREFIX = process.env.OVZ_CRIU_PREFIX ?? "/opt/criu";
export const CRIU_BIN = `${CRIU_PREFIX}/sbin/criu`;

/** Idmapped bind mounts for restored containers (native/helpers/ovz-idmap-mount.c, built by install-criu.sh). */
export const IDMAP_MOUNT_BIN = process.env.OVZ_IDMAP_MOUNT ?? "/usr/local/lib/ovz/ovz-idmap-mount";

export function criuAvailable(): boolean {
  return existsSync(CRIU_BIN) && existsSync(IDMAP_MOUNT_BIN);
}

/**
 * Pure: CRIU's config file for a dump or a restore.
 * - network-lock nftables: the iptables lock needs iptables-legacy modules this kernel lacks.
 * - tcp-established: open TCP connections survive (the peer sees a pause, not a reset).
 * - mntns-compat-mode (restore only): LXC 5's mount layout fails with CRIU 4's new mount engine.
 * - cgroup-root (restore only): the container's cgroup on THIS node, for every hierarchy LXC does not name
 *   itself (the hybrid host's cgroup2 "unified" one): a dump made on another node — another cgroup parent
 *   when several nodes share a machine — would otherwise put the processes back under the source's path.
 */
export function renderCriuConfig(mode: "dump" | "restore", opts: { cgroupRoot?: string } = {}): string {
  const lines = ["network-lock nftables", "tcp-established"];
  if (mode === "restore") lines.push("mntns-compat-mode");
  if (mode === "restore" && opts.cgroupRoot) lines.push(`cgroup-root ${opts.cgroupRoot}`);
  return lines.join("\n") + "\n";
}

/** Environment for lxc-checkpoint: our criu first in PATH, the config file. */
export function criuEnv(configFile: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: `${CRIU_PREFIX}/sbin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    CRIU_CONFIG_FILE: configFile,
  };
}
