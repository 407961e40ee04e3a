/**
 * Retention (server/services/backup-schedule/retention.ts): Proxmox's prune-backups semantics for
 * keep-daily/weekly/monthly in UTC, worked out by hand on fixed dates (see docs/backup-policies.md).
 */
import { describe, expect, it } from "vitest";
import { isoWeekKey, maxKept, selectRetained, type Dated } from "../../services/backup-schedule/retention.js";

const item = (iso: string): Dated => ({ id: iso, at: new Date(iso) });
/** One backup a day at `time` from `from` for `days` days. */
function daily(from: string, days: number, time = "03:00:00Z"): Dated[] {
  const start = Date.parse(`${from}T${time}`);
  return Array.from({ length: days }, (_, i) => item(new Date(start + i * 86_400_000).toISOString()));
}
const days = (xs: Dated[]) => xs.map((x) => x.id.slice(0, 10));
const keep = (items: Dated[], d: number, w: number, m: number) =>
  days(selectRetained(items, { keepDaily: d, keepWeekly: w, keepMonthly: m }).keep);

describe("isoWeekKey", () => {
  it.each([
    ["2026-01-01", "2026-W01"], // a Thursday: week 1
    ["2026-03-29", "2026-W13"], // Sunday ends the week
    ["2026-03-30", "2026-W14"], // Monday starts it
    ["2026-12-31", "2026-W53"], // 2026 has 53 weeks
    ["2027-01-01", "2026-W53"],
    ["2027-01-03", "2026-W53"],
    ["2027-01-04", "2027-W01"],
    ["2021-01-01", "2020-W53"],
    ["2024-12-30", "2025-W01"],
    ["2028-02-29", "2028-W09"],
  ])("%s is in %s", (day, want) => {
    expect(isoWeekKey(new Date(`${day}T12:00:00Z`))).toBe(want);
  });
});

