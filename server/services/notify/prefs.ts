/**
 * A user's notification preferences: which events reach them by email, and which by their webhooks (an
 * endpoint also lists the events it wants: it gets those that are in both). Stored as JSON on the user
 * (User.notifyPrefs); "{}" means the defaults of the event table: email for the events marked so, webhooks for
 * every event.
 */
import { z } from "zod";
import type { Db } from "../../db/client.js";
import { EVENT_NAMES, EVENTS, type EventName } from "./events.js";

export const eventName = z.enum(EVENT_NAMES, { message: `an event is one of ${EVENT_NAMES.join(", ")}` });

export const prefsSchema = z
  .object({
    email: z.array(eventName).max(EVENT_NAMES.length * 2),
    webhook: z.array(eventName).max(EVENT_NAMES.length * 2),
  })
  .strict();
export type Prefs = z.infer<typeof prefsSchema>;

export const DEFAULT_PREFS: Prefs = {
  email: EVENTS.filter((e) => e.email).map((e) => e.name),
  webhook: EVENTS.map((e) => e.name),
};

/** The stored preferences (the defaults for a channel never set, or for a value that does not parse). */
export function parsePrefs(json: string): Prefs {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return DEFAULT_PREFS;
  }
  const r = prefsSchema.partial().safeParse(raw);
  if (!r.success) return DEFAULT_PREFS;
  return { email: r.data.email ?? DEFAULT_PREFS.email, webhook: r.data.webhook ?? DEFAULT_PREFS.webhook };
}

export async function getPrefs(db: Db, userId: string): Promise<Prefs> {
  const u = await db.user.findUniqueOrThrow({ where: { id: userId }, select: { notifyPrefs: true } });
  return parsePrefs(u.notifyPrefs);
}

export async function setPrefs(db: Db, userId: string, p: Prefs): Promise<Prefs> {
  const clean: Prefs = { email: [...new Set(p.email)], webhook: [...new Set(p.webhook)] };
  await db.user.update({ where: { id: userId }, data: { notifyPrefs: JSON.stringify(clean) } });
  return clean;
}

export const wants = (p: Prefs, channel: "email" | "webhook", event: EventName) => p[channel].includes(event);
