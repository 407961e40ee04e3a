/**
 * Every per-container limit is declared once here, as data: type, unit, range, default, whether it can be
 * changed on a running container, and a description. Validation (zod), the CLI flags, panel forms and docs
 * are all derived from this table — add a limit here and it shows up everywhere.
 */
import { z } from "zod";

export type LimitKind = "bytes" | "integer" | "percent" | "cpuset";

export interface LimitDecl {
  key: LimitKey;
  kind: LimitKind;
  /** Human label for forms and docs. */
  label: string;
  /** vzctl/prlctl flag name (without dashes). */
  flag: string;
  min: number;
  max: number;
  /** `null` = unlimited / unset by default. */
  default: number | string | null;
  live: boolean;
  /** Which kernel mechanism enforces it (shown in docs and beancounters). */
  enforcedBy: string;
  description: string;
}

export const LIMIT_KEYS = [
  "ram",
  "swap",
  "cpuunits",
  "cpulimit",
  "cpumask",
  "cpus",
  "numproc",
  "numfile",
  "numpty",
  "diskspace",
  "diskinodes",
  "ioweight",
  "iolimit",
  "iopslimit",
] as const;
export type LimitKey = (typeof LIMIT_KEYS)[number];

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const TiB = 1024 ** 4;

export const LIMITS: Record<LimitKey, LimitDecl> = {
  ram: {
    key: "ram",
    kind: "bytes",
    label: "RAM",
    flag: "ram",
    min: 16 * MiB,
    max: 4 * TiB,
    default: 512 * MiB,
    live: true,
    enforcedBy: "memory cgroup (memory.limit_in_bytes / memory.max)",
    description: "Memory the container may use; processes are OOM-killed inside the container beyond it.",
  },
  swap: {
    key: "swap",
    kind: "bytes",
    label: "Swap",
    flag: "swap",
    min: 0,
    max: 4 * TiB,
    default: 0,
    live: true,
    enforcedBy: "memory cgroup (memory.memsw.limit_in_bytes = ram + swap / memory.swap.max)",
    description: "Swap the container may use on top of its RAM.",
  },
  cpuunits: {
    key: "cpuunits",
    kind: "integer",
    label: "CPU units",
    flag: "cpuunits",
    min: 8,
    max: 500000,
    default: 1000,
    live: true,
    enforcedBy: "cpu cgroup weight (cpu.shares = units*1024/1000 / cpu.weight = units/10)",
    description: "Relative CPU weight against other containers when the host is busy (OpenVZ cpuunits; 1000 = normal).",
  },
  cpulimit: {
    key: "cpulimit",
    kind: "percent",
    label: "CPU limit %",
    flag: "cpulimit",
    min: 0,
    max: 100 * 1024,
    default: 0,
    live: true,
    enforcedBy: "CFS bandwidth (cpu.cfs_quota_us / cpu.max)",
    description:
      "Hard cap on CPU time: 100 = one full core, 250 = two and a half cores; 0 = no cap. With vCPUs set, the lower of this and vCPUs × 100 applies.",
  },
  cpumask: {
    key: "cpumask",
    kind: "cpuset",
    label: "CPU mask",
    flag: "cpumask",
    min: 0,
    max: 1023,
    default: null,
    live: true,
    enforcedBy: "cpuset cgroup (cpuset.cpus)",
    description:
      'Host CPUs the container may run on, e.g. "0-1,3"; empty = all. Without vCPUs it is pinned to exactly these; with vCPUs the engine places it on that many of them.',
  },
  cpus: {
    key: "cpus",
    kind: "integer",
    label: "vCPUs",
    flag: "cpus",
    min: 0,
    max: 1024,
    default: 0,
    live: true,
    enforcedBy:
      "CFS bandwidth (quota N × 100 %) + cpuset cgroup (N cores of the mask, balanced across the host by the engine)",
    description:
      "vCPUs: at most N CPUs' worth of time, on N cores the engine chooses and rebalances as containers start and stop (within the mask if one is set); 0 = no vCPU limit.",
  },
  numproc: {
    key: "numproc",
    kind: "integer",
    label: "Processes",
    flag: "numproc",
    min: 8,
    max: 4194304,
    default: 1024,
    live: true,
    enforcedBy: "pids cgroup (pids.max)",
    description: "Maximum number of processes and threads; fork fails with EAGAIN beyond it.",
  },
  numfile: {
    key: "numfile",
    kind: "integer",
    label: "Open files",
    flag: "numfile",
    min: 64,
    max: 1048576,
    default: 16384,
    live: true,
    enforcedBy: "RLIMIT_NOFILE of the container's processes (lxc.prlimit.nofile, prlimit live)",
    description: "Maximum open files per process in the container.",
  },
  numpty: {
    key: "numpty",
    kind: "integer",
    label: "PTYs",
    flag: "numpty",
    min: 8,
    max: 65536,
    default: 1024,
    live: true,
    enforcedBy: "the container's own devpts instance (lxc.pty.max: mount option max=, remounted live)",
    description:
      "Maximum number of pseudo-terminals open at once (SSH sessions, screen/tmux windows, consoles); opening one more fails with ENOSPC.",
  },
  diskspace: {
    key: "diskspace",
    kind: "bytes",
    label: "Disk space",
    flag: "diskspace",
    min: 64 * MiB,
    max: 1024 * TiB,
    default: 10 * GiB,
    live: true,
    enforcedBy: "storage driver quota (btrfs qgroup exclusive limit)",
    description:
      "Disk space the container may use beyond what it shares with its template; writes fail with EDQUOT beyond it.",
  },
  diskinodes: {
    key: "diskinodes",
    kind: "integer",
    label: "Disk inodes",
    flag: "diskinodes",
    min: 0,
    max: 2 ** 32,
    default: 0,
    live: true,
    enforcedBy: "storage driver inode quota (not available on btrfs or dir; XFS/ext4 project quota)",
    description: "Maximum number of files; 0 = not limited. Only storage drivers with inode quotas support it.",
  },
  ioweight: {
    key: "ioweight",
    kind: "integer",
    label: "I/O weight",
    flag: "ioprio",
    min: 10,
    max: 1000,
    default: 500,
    live: true,
    enforcedBy: "blkio/io cgroup weight (blkio.bfq.weight / io.weight)",
    description: "Relative disk I/O share (10–1000; effective only with a proportional I/O scheduler such as BFQ).",
  },
  iolimit: {
    key: "iolimit",
    kind: "bytes",
    label: "I/O bandwidth (bytes/s)",
    flag: "iolimit",
    min: 0,
    max: 100 * GiB,
    default: 0,
    live: true,
    enforcedBy: "blkio throttle (blkio.throttle.{read,write}_bps_device / io.max) on the pool's block device",
    description: "Disk read and write bandwidth cap in bytes per second each; 0 = no cap.",
  },
  iopslimit: {
    key: "iopslimit",
    kind: "integer",
    label: "IOPS limit",
    flag: "iopslimit",
    min: 0,
    max: 10_000_000,
    default: 0,
    live: true,
    enforcedBy: "blkio throttle (blkio.throttle.{read,write}_iops_device / io.max)",
    description: "Disk read and write operations per second cap each; 0 = no cap.",
  },
};

