/** The runtime driver table (one runtime today: LXC). */
import type { DriverEntry } from "../registry.js";
import { LxcRuntime } from "./lxc.js";
import type { RuntimeDriver } from "./types.js";

export interface RuntimeOptions {
  /** LXC's container directory (lxc.lxcpath) */
  lxcPath: string;
  /** the host's cgroup version, which decides the lxc.cgroup.* or lxc.cgroup2.* keys */
  cgroupVersion: 1 | 2;
}

export type RuntimeDriverEntry = DriverEntry<RuntimeOptions, RuntimeDriver>;

export const RUNTIME_DRIVERS = {
  lxc: { describe: "LXC system containers", create: (o) => new LxcRuntime(o) },
} as const satisfies Record<string, RuntimeDriverEntry>;

export type RuntimeDriverName = keyof typeof RUNTIME_DRIVERS;

export type { ExecResult, RuntimeDriver, RuntimeSpec, RuntimeState } from "./types.js";
