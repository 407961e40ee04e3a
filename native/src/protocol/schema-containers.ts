/**
 * The method table, containers (schema.ts assembles it): lifecycle, exec and settings, limits and counters.
 */
import { z } from "zod";
import { featuresSchema } from "../features.js";
import {
  bootorderSchema,
  containerInfo,
  ctid,
  ctidOnly,
  empty,
  limitsIn,
  limitsOut,
  MAX_FRAME_BYTES,
  newContainerFields,
  ok,
} from "./schema-common.js";

const beancounter = z.object({
  resource: z.string(),
  held: z.number(),
  maxheld: z.number(),
  limit: z.number().nullable(),
  failcnt: z.number(),
  unit: z.string(),
});

const rw = z.object({ read: z.number(), write: z.number() }).nullable();
const cgroupReadback = z.object({
  ram: z.number().nullable(),
  swap: z.number().nullable(),
  cpuunits: z.number(),
  cpulimit: z.number(),
  cpus: z.string(),
  numproc: z.number().nullable(),
  ioweight: z.number().nullable(),
  iolimit: rw,
  iopslimit: rw,
  raw: z.record(z.string(), z.string()),
});

/** Cumulative counters of one running container (container.usage): rates come from differences of two samples. */
const containerUsage = z.object({
  ctid: z.number(),
  initPid: z.number(),
  /** its cgroup as /proc/<pid>/cgroup shows it (e.g. "/ovz/101"): every process at or below it is the container's */
  cgroup: z.string(),
  /** CPU time of all its processes, ns (cgroup cpuacct.usage / cpu.stat usage_usec) */
  cpuNs: z.number(),
  /** memory charged to it, page cache included (what counts against its RAM limit) */
  memBytes: z.number(),
  /** peak of memBytes (null when the kernel does not track it) */
  memMaxBytes: z.number().nullable(),
  /** the RAM limit in force, read from the kernel (null = unlimited; optional: engines before 2026-12 do not say) */
  memLimitBytes: z.number().nullable().optional(),
  /** swap in use (null without swap accounting) */
  swapBytes: z.number().nullable(),
  /** tasks (pids.current) */
  nproc: z.number(),
  ioReadBytes: z.number(),
  ioWriteBytes: z.number(),
  /** processes the OOM killer killed in it since it started (optional: engines before 2026-12 do not say) */
  oomKills: z.number().optional(),
  /** forks refused at its process limit since it started (numproc failcnt; optional as oomKills) */
  forkFails: z.number().optional(),
  /** when the counters were read, ms since the epoch */
  sampledAt: z.number(),
});

/** Creating, starting and stopping containers, checkpoints. */
export const containerLifecycleMethods = {
  "container.list": { params: empty, result: z.array(containerInfo) },
  "container.status": { params: ctidOnly, result: containerInfo },
  "container.resolve": { params: z.object({ ref: z.string().min(1).max(64) }).strict(), result: z.object({ ctid }) },
  "container.create": {
    params: z.object({ ctid, template: z.string().min(1).max(64), ...newContainerFields }).strict(),
    result: containerInfo,
  },
  /**
   * A new container (newCtid, stopped) whose root filesystem is a CoW copy of container ctid's (a running one is
   * frozen only for that instant). hostname and onboot default to the source's, name to none, limits to the
   * source's (a patch over them), net to the source's without addresses. Snapshots, backups and a checkpoint
   * of the source are not copied. Undone whole on failure.
   */
  "container.clone": {
    params: z.object({ ctid, newCtid: ctid, ...newContainerFields }).strict(),
    result: containerInfo,
  },
  "container.start": { params: ctidOnly, result: containerInfo },
  "container.stop": {
    params: z
      .object({ ctid, timeoutSec: z.number().int().min(0).max(3600).optional(), force: z.boolean().optional() })
      .strict(),
    result: containerInfo,
  },
  "container.restart": {
    params: z.object({ ctid, timeoutSec: z.number().int().min(0).max(3600).optional() }).strict(),
    result: containerInfo,
  },
  "container.destroy": { params: z.object({ ctid, force: z.boolean().optional() }).strict(), result: ok },
  "container.suspend": { params: ctidOnly, result: containerInfo },
  /** Thaw a frozen container, or restore a checkpointed one (both show as "suspended"). */
  "container.resume": { params: ctidOnly, result: containerInfo },
  /** CRIU: dump the running container's whole state to disk and stop it (vzctl chkpnt / suspend). */
  "container.checkpoint": { params: ctidOnly, result: containerInfo },
  /** Restore a checkpointed container: the same processes, addresses and TCP connections continue. */
  "container.restore": { params: ctidOnly, result: containerInfo },
} as const;

