/** UTC days and months as the traffic accounting keys them (TrafficDaily.day, the quota month). */

/** YYYY-MM-DD of a date in UTC. */
export function utcDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** YYYY-MM of a date in UTC. */
export function utcMonth(d: Date): string {
  return d.toISOString().slice(0, 7);
}

/** The day strings of a month, for range queries on TrafficDaily.day. */
export function monthDays(month: string): { gte: string; lte: string } {
  return { gte: `${month}-01`, lte: `${month}-31` };
}

/** The last `n` UTC days up to and including `now`'s, oldest first. */
export function lastDays(now: Date, n: number): string[] {
  const out: string[] = [];
  const base = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  for (let i = n - 1; i >= 0; i--) out.push(utcDay(new Date(base - i * 86_400_000)));
  return out;
}
