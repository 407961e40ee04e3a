/**
 * v1-only conversions and parsers of the cgroup v1 driver (v1.ts); pure. Shared code is in common.ts.
 */
import { clamp } from "./common.js";

/** OpenVZ cpuunits → v1 cpu.shares: round(units*1024/1000), clamped 2..262144. */
export function cpuunitsToShares(units: number): number {
  return clamp(Math.round((units * 1024) / 1000), 2, 262144);
}

/** v1 cpu.shares → cpuunits (inverse of cpuunitsToShares, exact for multiples of 125 units). */
export function sharesToCpuunits(shares: number): number {
  return Math.round((shares * 1000) / 1024);
}

/** Parse v1 blkio.throttle.*_device contents ("maj:min value" per line) into a map. */
export function parseThrottle(text: string | null): Map<string, number> {
  const out = new Map<string, number>();
  if (text === null) return out;
  for (const line of text.split("\n")) {
    const m = /^\s*(\d+:\d+)\s+(\d+)\s*$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/**
 * Bytes from blkio.throttle.io_service_bytes[_recursive]: the trailing device-less "Total N" line
 * (sum over devices), else the sum of the per-device "maj:min Total N" lines.
 */
export function parseIoServiceTotal(text: string | null): number {
  if (text === null) return 0;
  let sum = 0;
  for (const line of text.split("\n")) {
    const all = /^\s*Total\s+(\d+)\s*$/.exec(line);
    if (all) return Number(all[1]);
    const dev = /^\s*\d+:\d+\s+Total\s+(\d+)\s*$/.exec(line);
    if (dev) sum += Number(dev[1]);
  }
  return sum;
}

/**
 * Read and write bytes from blkio.throttle.io_service_bytes[_recursive]: the sums of the per-device
 * "maj:min Read N" and "maj:min Write N" lines (Sync/Async/Discard/Total lines are other views of the same bytes).
 */
export function parseIoServiceRW(text: string | null): { read: number; write: number } {
  const out = { read: 0, write: 0 };
  for (const line of (text ?? "").split("\n")) {
    const m = /^\s*\d+:\d+\s+(Read|Write)\s+(\d+)\s*$/.exec(line);
    if (m) out[m[1] === "Read" ? "read" : "write"] += Number(m[2]);
  }
  return out;
}

export function sameSet(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** memsw: memory + swap limit (exists only with swap accounting) */
export const MEMSW = "memory.memsw.limit_in_bytes";
