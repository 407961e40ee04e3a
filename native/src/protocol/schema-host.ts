/**
 * The method table, the host (schema.ts assembles it): its load (host-stats.ts) and what happens to containers
 * at host boot and shutdown (host-power.ts).
 */
import { z } from "zod";

const stopMode = z.enum(["stop", "suspend"]);
const outcome = z.object({
  ctid: z.number(),
  action: z.enum(["started", "resumed", "stopped", "suspended", "killed", "failed"]),
  bootorder: z.number().nullable(),
  error: z.string().optional(),
  suspendedSec: z.number().optional(),
});
const bootReport = z.object({
  bootId: z.string(),
  already: z.boolean(),
  at: z.string(),
  outcomes: z.array(outcome),
});
const shutdownReport = z.object({
  mode: stopMode,
  at: z.string(),
  deadlineSec: z.number(),
  outcomes: z.array(outcome),
});

const bytesUsed = z.object({ totalBytes: z.number(), freeBytes: z.number() });

export const hostPowerMethods = {
  /**
   * The host's load for the node dashboard (host-stats.ts): cumulative CPU jiffies (the panel makes a % from two
   * samples), load average, memory, swap, the pool's space and how many containers run. Cheap: /proc files and
   * one read of the containers' states.
   */
  "host.stats": {
    params: z.object({}).strict(),
    result: z.object({
      cpu: z.object({ busy: z.number(), total: z.number() }),
      cpus: z.number(),
      load: z.tuple([z.number(), z.number(), z.number()]),
      memory: z.object({ totalBytes: z.number(), availableBytes: z.number() }),
      swap: bytesUsed,
      pool: bytesUsed,
      uptimeSec: z.number(),
      containers: z.object({ total: z.number(), running: z.number() }),
    }),
  },
  /** What the last boot and shutdown did, and whether this boot was handled yet. */
  "host.power": {
    params: z.object({}).strict(),
    result: z.object({
      bootId: z.string(),
      booted: z.boolean(),
      stopMode,
      lastBoot: bootReport.nullable(),
      lastShutdown: shutdownReport.nullable(),
    }),
  },
  /**
   * Start the onboot containers by boot order and resume the ones the last shutdown suspended. Once per
   * host boot unless `force` (the systemd unit's start forces: `systemctl restart ovz-containers`).
   */
  "host.boot": {
    params: z.object({ force: z.boolean().optional() }).strict(),
    result: bootReport,
  },
  /** Stop, or checkpoint (mode suspend), every running container in reverse boot order within the deadline. */
  "host.shutdown": {
    params: z
      .object({ mode: stopMode.optional(), deadlineSec: z.number().int().min(1).max(86_400).optional() })
      .strict(),
    result: shutdownReport,
  },
} as const;
