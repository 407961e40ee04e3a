/**
 * Runtime driver: runs a system container from a root filesystem and a spec. LXC 5 is the driver here
 * (measured on this kernel: 10–40 ms starts, unprivileged with idmapped rootfs, cgroup v1 and v2).
 */
import type { Features } from "../../features.js";
import type { CgroupDriver } from "../cgroup/types.js";

export type RuntimeState =
  "STOPPED" | "STARTING" | "RUNNING" | "STOPPING" | "ABORTING" | "FREEZING" | "FROZEN" | "THAWED";

export interface RuntimeOptions {
  /** LXC's container directory (lxc.lxcpath) */
  lxcPath: string;
  /** the host's cgroup version, which decides the lxc.cgroup.* or lxc.cgroup2.* keys */
  cgroupVersion: 1 | 2;
  /** the host's cgroup driver, which states() reads the containers' cgroups with */
  cgroups: CgroupDriver;
  /** a container's cgroup and its LXC monitor's, relative to each hierarchy (as in RuntimeSpec) */
  cgroupDirs(ctid: number): { container: string; monitor: string };
}

export interface IdMap {
  /** first host uid/gid that container uid/gid 0 maps to */
  hostId: number;
  /** number of ids mapped (65536) */
  size: number;
}

export interface RuntimeSpec {
  ctid: number;
  hostname: string;
  /** absolute path of the root filesystem directory */
  rootfs: string;
  idmap: IdMap;
  init: string;
  haltSignal: string;
  /** cgroup path of the container relative to each hierarchy, e.g. "ovz/101" */
  cgroupDir: string;
  /** cgroup path of LXC's monitor process, e.g. "ovz.monitor/101" */
  monitorCgroupDir: string;
  /** cgroup config lines from the cgroup driver */
  cgroupKeys: Array<[string, string]>;
  /** RLIMIT_NOFILE soft=hard */
  nofile: number;
  /** most pseudo-terminals at once (the container's devpts max=) */
  ptyMax: number;
  seccompProfile: string;
  /** lxc.apparmor.profile; null = LXC's default (native/src/apparmor.ts) */
  apparmorProfile: string | null;
  logFile: string;
  /**
   * The container's console output (its init's stdout and stderr, /dev/console): lxc.console.logfile, at most
   * CONSOLE_LOG_BYTES, rotated once to <consoleLog>.1. In the container's own runtime dir: removed on destroy.
   * null (OVZ_CONSOLE_LOG off, the default): no console at all, which keeps the container checkpointable.
   */
  consoleLog: string | null;
  /**
   * The container's own view (lxcfs.ts): the lxcfs mount whose /proc files and /sys/devices/system/cpu are bound over
   * the container's own; null = the host's view (lxcfs off or not serving).
   */
  view: string | null;
  /** enabled features (native/src/features.ts): devices and mounts; seccompProfile/apparmorProfile already fit them */
  features: Features;
  /** where the engine made the features' device nodes for this container (<lxcPath>/<ctid>/devices) */
  deviceDir: string;
  /** Network keys from the network layer (native/src/net/lxc.ts); none = own netns with loopback only. */
  network: Array<[string, string]>;
}

/** The size bound of a console log file (lxc.console.size; a power of two, at least a page). */
export const CONSOLE_LOG_BYTES = 128 * 1024;

export interface ConsoleTail {
  /** UTF-8 text (invalid sequences replaced), at most maxBytes of the end of the output */
  text: string;
  /** bytes of console output the engine still holds (both files) */
  bytes: number;
  /** true when older output was left out (by maxBytes) */
  truncated: boolean;
}

/** A container's state with its init's host pid (null unless it runs or is frozen). */
export interface RunView {
  state: RuntimeState;
  initPid: number | null;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RuntimeDriver {
  readonly name: string;
  /** Pure: the runtime's config text for a spec (golden-tested). */
  render(spec: RuntimeSpec): string;
  /** Write the rendered config where the runtime reads it. */
  writeConfig(spec: RuntimeSpec): Promise<void>;
  /** Remove the runtime's files for a container (config, logs). Idempotent. */
  removeConfig(ctid: number): Promise<void>;
  configExists(ctid: number): Promise<boolean>;
  /** The last maxBytes of the container's console output (the rotated file, then the current one). */
  consoleTail(ctid: number, maxBytes: number): Promise<ConsoleTail>;
  start(ctid: number): Promise<void>;
  /** Clean halt via the init's halt signal; after timeoutSec, kill. */
  stop(ctid: number, timeoutSec: number): Promise<void>;
  kill(ctid: number): Promise<void>;
  freeze(ctid: number): Promise<void>;
  unfreeze(ctid: number): Promise<void>;
  state(ctid: number): Promise<RuntimeState>;
  /** Host PID of the container's init; null when stopped. */
  initPid(ctid: number): Promise<number | null>;
  /**
   * State and init pid of many containers at once (list, status, usage, net.stats), from the cgroups and the
   * driver's own bookkeeping: no process per container. Only a container the cgroups cannot tell about (starting,
   * stopping, an init without its monitor) is asked of the runtime's tools, one at a time.
   */
  states(ctids: readonly number[]): Promise<Map<number, RunView>>;
  exec(
    ctid: number,
    argv: string[],
    opts?: { input?: string; timeoutMs?: number; env?: Record<string, string> },
  ): Promise<ExecResult>;
  /**
   * The host command that runs argv inside the running container with exactly `env` (nothing else of the
   * caller's environment) and none of the caller's file descriptors but 0-2. Used for console sessions,
   * which run it under a terminal; pure.
   */
  attachCommand(ctid: number, argv: string[], env: Record<string, string>): { file: string; args: string[] };
  /**
   * Checkpoint (CRIU): dump the running container's processes, memory, open files and established TCP
   * connections into `dir` (empty, existing) and stop it. On failure the container keeps running.
   */
  checkpoint(ctid: number, dir: string): Promise<void>;
  /** Restore a container from a dump made by checkpoint(): the same processes continue. */
  restore(ctid: number, dir: string): Promise<void>;
  /** Tail of the runtime log for a container, to explain a failed start. */
  logTail(ctid: number, lines?: number): Promise<string>;
}
