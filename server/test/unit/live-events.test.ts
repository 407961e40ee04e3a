/**
 * The event bus (server/services/events/) and the browser's side of it (app/_lib/live-events.ts): tenant
 * scoping of events, a failing listener does not stop the others, what an event makes stale, the backoff,
 * the polling safety net.
 */
import { describe, expect, it, vi } from "vitest";
import { backoffMs, parseEvent, pollEvery, SAFETY_NET_MS, staleBy } from "../../../app/_lib/live-events.js";
import { eventVisible, listenerCount, publish, subscribe, type PanelEvent } from "../../services/events/bus.js";
import { publishOperation } from "../../services/events/operation-events.js";

const op = { id: "op1", type: "start", tenantId: "custA1", containerId: "c1" };

describe("event bus", () => {
  it("scopes events like the tenant scope: admin all, a reseller its own and its customers', a customer its own", () => {
    const e: PanelEvent = { kind: "container", containerId: "c1", tenantId: "custA1" };
    expect(eventVisible(null, e)).toBe(true); // admin
    expect(eventVisible(["resellerA", "custA1", "custA2"], e)).toBe(true);
    expect(eventVisible(["custA1"], e)).toBe(true);
    expect(eventVisible(["custA2"], e)).toBe(false);
    expect(eventVisible(["resellerB", "custB1"], e)).toBe(false);
    expect(eventVisible([], e)).toBe(false);
  });

  it("hands each event to every listener, even when one throws; unsubscribe removes it", () => {
    const got: PanelEvent[] = [];
    const quiet = vi.spyOn(console, "error").mockImplementation(() => {});
    const before = listenerCount();
    const off1 = subscribe(() => {
      throw new Error("boom");
    });
    const off2 = subscribe((e) => got.push(e));
    try {
      publishOperation(op, "created");
      publishOperation(op, "log");
      publishOperation({ ...op, containerId: null }, "finished", "succeeded");
    } finally {
      off1();
      off2();
      quiet.mockRestore();
    }
    expect(listenerCount()).toBe(before);
    expect(got).toEqual([
      { kind: "operation", phase: "created", operationId: "op1", type: "start", tenantId: "custA1", containerId: "c1" },
      { kind: "container", containerId: "c1", tenantId: "custA1" },
      { kind: "operation", phase: "log", operationId: "op1", type: "start", tenantId: "custA1", containerId: "c1" },
      {
        kind: "operation",
        phase: "finished",
        status: "succeeded",
        operationId: "op1",
        type: "start",
        tenantId: "custA1",
        containerId: null,
      },
    ]);
    publish({ kind: "container", containerId: "c2", tenantId: "t" });
    expect(got).toHaveLength(4);
  });
});

describe("the browser's side", () => {
  it("parses event messages and ignores anything else", () => {
    const e = { kind: "operation", phase: "log", operationId: "o", type: "start", tenantId: "t", containerId: null };
    expect(parseEvent(JSON.stringify(e))).toEqual(e);
    expect(parseEvent("not json")).toBeNull();
    expect(parseEvent("null")).toBeNull();
    expect(parseEvent(JSON.stringify({ ...e, phase: "exploded" }))).toBeNull();
    expect(parseEvent(JSON.stringify({ kind: "container", containerId: 5, tenantId: "t" }))).toBeNull();
  });

  it("a log line refetches the live operation only; the end of a backup the backups too", () => {
    const base = { kind: "operation", operationId: "o", tenantId: "t", containerId: "c" } as const;
    expect(staleBy({ ...base, phase: "log", type: "start" })).toEqual([{ what: "operation", operationId: "o" }]);
    expect(staleBy({ ...base, phase: "finished", type: "start" })).toEqual([
      { what: "operation", operationId: "o" },
      { what: "operations" },
    ]);
    expect(staleBy({ ...base, phase: "finished", type: "backup" }).map((s) => s.what)).toContain("backups");
    expect(staleBy({ kind: "container", containerId: "c", tenantId: "t" })).toEqual([{ what: "containers" }]);
  });

  it("backs off from 1 s doubling to a minute, with jitter; polls slowly while live", () => {
    expect([0, 1, 2, 5, 6, 20].map((n) => backoffMs(n, () => 0))).toEqual([1000, 2000, 4000, 32_000, 60_000, 60_000]);
    expect(backoffMs(0, () => 1)).toBe(1200);
    expect(pollEvery(false, 700)).toBe(700);
    expect(pollEvery(true, 700)).toBe(SAFETY_NET_MS);
    expect(pollEvery(true, 60_000)).toBe(60_000);
  });
});