/** Parse "0-2,5" into a sorted unique list of CPU numbers; throws on bad syntax. */
export function parseCpuList(text: string): number[] {
  const out = new Set<number>();
  const t = text.trim();
  if (t === "") return [];
  for (const part of t.split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`bad CPU list "${text}": use numbers and ranges like 0-2,5`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new Error(`bad CPU range "${part}" in "${text}"`);
    if (b > 1023) throw new Error(`CPU ${b} out of range 0-1023`);
    for (let i = a; i <= b; i++) out.add(i);
  }
  return [...out].sort((x, y) => x - y);
}

export function formatCpuList(cpus: readonly number[]): string {
  const s = [...new Set(cpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < s.length;) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j]! + 1) j++;
    parts.push(i === j ? `${s[i]}` : `${s[i]}-${s[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}

const SIZE_UNITS: Record<string, number> = { "": 1, B: 1, K: 1024, M: MiB, G: GiB, T: TiB, P: 1024 * TiB };

/** Parse "512M", "2G", "1.5T", "4096" (bytes) into bytes. Suffixes are binary (K=1024), as in vzctl. */
export function parseSize(text: string | number): number {
  if (typeof text === "number") return text;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGTPB]?)(?:I?B)?\s*$/i.exec(text);
  if (!m) throw new Error(`bad size "${text}": use a number with an optional K, M, G or T suffix`);
  return Math.round(Number(m[1]) * SIZE_UNITS[m[2]!.toUpperCase()]!);
}

function limitSchema(d: LimitDecl): z.ZodTypeAny {
  if (d.kind === "cpuset") {
    return z.string().superRefine((v, ctx) => {
      try {
        parseCpuList(v);
      } catch (e) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: (e as Error).message });
      }
    });
  }
  const num = z
    .number({ invalid_type_error: `${d.label} must be a number` })
    .int(`${d.label} must be a whole number`)
    .min(d.min, `${d.label} must be at least ${fmt(d, d.min)}`)
    .max(d.max, `${d.label} must be at most ${fmt(d, d.max)}`);
  // Sizes also accept "512M" strings; they are parsed, then range-checked.
  if (d.kind === "bytes") {
    return z.union([num, z.string()]).transform((v, ctx) => {
      let n: number;
      try {
        n = parseSize(v);
      } catch (e) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: (e as Error).message });
        return z.NEVER;
      }
      const r = num.safeParse(n);
      if (!r.success) {
        for (const i of r.error.issues) ctx.addIssue({ code: z.ZodIssueCode.custom, message: i.message });
        return z.NEVER;
      }
      return n;
    });
  }
  return num;
}

export function fmt(d: LimitDecl, v: number): string {
  if (d.kind !== "bytes") return String(v);
  for (const [u, n] of [
    ["T", TiB],
    ["G", GiB],
    ["M", MiB],
    ["K", 1024],
  ] as const) {
    if (v >= n && v % n === 0) return `${v / n}${u}`;
  }
  return `${v} bytes`;
}

type LimitValue<K extends LimitKey> = (typeof LIMITS)[K]["kind"] extends "cpuset" ? string : number;
export type Limits = { [K in LimitKey]: K extends "cpumask" ? string | null : number };
export type LimitsPatch = Partial<{ [K in LimitKey]: K extends "cpumask" ? string | null : number }>;
export type { LimitValue };

/** zod schema for a partial set of limits (input side: sizes may be strings like "1G"). */
export const limitsPatchSchema = z
  .object(
    Object.fromEntries(
      LIMIT_KEYS.map((k) => {
        const s = limitSchema(LIMITS[k]);
        return [k, k === "cpumask" ? s.nullable().optional() : s.optional()];
      }),
    ) as unknown as Record<LimitKey, z.ZodTypeAny>,
  )
  .strict() as unknown as z.ZodType<LimitsPatch, z.ZodTypeDef, unknown>;

export function defaultLimits(): Limits {
  const out: Record<string, unknown> = {};
  for (const k of LIMIT_KEYS) out[k] = LIMITS[k].default;
  return out as Limits;
}

/** Cross-field checks that a single field's range cannot express. Returns human messages. */
export function crossCheck(l: Limits, hostCpus: number): string[] {
  const errs: string[] = [];
  if (l.cpulimit > hostCpus * 100) {
    errs.push(
      `CPU limit ${l.cpulimit}% exceeds this host's ${hostCpus} CPUs (${hostCpus * 100}%); lower it or use 0 for no cap`,
    );
  }
  if (l.cpumask) {
    const cpus = parseCpuList(l.cpumask);
    const bad = cpus.filter((c) => c >= hostCpus);
    // named as ranges: a mask of 0-999 on a 2-CPU host is "CPUs 2-999", not a list of 998 numbers
    if (bad.length)
      errs.push(
        `CPU mask ${formatCpuList(cpus)} names CPU${bad.length > 1 ? "s" : ""} ${formatCpuList(bad)}, but this host ` +
          `has only CPU${hostCpus > 1 ? `s 0-${hostCpus - 1}` : " 0"}`,
      );
    if (l.cpus > 0 && l.cpus > cpus.length)
      errs.push(`vCPUs ${l.cpus} is more than the ${cpus.length} CPUs in the mask ${formatCpuList(cpus)}`);
  } else if (l.cpus > hostCpus) {
    errs.push(`vCPUs ${l.cpus} is more than this host's ${hostCpus} CPUs`);
  }
  return errs;
}

/**
 * The CFS cap the kernel gets, in percent of one CPU (0 = none): N vCPUs are at most N CPUs' worth of
 * time, and an explicit cpulimit below that lowers it further. Which cores: cpu-balance.ts.
 */
export function effectiveCpulimit(l: Pick<Limits, "cpus" | "cpulimit">): number {
  if (l.cpus <= 0) return l.cpulimit;
  return l.cpulimit > 0 ? Math.min(l.cpulimit, l.cpus * 100) : l.cpus * 100;
}
