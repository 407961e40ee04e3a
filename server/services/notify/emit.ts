/**
 * Raising an event: one stored delivery per email recipient and per webhook endpoint that wants it, sent later
 * by the delivery worker (worker.ts). Who gets it follows the event table's audience (events.ts), the users'
 * preferences over their sellers' defaults (prefs.ts; read for all recipients at once, levels.ts) and each
 * endpoint's own event list. Email is queued only when SMTP is set up. A failure
 * here is logged and never fails the caller (a failed operation stays failed, a login still works).
 */
import crypto from "node:crypto";
import type { Db, Prisma } from "../../db/client.js";
import { eventInfo, type EventName } from "./events.js";
import { defaultsByTenant, tenantChains } from "./levels.js";
import { parseChoices, wants, type Channel } from "./prefs.js";
import { smtpStored } from "./smtp.js";

export interface PanelEvent {
  type: EventName;
  /** the tenant it concerns (the container's owner; the user's tenant; for platform events: none, "") */
  tenantId: string;
  /** for user events: the user it is about */
  userId?: string;
  /** one line for people: the email's subject */
  summary: string;
  /** more lines for the email's body */
  details?: string[];
  /** the webhook body's data */
  data: Record<string, unknown>;
}

const g = globalThis as unknown as { __ovzNotifyKick?: () => void };
/** The worker of this process registers here, to send new deliveries without waiting for its next round. */
export function onNewDeliveries(kick: (() => void) | undefined): void {
  g.__ovzNotifyKick = kick;
}

/** Stores the deliveries of one event; returns how many. */
export async function emit(db: Db, ev: PanelEvent, now = new Date()): Promise<number> {
  const info = eventInfo(ev.type);
  const eventId = `evt_${crypto.randomBytes(12).toString("hex")}`;
  const tenants =
    info.audience === "seller"
      ? ((await tenantChains(db, [ev.tenantId])).get(ev.tenantId) ?? []).map((t) => t.id)
      : info.audience === "platform"
        ? (await db.tenant.findMany({ where: { kind: "platform" }, select: { id: true } })).map((t) => t.id)
        : [ev.tenantId];
  const users = await db.user.findMany({
    where: info.audience === "user" ? { id: ev.userId ?? "-" } : { tenantId: { in: tenants } },
    select: { id: true, email: true, notifyPrefs: true, disabled: true, role: true, tenantId: true },
  });
  const endpoints = await db.webhookEndpoint.findMany({
    where:
      info.audience === "user"
        ? { userId: ev.userId ?? "-", tenantId: ev.tenantId }
        : { tenantId: { in: tenants }, user: { disabled: false } },
    include: { user: { select: { notifyPrefs: true, role: true, tenantId: true } } },
  });
  // the sellers' defaults of every recipient, in a query per tenant level
  const defaults = await defaultsByTenant(
    db,
    [...users, ...endpoints.map((e) => e.user)].map((u) => u.tenantId),
  );
  const wanted = (u: { notifyPrefs: string; role: string; tenantId: string }, ch: Channel) =>
    wants([parseChoices(u.notifyPrefs), ...(defaults.get(u.tenantId) ?? [])], u.role, ch, ev.type);
  const rows: Prisma.NotifyDeliveryCreateManyInput[] = [];
  if (await smtpStored(db)) {
    const text = [ev.summary, "", ...(ev.details ?? []), "", `Event ${ev.type} (${eventId}) at ${now.toISOString()}.`];
    text.push("Change which notifications you get on the panel's Notifications page.");
    for (const u of users)
      if (!u.disabled && wanted(u, "email"))
        rows.push({
          eventId,
          event: ev.type,
          channel: "email",
          userId: u.id,
          to: u.email,
          subject: ev.summary.slice(0, 200),
          payload: text.join("\n"),
          nextAttemptAt: now,
        });
  }
  const body = JSON.stringify({
    id: eventId,
    type: ev.type,
    createdAt: now.toISOString(),
    tenantId: ev.tenantId,
    summary: ev.summary,
    data: ev.data,
  });
  for (const e of endpoints) {
    const listed = (JSON.parse(e.events) as string[]).includes(ev.type);
    if (listed && wanted(e.user, "webhook"))
      rows.push({
        eventId,
        event: ev.type,
        channel: "webhook",
        endpointId: e.id,
        userId: e.userId,
        payload: body,
        nextAttemptAt: now,
      });
  }
  if (!rows.length) return 0;
  await db.notifyDelivery.createMany({ data: rows });
  g.__ovzNotifyKick?.();
  return rows.length;
}

/** emit() for hooks in other services: never throws, logs instead. */
export function emitSafely(db: Db, ev: PanelEvent): Promise<void> {
  return emit(db, ev).then(
    () => undefined,
    (e: unknown) => console.error(`[panel] notification ${ev.type} could not be stored`, e),
  );
}

/** A "test" event to the caller's own webhook endpoints and, when SMTP is set up, to their email. */
export async function emitTest(db: Db, user: { id: string; email: string }, now = new Date()): Promise<number> {
  const eventId = `evt_${crypto.randomBytes(12).toString("hex")}`;
  const summary = "Test notification from the panel";
  const rows: Prisma.NotifyDeliveryCreateManyInput[] = [];
  if (await smtpStored(db))
    rows.push({
      eventId,
      event: "test",
      channel: "email",
      userId: user.id,
      to: user.email,
      subject: summary,
      payload: `${summary}: email notifications work.\n\nEvent test (${eventId}) at ${now.toISOString()}.`,
      nextAttemptAt: now,
    });
  for (const e of await db.webhookEndpoint.findMany({ where: { userId: user.id } })) {
    const body = { id: eventId, type: "test", createdAt: now.toISOString(), tenantId: e.tenantId, summary, data: {} };
    rows.push({
      eventId,
      event: "test",
      channel: "webhook",
      endpointId: e.id,
      userId: user.id,
      payload: JSON.stringify(body),
      nextAttemptAt: now,
    });
  }
  if (rows.length) await db.notifyDelivery.createMany({ data: rows });
  g.__ovzNotifyKick?.();
  return rows.length;
}
