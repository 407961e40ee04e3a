/**
 * Backup policy schedules, all in UTC: "daily HH:MM" or "weekly DAY HH:MM" (DAY: mon tue wed thu fri sat
 * sun). A schedule's slots are the instants it names; nextSlot() is the first slot after a time, prevSlot()
 * the last one at or before it. Each container adds its own jitter (jitterOffsetSec: a deterministic offset
 * within the configured window, so the containers of one policy do not all start at the same second): a
 * container's run for slot S is due at S + its offset. Browser-safe (no imports).
 */

export const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export type Schedule =
  | { every: "daily"; hour: number; minute: number }
  | { every: "weekly"; weekday: Weekday; hour: number; minute: number };

const RE = /^(daily|weekly)\s+(?:(mon|tue|wed|thu|fri|sat|sun)\s+)?([01]\d|2[0-3]):([0-5]\d)$/i;

/** The syntax, for error messages and the docs. */
export const SCHEDULE_SYNTAX = '"daily HH:MM" or "weekly DAY HH:MM" (DAY: mon … sun; UTC, 24-hour clock)';

/** Parses a schedule; null when it is not one (see SCHEDULE_SYNTAX). */
export function parseSchedule(text: string): Schedule | null {
  const m = RE.exec(text.trim());
  if (!m) return null;
  const [, every, day, hh, mm] = m;
  const hour = Number(hh);
  const minute = Number(mm);
  if (every!.toLowerCase() === "daily") return day ? null : { every: "daily", hour, minute };
  if (!day) return null;
  return { every: "weekly", weekday: day.toLowerCase() as Weekday, hour, minute };
}

/** The canonical text of a schedule ("daily 03:00", "weekly sun 04:30"). */
export function formatSchedule(s: Schedule): string {
  const hm = `${String(s.hour).padStart(2, "0")}:${String(s.minute).padStart(2, "0")}`;
  return s.every === "daily" ? `daily ${hm}` : `weekly ${s.weekday} ${hm}`;
}

const DAY_MS = 86_400_000;

/** The slot on the UTC day of `t` (for weekly: of the week containing `t`, Sunday first). */
function slotNear(s: Schedule, t: number): number {
  const d = new Date(t);
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  const offset = s.every === "weekly" ? (WEEKDAYS.indexOf(s.weekday) - d.getUTCDay()) * DAY_MS : 0;
  return day + offset + (s.hour * 60 + s.minute) * 60_000;
}

const period = (s: Schedule) => (s.every === "daily" ? DAY_MS : 7 * DAY_MS);

/** The first slot strictly after `after`. */
export function nextSlot(s: Schedule, after: Date): Date {
  const t = after.getTime();
  let slot = slotNear(s, t);
  while (slot <= t) slot += period(s);
  while (slot - period(s) > t) slot -= period(s);
  return new Date(slot);
}

/** The last slot at or before `at`. */
export function prevSlot(s: Schedule, at: Date): Date {
  return new Date(nextSlot(s, at).getTime() - period(s));
}

/**
 * A container's jitter in seconds: FNV-1a of its id, modulo the window. The same container always gets the
 * same offset; different containers spread evenly over [0, windowSec).
 */
export function jitterOffsetSec(containerId: string, windowSec: number): number {
  if (windowSec <= 0) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < containerId.length; i++) {
    h ^= containerId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % Math.floor(windowSec);
}

/** When the run for a slot is due for a container with this jitter offset. */
export function dueAt(slot: Date, offsetSec: number): Date {
  return new Date(slot.getTime() + offsetSec * 1000);
}

/**
 * The slot a container's next run belongs to, seen at `now`: the first slot whose jittered time is still
 * ahead (so a run that just happened, or one missed while the panel was down, is not repeated).
 */
export function nextSlotAfterRun(s: Schedule, now: Date, offsetSec: number): Date {
  return nextSlot(s, new Date(now.getTime() - offsetSec * 1000));
}
