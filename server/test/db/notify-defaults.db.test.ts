/**
 * Notification defaults that admins and resellers set for their customers (docs/notifications.md, Preferences):
 * the platform's default reaches resellers and customers but not the admins; a reseller's overrides it for its own
 * customers only; a seller's default for one customer tenant overrides both; the user's own choice overrides all.
 * Customers may not set defaults, nor a reseller another reseller's customers'; node events are never a default
 * and never reach a non-admin, whatever its choices say. Stored deliveries (emit) follow the same resolution,
 * read for all recipients in a bounded number of queries.
 */
import { describe, expect, it, vi } from "vitest";
import { emit, type PanelEvent } from "../../services/notify/emit.js";
import { setSmtp } from "../../services/notify/smtp.js";
import { PROVIDERS } from "../helpers/db.js";
import { expectCode } from "../helpers/expect.js";
import { as, type World, useWorld } from "../helpers/world.js";

const SMTP = {
  host: "127.0.0.1",
  port: 9,
  tls: "none" as const,
  user: "",
  from: "panel@test.example",
  panelUrl: "http://127.0.0.1:9",
};

describe.each(PROVIDERS)("notification defaults on %s", (provider) => {
  let w: World;
  useWorld(provider, (x) => ({ w } = x));

  const ev = (type: PanelEvent["type"], tenantId: string): PanelEvent => ({
    type,
    tenantId,
    summary: `${type} for a test`,
    data: {},
  });
  /** Emits and returns who got it, as "<email> <channel>" (the stored deliveries of that event). */
  async function recipients(e: PanelEvent): Promise<string[]> {
    const before = new Set((await w.db.notifyDelivery.findMany({ select: { id: true } })).map((d) => d.id));
    await emit(w.db, e);
    const rows = await w.db.notifyDelivery.findMany({ where: { event: e.type }, orderBy: { createdAt: "asc" } });
    const users = new Map((await w.db.user.findMany()).map((u) => [u.id, u.email]));
    return rows
      .filter((d) => !before.has(d.id))
      .map((d) => `${users.get(d.userId ?? "")} ${d.channel}`)
      .sort();
  }

  it("resolves the user's choice > the customer's default > the reseller's > the platform's > the table", async () => {
    const a2 = w.a.customers[1];
    // nothing set: the event table (backup.done is off by email)
    expect((await as(w, "customerA1").notifications.prefs()).email).not.toContain("backup.done");

    // the platform's default reaches resellers and customers, not the admins themselves
    const p = await as(w, "admin").notifications.setDefaults({ email: { "backup.done": true } });
    expect(p).toMatchObject({ tenantId: w.platform.id, choices: { email: { "backup.done": true }, webhook: {} } });
    for (const who of ["customerA1", "customerB1", "resellerB", "direct"] as const) {
      const v = await as(w, who).notifications.prefs();
      expect(v.email, who).toContain("backup.done");
      expect(v.fromSeller.email, who).toContain("backup.done");
      expect(v.choices.email["backup.done"], who).toBeUndefined();
    }
    expect((await as(w, "admin").notifications.prefs()).email).not.toContain("backup.done");

    // reseller A's default overrides it for its customers only
    const r = await as(w, "resellerA").notifications.setDefaults({ email: { "backup.done": false } });
    expect(r.tenantId).toBe(w.a.tenant.id);
    expect(r.inherited.email).toContain("backup.done"); // what the platform says, shown to the reseller
    expect(r.email).not.toContain("backup.done");
    expect((await as(w, "customerA1").notifications.prefs()).email).not.toContain("backup.done");
    expect((await as(w, "customerB1").notifications.prefs()).email).toContain("backup.done");
    expect((await as(w, "resellerA").notifications.prefs()).email).toContain("backup.done"); // not its own users

    // a default for one customer tenant overrides the reseller's, for that customer only
    await as(w, "resellerA").notifications.setDefaults({ tenantId: a2!.tenant.id, email: { "backup.done": true } });
    expect((await as(w, "customerA2").notifications.prefs()).email).toContain("backup.done");
    expect((await as(w, "customerA1").notifications.prefs()).email).not.toContain("backup.done");
    const seen = await as(w, "admin").notifications.getDefaults({ tenantId: a2!.tenant.id });
    expect(seen).toMatchObject({ kind: "customer", choices: { email: { "backup.done": true } } });
    expect(seen.inherited.email).not.toContain("backup.done"); // reseller A's default

    // the user's own choice overrides every default
    const mine = await as(w, "customerA1").notifications.setPrefs({ email: { "backup.done": true } });
    expect(mine.email).toContain("backup.done");
    expect(mine.choices.email).toEqual({ "backup.done": true });
    expect(mine.inherited.email).not.toContain("backup.done");
    // and an event it left out still follows the defaults
    await as(w, "resellerA").notifications.setDefaults({ email: { "backup.done": false, "container.oom": false } });
    expect((await as(w, "customerA1").notifications.prefs()).email).not.toContain("container.oom");
    // a list (the first form of the API) chooses every event
    const listed = await as(w, "customerA1").notifications.setPrefs({ email: ["container.oom"], webhook: [] });
    expect(listed.email).toEqual(["container.oom"]);
    expect(listed.choices.email["backup.done"]).toBe(false);

    // audited like other settings
    const log = await w.db.auditLog.findMany({ where: { action: "tenant.notifyDefaults" }, orderBy: { id: "asc" } });
    expect(log.map((l) => [l.actor, l.tenantId])).toEqual([
      ["admin@test.example", w.platform.id],
      ["reseller-a@test.example", w.a.tenant.id],
      ["reseller-a@test.example", a2!.tenant.id],
      ["reseller-a@test.example", w.a.tenant.id],
    ]);
    expect(JSON.parse(log[0]!.details)).toEqual({ email: { "backup.done": true }, webhook: {} });
  });

  it("refuses customers, and a reseller on a tenant that is not its own or its customer's", async () => {
    const before = (await w.db.tenant.findMany({ orderBy: { id: "asc" } })).map((t) => t.notifyDefaults);
    for (const who of ["customerA1", "direct"] as const) {
      const e = await expectCode(as(w, who).notifications.setDefaults({ email: { "backup.done": true } }), "FORBIDDEN");
      expect(e.message).toMatch(/Only administrators and resellers set notification defaults/);
      await expectCode(as(w, who).notifications.getDefaults(), "FORBIDDEN");
    }
    for (const tenantId of [w.b.customers[0]!.tenant.id, w.b.tenant.id, w.platform.id, w.direct.id]) {
      const e = await expectCode(
        as(w, "resellerA").notifications.setDefaults({ tenantId, email: { "backup.done": true } }),
        "NOT_FOUND",
      );
      expect(e.message).toMatch(/not one of yours/);
      await expectCode(as(w, "resellerA").notifications.getDefaults({ tenantId }), "NOT_FOUND");
    }
    expect((await w.db.tenant.findMany({ orderBy: { id: "asc" } })).map((t) => t.notifyDefaults)).toEqual(before);
  });

  it("never makes node events a default, nor sends them to a non-admin", async () => {
    const e = await expectCode(
      as(w, "admin").notifications.setDefaults({ email: { "node.unreachable": true } }),
      "BAD_REQUEST",
    );
    expect(e.message).toBe(
      "node.unreachable cannot be a default: node events reach administrators only, who choose them themselves. Leave it out.",
    );
    // a list speaks of the events that may be defaults only
    const listed = await as(w, "admin").notifications.setDefaults({ email: ["backup.failed"] });
    expect(Object.keys(listed.choices.email)).not.toContain("node.recovered");
    expect(listed.email).not.toContain("node.unreachable");

    // a customer-role user in the platform's tenant, choosing node events for itself, still never gets them
    const u = await w.db.user.create({
      data: {
        email: "platform-customer@test.example",
        name: "pc",
        role: "customer",
        tenantId: w.platform.id,
        passwordHash: "x",
        notifyPrefs: JSON.stringify({ email: { "node.unreachable": true }, webhook: { "node.unreachable": true } }),
      },
    });
    await w.db.webhookEndpoint.create({
      data: {
        userId: u.id,
        tenantId: w.platform.id,
        url: "http://127.0.0.1:9/pc",
        secret: "s",
        events: '["node.unreachable"]',
      },
    });
    await setSmtp(w.db, SMTP);
    try {
      expect(await recipients(ev("node.unreachable", ""))).toEqual(["admin@test.example email"]);
    } finally {
      await w.db.webhookEndpoint.deleteMany({ where: { userId: u.id } });
      await w.db.user.delete({ where: { id: u.id } });
    }
  });

  it("stores deliveries by the resolved choices, in a bounded number of queries", async () => {
    const [a1, a2] = w.a.customers;
    await setSmtp(w.db, SMTP);
    // platform: off; reseller A: on for its customers; customer A2's user: off; nothing for A1's tenant
    await as(w, "admin").notifications.setDefaults({ email: { "operation.failed": false } });
    await as(w, "resellerA").notifications.setDefaults({ email: { "operation.failed": true } });
    await as(w, "resellerA").notifications.setDefaults({ tenantId: a2!.tenant.id, email: {} });
    await as(w, "customerA1").notifications.setPrefs({});
    await as(w, "customerA2").notifications.setPrefs({ email: { "operation.failed": false } });

    // operation.failed goes to the tenant and its sellers: each gets what its own levels say
    expect(await recipients(ev("operation.failed", a1!.tenant.id))).toEqual([
      "admin@test.example email", // admins follow the table (on)
      "customer-a1@test.example email", // reseller A's default
    ]);
    expect(await recipients(ev("operation.failed", a2!.tenant.id))).toEqual(["admin@test.example email"]);
    expect(await recipients(ev("operation.failed", w.b.customers[0]!.tenant.id))).toEqual([
      "admin@test.example email", // the platform's default (off) for reseller B and its customer
    ]);

    // webhooks too: reseller A turns backup.done's webhooks off for its customers; a user's own choice wins
    await w.db.webhookEndpoint.create({
      data: {
        userId: a1!.user.id,
        tenantId: a1!.tenant.id,
        url: "http://127.0.0.1:9/a1",
        secret: "s",
        events: '["backup.done"]',
      },
    });
    await as(w, "resellerA").notifications.setDefaults({ webhook: { "backup.done": false } });
    expect(await recipients(ev("backup.done", a1!.tenant.id))).toEqual([]);
    await as(w, "customerA1").notifications.setPrefs({ webhook: { "backup.done": true } });
    expect(await recipients(ev("backup.done", a1!.tenant.id))).toEqual(["customer-a1@test.example webhook"]);

    // the defaults of every recipient are read together: the tenant queries do not grow with the recipients
    const spy = vi.spyOn(w.db.tenant, "findMany");
    try {
      await emit(w.db, ev("operation.failed", a1!.tenant.id));
      const few = spy.mock.calls.length;
      for (let i = 0; i < 5; i++)
        await w.db.user.create({
          data: {
            email: `many-${i}@test.example`,
            name: `m${i}`,
            role: "customer",
            tenantId: a1!.tenant.id,
            passwordHash: "x",
          },
        });
      spy.mockClear();
      await emit(w.db, ev("operation.failed", a1!.tenant.id));
      expect(spy.mock.calls.length).toBe(few);
      // the event's tenant chain (3 levels), then the recipients' (all in that chain: 1)
      expect(few).toBeGreaterThan(0);
      expect(few).toBeLessThanOrEqual(6);
    } finally {
      spy.mockRestore();
      await w.db.user.deleteMany({ where: { email: { startsWith: "many-" } } });
    }
  });
});
