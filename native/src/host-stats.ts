/**
 * The host's own load for the panel's node dashboard (host.stats): CPU time counters, load average, memory and
 * swap from /proc — three small files, no process spawned — plus the pool's space and the containers' states
 * (one runtime.states read for all of them). CPU counters are cumulative (jiffies since boot): the panel makes
 * a percentage from two samples, so the engine keeps no state between calls.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";

export interface HostLoad {
  /** cumulative jiffies: busy (all but idle and iowait) and total, from the "cpu" line of /proc/stat */
  cpu: { busy: number; total: number };
  /** 1, 5 and 15 minute load averages */
  load: [number, number, number];
  memory: { totalBytes: number; availableBytes: number };
  swap: { totalBytes: number; freeBytes: number };
  uptimeSec: number;
}

/** The "cpu" line of /proc/stat: user nice system idle iowait irq softirq steal (guest time is inside user). */
export function parseCpuLine(stat: string): { busy: number; total: number } {
  const line = stat.split("\n").find((l) => /^cpu\s/.test(l));
  if (!line) throw new Error("no cpu line in /proc/stat");
  const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (f.length < 4 || f.some((n) => !Number.isFinite(n))) throw new Error(`bad cpu line in /proc/stat: ${line}`);
  const total = f.reduce((a, b) => a + b, 0);
  const idle = f[3]! + (f[4] ?? 0);
  return { busy: total - idle, total };
}

/** Fields of /proc/meminfo in bytes (the file says kB). */
export function parseMeminfo(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of text.split("\n")) {
    const r = /^(\w+):\s+(\d+)(?:\s+kB)?$/.exec(l.trim());
    if (r) m.set(r[1]!, Number(r[2]) * (l.includes("kB") ? 1024 : 1));
  }
  return m;
}

export async function readHostLoad(proc = "/proc"): Promise<HostLoad> {
  const [stat, meminfo, loadavg, uptime] = await Promise.all(
    ["stat", "meminfo", "loadavg", "uptime"].map((f) => readFile(path.join(proc, f), "utf8")),
  );
  const mem = parseMeminfo(meminfo!);
  const l = loadavg!.trim().split(/\s+/).map(Number);
  const total = mem.get("MemTotal") ?? 0;
  return {
    cpu: parseCpuLine(stat!),
    load: [l[0] ?? 0, l[1] ?? 0, l[2] ?? 0],
    memory: { totalBytes: total, availableBytes: mem.get("MemAvailable") ?? mem.get("MemFree") ?? 0 },
    swap: { totalBytes: mem.get("SwapTotal") ?? 0, freeBytes: mem.get("SwapFree") ?? 0 },
    uptimeSec: Number(uptime!.trim().split(/\s+/)[0]) || 0,
  };
}