describe("selectRetained", () => {
  it("keep-daily 7 of 40 daily backups keeps the newest 7 days", () => {
    const items = daily("2026-11-01", 40);
    const r = selectRetained(items, { keepDaily: 7, keepWeekly: 0, keepMonthly: 0 });
    expect(days(r.keep)).toEqual([
      "2026-12-10",
      "2026-12-09",
      "2026-12-08",
      "2026-12-07",
      "2026-12-06",
      "2026-12-05",
      "2026-12-04",
    ]);
    expect(r.remove).toHaveLength(33);
    expect(new Set([...r.keep, ...r.remove].map((x) => x.id)).size).toBe(40);
  });

  it("daily 3, weekly 2, monthly 2 over Jan–Mar 2026: a period held by an earlier rule does not use a count", () => {
    // 03-29 (a Sunday) is kept by the daily rule, so weeks W14 and W13 are taken; weekly keeps W12 and W11's
    // newest (03-22, 03-15); monthly finds March taken and keeps February's and January's newest.
    expect(keep(daily("2026-01-01", 90), 3, 2, 2)).toEqual([
      "2026-03-31",
      "2026-03-30",
      "2026-03-29",
      "2026-03-22",
      "2026-03-15",
      "2026-02-28",
      "2026-01-31",
    ]);
  });

  it("daily 7, weekly 4, monthly 6 (the issue's example) over 200 days", () => {
    // 2026-01-01 … 2026-07-19. Daily: 07-13 … 07-19 (W29 Mon–Sun). Weekly: W28 … W25 (07-12, 07-05, 06-28,
    // 06-21). Monthly: July is held; June is held (06-28 weekly) — skipped; then May, Apr, Mar, Feb, Jan.
    expect(keep(daily("2026-01-01", 200), 7, 4, 6)).toEqual([
      "2026-07-19",
      "2026-07-18",
      "2026-07-17",
      "2026-07-16",
      "2026-07-15",
      "2026-07-14",
      "2026-07-13",
      "2026-07-12",
      "2026-07-05",
      "2026-06-28",
      "2026-06-21",
      "2026-05-31",
      "2026-04-30",
      "2026-03-31",
      "2026-02-28",
      "2026-01-31",
    ]);
  });

  it("several backups a day: keep-daily keeps the newest of each day", () => {
    const items = ["2026-12-07T01:00:00Z", "2026-12-07T23:00:00Z", "2026-12-07T12:00:00Z", "2026-12-06T05:00:00Z"];
    const r = selectRetained(items.map(item), { keepDaily: 1, keepWeekly: 0, keepMonthly: 0 });
    expect(r.keep.map((x) => x.id)).toEqual(["2026-12-07T23:00:00Z"]);
    expect(r.remove.map((x) => x.id)).toEqual(["2026-12-07T12:00:00Z", "2026-12-07T01:00:00Z", "2026-12-06T05:00:00Z"]);
  });

  it("days are UTC days: 23:30 and 00:30 UTC are two days and two months", () => {
    const items = [item("2026-02-28T23:30:00Z"), item("2026-03-01T00:30:00Z")];
    expect(selectRetained(items, { keepDaily: 1, keepWeekly: 0, keepMonthly: 0 }).keep.map((x) => x.id)).toEqual([
      "2026-03-01T00:30:00Z",
    ]);
    expect(selectRetained(items, { keepDaily: 2, keepWeekly: 0, keepMonthly: 0 }).keep).toHaveLength(2);
    expect(selectRetained(items, { keepDaily: 0, keepWeekly: 0, keepMonthly: 2 }).keep).toHaveLength(2);
    // both in ISO week 2026-W09 (Mon 02-23 … Sun 03-01): one weekly keep
    expect(selectRetained(items, { keepDaily: 0, keepWeekly: 2, keepMonthly: 0 }).keep.map((x) => x.id)).toEqual([
      "2026-03-01T00:30:00Z",
    ]);
  });

  it("gaps: periods without backups are not counted", () => {
    const items = ["2026-12-10", "2026-12-01", "2026-11-15", "2026-09-01", "2026-08-31"].map((x) =>
      item(`${x}T03:00Z`),
    );
    expect(keep(items, 0, 0, 3)).toEqual(["2026-12-10", "2026-11-15", "2026-09-01"]);
    expect(keep(items, 2, 0, 3)).toEqual(["2026-12-10", "2026-12-01", "2026-11-15", "2026-09-01", "2026-08-31"]);
    // weekly: W50 (12-10), W49 (12-01), W46 (11-15)
    expect(keep(items, 0, 3, 0)).toEqual(["2026-12-10", "2026-12-01", "2026-11-15"]);
  });

  it("weekly across the year's end uses ISO weeks (2026-W53 spans into 2027)", () => {
    const items = ["2027-01-04", "2027-01-02", "2026-12-31", "2026-12-28", "2026-12-27"].map((x) =>
      item(`${x}T03:00Z`),
    );
    // 2027-01-04 is 2027-W01; 01-02, 12-31 and 12-28 are 2026-W53; 12-27 is 2026-W52
    expect(keep(items, 0, 3, 0)).toEqual(["2027-01-04", "2027-01-02", "2026-12-27"]);
    // monthly: January 2027 (01-04), December 2026 (12-31)
    expect(keep(items, 0, 0, 5)).toEqual(["2027-01-04", "2026-12-31"]);
  });

  it("a monthly item marked 'remove' by the weekly rule is not kept by monthly", () => {
    // All three are in W49 (Mon 11-30 … Sun 12-06). Weekly 1 keeps 12-05 and marks 12-04 and 11-30 "remove";
    // monthly 2 finds December held and November's only backup already marked: it keeps nothing more.
    const items = ["2026-12-05", "2026-12-04", "2026-11-30"].map((x) => item(`${x}T03:00Z`));
    const r = selectRetained(items, { keepDaily: 0, keepWeekly: 1, keepMonthly: 2 });
    expect(days(r.keep)).toEqual(["2026-12-05"]);
    expect(days(r.remove)).toEqual(["2026-12-04", "2026-11-30"]);
    // without the weekly rule, monthly keeps November's
    expect(keep(items, 0, 0, 2)).toEqual(["2026-12-05", "2026-11-30"]);
  });

  it("unsorted input, ties in time, nothing kept for an empty list", () => {
    const items = [item("2026-01-01T03:00:00Z"), item("2026-01-03T03:00:00Z"), item("2026-01-02T03:00:00Z")];
    expect(keep(items, 2, 0, 0)).toEqual(["2026-01-03", "2026-01-02"]);
    const tie = [
      { id: "a", at: new Date("2026-01-01T03:00:00Z") },
      { id: "b", at: new Date("2026-01-01T03:00:00Z") },
    ];
    expect(selectRetained(tie, { keepDaily: 1, keepWeekly: 0, keepMonthly: 0 }).keep.map((x) => x.id)).toEqual(["b"]);
    expect(selectRetained([], { keepDaily: 3, keepWeekly: 3, keepMonthly: 3 })).toEqual({ keep: [], remove: [] });
  });

  it("never keeps more than the sum of the counts, whatever the history", () => {
    for (const [dd, ww, mm] of [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
      [3, 2, 1],
      [7, 4, 6],
      [30, 0, 12],
    ] as const) {
      const r = { keepDaily: dd, keepWeekly: ww, keepMonthly: mm };
      for (const n of [1, 5, 60, 400]) {
        const got = selectRetained(daily("2025-06-15", n, "22:10:00Z"), r);
        expect(got.keep.length).toBeLessThanOrEqual(maxKept(r));
        expect(got.keep.length + got.remove.length).toBe(n);
        expect(got.keep[0]!.id).toBe(daily("2025-06-15", n, "22:10:00Z")[n - 1]!.id); // the newest always stays
      }
    }
  });
});
