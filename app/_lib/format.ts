const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/** 1536 → "1.5 KiB"; for usage numbers that are not round (limits use settings.fmt). */
export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return "—";
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v >= 100 ? 0 : 1)} ${UNITS[i]}`;
}

export function when(d: Date | string | null | undefined): string {
  if (!d) return "—";
  const date = d instanceof Date ? d : new Date(d);
  return date.toLocaleString(undefined, {
    year: "numeric",
    month: "short",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}

/** A duration for people: 42 → "42 s", 204 → "3 min 24 s", 7300 → "2 h 1 min". */
export function seconds(n: number): string {
  const s = Math.max(0, Math.round(n));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ""}`;
  const m = Math.floor((s % 3600) / 60);
  return `${Math.floor(s / 3600)} h${m ? ` ${m} min` : ""}`;
}

export function mib(n: number): string {
  return n >= 1024 && n % 1024 === 0 ? `${n / 1024} GiB` : `${n} MiB`;
}

const SI = ["B", "kB", "MB", "GB", "TB", "PB"];

/** Traffic in decimal units (quotas are in GB = 10^9 bytes): 1_500_000_000 → "1.5 GB". */
export function trafficBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return "—";
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1000 && i < SI.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v >= 100 ? 0 : 1)} ${SI[i]}`;
}

/** A rate in kbit/s: 0 → "unlimited", 100000 → "100 Mbit/s", 512 → "512 kbit/s". */
export function kbit(n: number): string {
  if (n === 0) return "unlimited";
  if (n >= 1_000_000 && n % 1000 === 0) return `${n / 1_000_000} Gbit/s`;
  if (n >= 1000 && n % 1000 === 0) return `${n / 1000} Mbit/s`;
  return `${n} kbit/s`;
}
