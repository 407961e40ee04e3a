/**
 * Backup policy schedules (server/services/backup-schedule/schedule.ts): parsing, the next and previous
 * slot in UTC with fixed dates (day, month, year and leap-day boundaries; weekdays), the jitter offsets.
 */
import { describe, expect, it } from "vitest";
import {
  dueAt,
  formatSchedule,
  jitterOffsetSec,
  nextSlot,
  nextSlotAfterRun,
  parseSchedule,
  prevSlot,
  type Schedule,
} from "../../services/backup-schedule/schedule.js";

const d = (iso: string) => new Date(iso);
const sched = (text: string): Schedule => {
  const s = parseSchedule(text);
  if (!s) throw new Error(`not a schedule: ${text}`);
  return s;
};

describe("parseSchedule", () => {
  it.each([
    ["daily 03:00", { every: "daily", hour: 3, minute: 0 }],
    ["daily 23:59", { every: "daily", hour: 23, minute: 59 }],
    ["  daily 00:00 ", { every: "daily", hour: 0, minute: 0 }],
    ["weekly sun 04:30", { every: "weekly", weekday: "sun", hour: 4, minute: 30 }],
    ["WEEKLY Mon 00:00", { every: "weekly", weekday: "mon", hour: 0, minute: 0 }],
    ["weekly   sat   12:15", { every: "weekly", weekday: "sat", hour: 12, minute: 15 }],
  ])("accepts %j", (text, want) => {
    expect(parseSchedule(text)).toEqual(want);
  });

  it.each([
    "",
    "daily",
    "daily 24:00",
    "daily 3:00",
    "daily 03:60",
    "daily 03:00:00",
    "daily mon 03:00",
    "weekly 03:00",
    "weekly xyz 03:00",
    "weekly sunday 03:00",
    "hourly 03:00",
    "0 3 * * *",
  ])("refuses %j", (text) => {
    expect(parseSchedule(text)).toBeNull();
  });

  it("formats the canonical text back", () => {
    expect(formatSchedule(sched("DAILY 07:05"))).toBe("daily 07:05");
    expect(formatSchedule(sched("weekly FRI 22:00"))).toBe("weekly fri 22:00");
  });
});

