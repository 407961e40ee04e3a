/** The runtime driver table (one runtime today: LXC). */
import type { DriverEntry } from "../registry.js";
import { LxcRuntime } from "./lxc.js";
import type { RuntimeDriver, RuntimeOptions } from "./types.js";

export type RuntimeDriverEntry = DriverEntry<RuntimeOptions, RuntimeDriver>;

export const RUNTIME_DRIVERS = {
  lxc: { describe: "LXC system containers", create: (o) => new LxcRuntime(o) },
} as const satisfies Record<string, RuntimeDriverEntry>;

export type RuntimeDriverName = keyof typeof RUNTIME_DRIVERS;

export type { ExecResult, RunView, RuntimeDriver, RuntimeOptions, RuntimeSpec, RuntimeState } from "./types.js";
