/** Formatting shared by vzps and pstat (pure). */

/** Compact binary size like top/vzlist: 0, 512, 1.5K, 12.3M, 2.0G (one decimal below 100, none above). */
export function fmtBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return "-";
  const units = ["", "K", "M", "G", "T", "P"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  if (i === 0) return String(Math.round(v));
  return `${v < 100 ? v.toFixed(1) : Math.round(v).toString()}${units[i]}`;
}

/** ps TIME: cumulative CPU time as [DD-]HH:MM:SS. */
export function fmtCpuTime(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const dd = Math.floor(s / 86400);
  const hh = Math.floor((s % 86400) / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  const p2 = (x: number) => String(x).padStart(2, "0");
  return `${dd ? `${dd}-` : ""}${p2(hh)}:${p2(mm)}:${p2(ss)}`;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** ps START: "HH:MM" within the last 24 h, else "MmmDD" in the same year, else the year. Local time. */
export function fmtStart(startMs: number, nowMs: number): string {
  const d = new Date(startMs);
  const now = new Date(nowMs);
  const p2 = (x: number) => String(x).padStart(2, "0");
  if (nowMs - startMs < 24 * 3600 * 1000) return `${p2(d.getHours())}:${p2(d.getMinutes())}`;
  if (d.getFullYear() === now.getFullYear()) return `${MONTHS[d.getMonth()]}${p2(d.getDate())}`;
  return String(d.getFullYear());
}

/** One decimal, like ps %CPU/%MEM and top. */
export function fmtPercent(p: number | null): string {
  return p === null || !Number.isFinite(p) ? "-" : p.toFixed(1);
}

export type Align = "l" | "r";

/**
 * Columns padded to their widest cell (header included), separated by one space; right-aligned columns for
 * numbers. The last column is never padded (ps prints long command lines unpadded). headers = null: no header.
 */
export function renderTable(headers: string[] | null, align: Align[], rows: string[][]): string {
  const all = headers ? [headers, ...rows] : rows;
  const n = align.length;
  const width = Array.from({ length: n }, (_, i) => Math.max(0, ...all.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) =>
    r
      .map((cell, i) => {
        if (i === n - 1) return align[i] === "r" ? cell.padStart(width[i]!) : cell;
        return align[i] === "r" ? cell.padStart(width[i]!) : cell.padEnd(width[i]!);
      })
      .join(" ")
      .replace(/\s+$/, "");
  return all.map(line).join("\n") + (all.length ? "\n" : "");
}

/** A device number (stat tty_nr) as ps shows it: pts/3, tty1, ttyS0, console, or "?" for none. */
export function fmtTty(ttyNr: number): string {
  if (!ttyNr) return "?";
  const major = (ttyNr >> 8) & 0xfff;
  const minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00);
  if (major >= 136 && major <= 143) return `pts/${(major - 136) * 256 + minor}`;
  if (major === 4) return minor < 64 ? `tty${minor}` : `ttyS${minor - 64}`;
  if (major === 5 && minor === 1) return "console";
  return `${major},${minor}`;
}