/** Running commands in containers, their settings, limits and counters. */
export const containerConfigMethods = {
  "container.exec": {
    params: z
      .object({
        ctid,
        argv: z.array(z.string().max(65536)).min(1).max(1024),
        input: z
          .string()
          .max(MAX_FRAME_BYTES / 2)
          .optional(),
        timeoutMs: z.number().int().min(1).max(3_600_000).optional(),
      })
      .strict(),
    result: z.object({ code: z.number(), stdout: z.string(), stderr: z.string() }),
  },
  "container.set": {
    params: z
      .object({
        ctid,
        limits: limitsIn.optional(),
        /** the whole new feature set (features.ts): unknown names are refused; applies at the next start */
        features: featuresSchema.optional(),
        hostname: z.string().max(253).optional(),
        name: z.string().max(64).nullable().optional(),
        onboot: z.boolean().optional(),
        bootorder: bootorderSchema.nullable().optional(),
      })
      .strict(),
    result: containerInfo,
  },
  /** Replace the root filesystem by a fresh one from a template (stopped); keepData keeps the old files under /old. */
  "container.reinstall": {
    params: z.object({ ctid, template: z.string().min(1).max(64), keepData: z.boolean() }).strict(),
    result: containerInfo,
  },
  /** Replace root's /root/.ssh/authorized_keys (OpenSSH public keys, one per line, # comments); running or stopped. */
  "container.sshkeys.set": {
    params: z.object({ ctid, keys: z.string().max(1_048_576) }).strict(),
    result: z.object({ ok: z.literal(true), count: z.number().int() }),
  },
  /** A user's password, running or stopped; a missing user is created (created: true). */
  "container.passwd": {
    params: z.object({ ctid, user: z.string().min(1).max(32), password: z.string().min(1).max(256) }).strict(),
    result: z.object({ ok: z.literal(true), created: z.boolean() }),
  },
  "container.limits": {
    params: ctidOnly,
    result: z.object({
      configured: limitsOut,
      cgroup: cgroupReadback.nullable(),
      disk: z.object({
        bytes: z.number(),
        limitBytes: z.number().nullable(),
        inodes: z.number().nullable(),
        limitInodes: z.number().nullable(),
      }),
      nofile: z.number().nullable(),
      ptyMax: z.number().nullable(),
    }),
  },
  "container.beancounters": { params: ctidOnly, result: z.array(beancounter) },
  /**
   * The end of the container's console output: what its init and boot scripts wrote to /dev/console
   * (lxc.console.logfile, bounded and rotated by LXC; kept while the container exists, across restarts) on a node
   * with OVZ_CONSOLE_LOG=on (enabled: false and nothing otherwise). maxBytes default 64 KiB.
   */
  "container.bootlog": {
    params: z
      .object({
        ctid,
        maxBytes: z
          .number()
          .int()
          .min(1024)
          .max(256 * 1024)
          .optional(),
      })
      .strict(),
    result: z.object({
      ctid,
      /** whether this node keeps its containers' console output (OVZ_CONSOLE_LOG=on) */
      enabled: z.boolean(),
      text: z.string(),
      bytes: z.number().int().min(0),
      truncated: z.boolean(),
    }),
  },
} as const;

export const containerUsageMethods = {
  /**
   * CPU, memory, task and block I/O counters of running containers (all when ctids is omitted); reads cgroup files
   * only.
   */
  "container.usage": {
    params: z.object({ ctids: z.array(ctid).max(10_000).optional() }).strict(),
    result: z.array(containerUsage),
  },
} as const;
