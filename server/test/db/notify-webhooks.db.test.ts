/**
 * Webhook notifications against a real HTTP receiver on loopback: an endpoint registered through tRPC gets a
 * failed operation's event (raised by operations.ts), signed so that the receiver's check verifies; a 500 is
 * retried after the backoff delay (an injected clock), a success ends the retries, the delivery log records the
 * attempts; a delivery that keeps failing is given up after the schedule; stored deliveries are sent by a new
 * worker (a panel restart); a round never overlaps itself; only http(s) URLs are taken.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PanelError } from "../../errors.js";
import { emit } from "../../services/notify/emit.js";
import { verifySignature } from "../../services/notify/sign.js";
import { DeliveryWorker } from "../../services/notify/worker.js";
import { startOperation } from "../../services/operations.js";
import { PROVIDERS } from "../helpers/db.js";
import { expectCode } from "../helpers/expect.js";
import { startReceiver } from "../helpers/notify.js";
import { as, type World, useWorld, waitForAllOperations } from "../helpers/world.js";

describe.each(PROVIDERS)("webhook notifications on %s", (provider) => {
  let w: World;
  useWorld(provider, (x) => ({ w } = x));
  let rx: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    rx = await startReceiver();
  });
  afterAll(() => rx?.close());

  /** A clock the test moves; starts at the real time so signatures' timestamps are current. */
  const clock = { t: Date.now() };
  const worker = (delaysMs = [1000, 2000]) =>
    new DeliveryWorker(w.db, { delaysMs, now: () => clock.t, timeoutMs: 5000 });

  async function failOperation(who: "customerA1", message: string) {
    const c = w.a.customers[0]!.container;
    await startOperation(
      w.db,
      w.actors[who],
      { type: "restart", tenantId: c.tenantId, containerId: c.id, message: "test" },
      async () => {
        throw new PanelError("CONFLICT", message);
      },
    );
    await waitForAllOperations();
    clock.t = Date.now();
  }

  it("refuses URLs that are not http(s)", async () => {
    const me = as(w, "customerA1");
    for (const url of ["ftp://127.0.0.1/x", "file:///etc/passwd", "javascript:alert(1)", "not a url"]) {
      const e = await expectCode(me.notifications.createWebhook({ url, events: ["backup.done"] }), "BAD_REQUEST");
      expect(e.message).toMatch(/http/);
    }
    expect(await w.db.webhookEndpoint.count()).toBe(0);
  });

  it("signs, retries after a 500, stops after success, and logs every attempt", async () => {
    const me = as(w, "customerA1");
    const ep = await me.notifications.createWebhook({ url: rx.url, events: ["operation.failed", "backup.done"] });
    rx.answer(500, 200);
    await failOperation("customerA1", "the disk is full, on purpose");
    const rows = await w.db.notifyDelivery.findMany({ where: { channel: "webhook" } });
    expect(rows.map((r) => [r.event, r.endpointId, r.status])).toEqual([["operation.failed", ep.id, "pending"]]);

    const wk = worker();
    expect(await wk.runOnce()).toBe(1);
    let d = await w.db.notifyDelivery.findUniqueOrThrow({ where: { id: rows[0]!.id } });
    expect(d).toMatchObject({ status: "pending", attempts: 1, lastStatus: 500 });
    expect(d.lastError).toMatch(/HTTP 500/);
    expect(d.nextAttemptAt.getTime()).toBe(clock.t + 1000);
    // not due yet: nothing is sent
    expect(await wk.runOnce()).toBe(0);
    expect(rx.got).toHaveLength(1);

    clock.t += 1000;
    expect(await wk.runOnce()).toBe(1);
    d = await w.db.notifyDelivery.findUniqueOrThrow({ where: { id: d.id } });
    expect(d).toMatchObject({ status: "delivered", attempts: 2, lastStatus: 200, lastError: null });
    clock.t += 60_000;
    expect(await wk.runOnce()).toBe(0);
    expect(rx.got).toHaveLength(2);

    for (const r of rx.got) {
      const ts = r.headers["x-ovz-timestamp"] as string;
      expect(verifySignature(ep.secret, r.headers["x-ovz-signature"] as string, ts, r.body, Number(ts))).toBe(true);
      expect(verifySignature("wrong-secret", r.headers["x-ovz-signature"] as string, ts, r.body, Number(ts))).toBe(
        false,
      );
      // the signature covers the body: one changed byte fails it
      expect(verifySignature(ep.secret, r.headers["x-ovz-signature"] as string, ts, r.body + " ", Number(ts))).toBe(
        false,
      );
      const body = JSON.parse(r.body) as { id: string; type: string; data: { error: string; ctid: number } };
      expect(body.type).toBe("operation.failed");
      expect(body.id).toBe(r.headers["x-ovz-event-id"]);
      expect(body.data.error).toContain("the disk is full, on purpose");
      expect(body.data.ctid).toBe(w.a.customers[0]!.container.ctid);
    }
    expect(rx.got.map((r) => r.headers["x-ovz-attempt"])).toEqual(["1", "2"]);
    expect(new Set(rx.got.map((r) => r.headers["x-ovz-event-id"])).size).toBe(1);

    // the delivery log through tRPC
    const log = await me.notifications.deliveries();
    expect(log[0]).toMatchObject({ event: "operation.failed", status: "delivered", attempts: 2, lastStatus: 200 });
    expect(log[0]!.endpoint?.url).toBe(rx.url);
  });

  it("gives up after the retry schedule (the last error stays in the log)", async () => {
    rx.got.length = 0;
    rx.answer(503);
    await failOperation("customerA1", "again");
    const wk = worker([10, 20]);
    for (let i = 0; i < 5; i++) {
      await wk.runOnce();
      clock.t += 1000;
    }
    const d = await w.db.notifyDelivery.findFirstOrThrow({
      where: { channel: "webhook" },
      orderBy: { createdAt: "desc" },
    });
    expect(d).toMatchObject({ status: "failed", attempts: 3, lastStatus: 503 });
    expect(rx.got).toHaveLength(3);
  });

  it("a new worker (after a restart) sends the stored due deliveries, also one a dead worker had claimed", async () => {
    rx.got.length = 0;
    rx.answer(200);
    const ev = {
      type: "backup.done" as const,
      tenantId: w.a.customers[0]!.tenant.id,
      summary: "x",
      data: { n: 1 },
    };
    expect(await emit(w.db, ev, new Date(clock.t))).toBe(1);
    expect(await emit(w.db, { ...ev, data: { n: 2 } }, new Date(clock.t))).toBe(1);
    // one was claimed by a worker that died: its claim ran out
    const [first] = await w.db.notifyDelivery.findMany({ where: { status: "pending" }, orderBy: { createdAt: "asc" } });
    await w.db.notifyDelivery.update({ where: { id: first!.id }, data: { lockedUntil: new Date(clock.t - 1) } });
    const fresh = worker();
    // two rounds at once are one round (never overlapping): each delivery is sent once
    const [a, b] = [fresh.runOnce(), fresh.runOnce()];
    expect(a).toBe(b);
    expect(await a).toBe(2);
    expect(rx.got.map((r) => (JSON.parse(r.body) as { data: { n: number } }).data.n).sort()).toEqual([1, 2]);
    expect(await w.db.notifyDelivery.count({ where: { status: "pending" } })).toBe(0);
  });

  it("a claimed delivery is not sent by another worker; preferences and the endpoint's events filter", async () => {
    rx.got.length = 0;
    const ev = { type: "backup.done" as const, tenantId: w.a.customers[0]!.tenant.id, summary: "x", data: {} };
    await emit(w.db, ev, new Date(clock.t));
    await w.db.notifyDelivery.updateMany({
      where: { status: "pending" },
      data: { lockedUntil: new Date(clock.t + 60_000) },
    });
    expect(await worker().runOnce()).toBe(0);
    await w.db.notifyDelivery.deleteMany({ where: { status: "pending" } });
    // the owner turned backup.done off for webhooks: nothing is stored
    const me = as(w, "customerA1");
    await me.notifications.setPrefs({ email: [], webhook: ["operation.failed"] });
    expect(await emit(w.db, ev)).toBe(0);
    // another customer's event does not reach this endpoint
    expect(await emit(w.db, { ...ev, type: "operation.failed", tenantId: w.a.customers[1]!.tenant.id })).toBe(0);
    expect(rx.got).toHaveLength(0);
  });
});