describe("nextSlot / prevSlot (UTC)", () => {
  it.each([
    ["daily 03:00", "2026-12-07T02:59:59.999Z", "2026-12-07T03:00:00.000Z"],
    ["daily 03:00", "2026-12-07T03:00:00.000Z", "2026-12-08T03:00:00.000Z"],
    ["daily 03:00", "2026-12-07T03:00:00.001Z", "2026-12-08T03:00:00.000Z"],
    ["daily 03:00", "2026-12-07T23:00:00.000Z", "2026-12-08T03:00:00.000Z"],
    ["daily 00:00", "2026-12-07T00:00:00.000Z", "2026-12-08T00:00:00.000Z"],
    ["daily 23:59", "2026-12-07T23:58:00.000Z", "2026-12-07T23:59:00.000Z"],
    ["daily 03:00", "2026-01-31T04:00:00.000Z", "2026-02-01T03:00:00.000Z"],
    ["daily 03:00", "2026-12-31T05:00:00.000Z", "2027-01-01T03:00:00.000Z"],
    ["daily 03:00", "2028-02-28T04:00:00.000Z", "2028-02-29T03:00:00.000Z"],
    ["daily 03:00", "2027-02-28T04:00:00.000Z", "2027-03-01T03:00:00.000Z"],
    // 2026-12-07 is a Monday
    ["weekly sun 04:30", "2026-12-07T12:00:00.000Z", "2026-12-13T04:30:00.000Z"],
    ["weekly sun 04:30", "2026-12-13T04:29:00.000Z", "2026-12-13T04:30:00.000Z"],
    ["weekly sun 04:30", "2026-12-13T04:30:00.000Z", "2026-12-20T04:30:00.000Z"],
    ["weekly mon 00:00", "2026-12-06T23:59:00.000Z", "2026-12-07T00:00:00.000Z"],
    ["weekly mon 00:00", "2026-12-07T00:00:00.000Z", "2026-12-14T00:00:00.000Z"],
    ["weekly mon 03:00", "2026-12-07T02:00:00.000Z", "2026-12-07T03:00:00.000Z"],
    ["weekly sat 23:00", "2026-12-12T23:30:00.000Z", "2026-12-19T23:00:00.000Z"],
    ["weekly wed 10:00", "2026-12-30T09:00:00.000Z", "2026-12-30T10:00:00.000Z"],
    ["weekly fri 10:00", "2026-12-30T09:00:00.000Z", "2027-01-01T10:00:00.000Z"],
  ])("%s after %s is %s", (text, after, want) => {
    const s = sched(text);
    expect(nextSlot(s, d(after)).toISOString()).toBe(want);
    // the slot before the next one is at or before `after`, and it is a slot itself
    const prev = prevSlot(s, d(after));
    expect(prev.getTime()).toBeLessThanOrEqual(d(after).getTime());
    expect(nextSlot(s, prev).toISOString()).toBe(want);
  });

  it("prevSlot of an exact slot is that slot", () => {
    expect(prevSlot(sched("daily 03:00"), d("2026-12-07T03:00:00Z")).toISOString()).toBe("2026-12-07T03:00:00.000Z");
    expect(prevSlot(sched("daily 03:00"), d("2026-12-07T02:59:00Z")).toISOString()).toBe("2026-12-06T03:00:00.000Z");
    expect(prevSlot(sched("weekly sun 04:30"), d("2026-12-09T00:00:00Z")).toISOString()).toBe(
      "2026-12-06T04:30:00.000Z",
    );
  });

  it("every day of a year has exactly one daily slot, 24 h apart", () => {
    const s = sched("daily 05:45");
    let t = d("2027-12-31T23:00:00Z");
    const seen = new Set<string>();
    for (let i = 0; i < 366; i++) {
      const n = nextSlot(s, t);
      expect(n.getTime() - t.getTime()).toBeLessThanOrEqual(86_400_000);
      expect(n.getUTCHours() * 60 + n.getUTCMinutes()).toBe(5 * 60 + 45);
      seen.add(n.toISOString().slice(0, 10));
      t = n;
    }
    expect(seen.size).toBe(366); // 2028 is a leap year
  });
});

describe("jitter", () => {
  it("is deterministic and within the window", () => {
    for (const id of ["a", "ckx1", "cm0000000000000000000001", "z".repeat(40)]) {
      const o = jitterOffsetSec(id, 1800);
      expect(o).toBe(jitterOffsetSec(id, 1800));
      expect(o).toBeGreaterThanOrEqual(0);
      expect(o).toBeLessThan(1800);
      expect(Number.isInteger(o)).toBe(true);
    }
    expect(jitterOffsetSec("anything", 0)).toBe(0);
  });

  it("spreads 500 containers over the window (no tenth of it holds more than twice its share)", () => {
    const buckets = new Array<number>(10).fill(0);
    const offsets = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const o = jitterOffsetSec(`cmcontainer${i}`, 3600);
      offsets.add(o);
      buckets[Math.floor(o / 360)]!++;
    }
    expect(offsets.size).toBeGreaterThan(400);
    for (const b of buckets) {
      expect(b).toBeGreaterThan(20);
      expect(b).toBeLessThan(100);
    }
  });

  it("the next slot after a run skips the slot whose jittered time has passed, not before", () => {
    const s = sched("daily 03:00");
    // offset 10 min: the 03:00 run of 2026-12-07 is due at 03:10
    expect(dueAt(d("2026-12-07T03:00:00Z"), 600).toISOString()).toBe("2026-12-07T03:10:00.000Z");
    expect(nextSlotAfterRun(s, d("2026-12-07T03:05:00Z"), 600).toISOString()).toBe("2026-12-07T03:00:00.000Z");
    expect(nextSlotAfterRun(s, d("2026-12-07T03:10:00Z"), 600).toISOString()).toBe("2026-12-08T03:00:00.000Z");
    // after days of downtime: the next slot is the coming one, not the missed ones
    expect(nextSlotAfterRun(s, d("2026-12-11T12:00:00Z"), 600).toISOString()).toBe("2026-12-12T03:00:00.000Z");
  });
});
