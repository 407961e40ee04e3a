/**
 * Notification preferences: which events reach a user by email, and which by their webhooks (an endpoint also
 * lists the events it wants: it gets those that are in both).
 *
 * Choices are made at several levels, each a JSON map per channel, event → on/off, where an event not in the map
 * inherits from the next level:
 *   1. the user's own (User.notifyPrefs);
 *   2. the defaults its sellers set, closest first (Tenant.notifyDefaults, defaults.ts): the user's customer
 *      tenant's (set by its seller), then its reseller's, then the platform's;
 *   3. the event table (events.ts): email for the events marked so, webhooks for every event.
 * Whatever a level says, a user never gets an event its role may not receive (node events: administrators only).
 * This file is the pure part: the input schema, parsing a stored map, and the resolution.
 */
import { z } from "zod";
import { EVENT_NAMES, eventInfo, eventsFor, type EventName } from "./events.js";

export const CHANNELS = ["email", "webhook"] as const;
export type Channel = (typeof CHANNELS)[number];

/** The choices of one level: per channel, event → on (true) or off (false); an absent event inherits. */
export type Choices = Record<Channel, Partial<Record<EventName, boolean>>>;
/** Per channel, the events that are on. */
export type Resolved = Record<Channel, EventName[]>;

export const eventName = z.enum(EVENT_NAMES, { message: `an event is one of ${EVENT_NAMES.join(", ")}` });

/**
 * One channel's choices: a list (every event chosen: the listed ones on, the others off; the form of the
 * first version of the API) or a map event → on/off (only those chosen; the others inherit).
 */
const channelChoices = z.union([
  z.array(eventName).max(EVENT_NAMES.length * 2),
  z.record(eventName, z.boolean({ message: "each event is on (true) or off (false)" })),
]);
/** A level's choices as given to setPrefs/setDefaults (and as stored); a channel left out inherits every event. */
export const choicesSchema = z
  .object({ email: channelChoices.optional(), webhook: channelChoices.optional() })
  .strict();
export type ChoicesInput = z.infer<typeof choicesSchema>;

/** The events that sellers' defaults may speak of: every event a customer or a reseller can receive. */
export const DEFAULTABLE: EventName[] = eventsFor("customer").map((e) => e.name);

export const NO_CHOICES: Choices = { email: {}, webhook: {} };

/** Normalizes an input: a list becomes a map over `events` (listed on, the others off). */
export function toChoices(input: ChoicesInput, events: readonly EventName[] = EVENT_NAMES): Choices {
  const one = (c: ChoicesInput[Channel]): Choices[Channel] => {
    if (!c) return {};
    if (!Array.isArray(c)) return { ...c };
    return Object.fromEntries(events.map((e) => [e, c.includes(e)]));
  };
  return { email: one(input.email), webhook: one(input.webhook) };
}

/** A stored level (a value that does not parse counts as no choices: everything inherits). */
export function parseChoices(json: string): Choices {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return NO_CHOICES;
  }
  const r = choicesSchema.safeParse(raw);
  return r.success ? toChoices(r.data) : NO_CHOICES;
}

const tableDefault = (ch: Channel, ev: EventName) => (ch === "email" ? eventInfo(ev).email : true);

/** The first level that chose (channel, event), and what it chose; null: none did (the table's default holds). */
function firstChoice(levels: readonly Choices[], ch: Channel, ev: EventName) {
  for (const l of levels) {
    const v = l[ch][ev];
    if (v !== undefined) return v;
  }
  return null;
}

/** Whether a user of `role` with these levels (its own first, then its sellers' defaults) gets `ev` on `ch`. */
export function wants(levels: readonly Choices[], role: string, ch: Channel, ev: EventName): boolean {
  if (!eventsFor(role).some((e) => e.name === ev)) return false;
  return firstChoice(levels, ch, ev) ?? tableDefault(ch, ev);
}

/** One level's form: what applies, what it chose, and what it would inherit (and whether from a seller). */
export interface ChoicesView extends Resolved {
  /** the events this level speaks of */
  events: EventName[];
  choices: Choices;
  inherited: Resolved;
  /** of the inherited values, those a seller's defaults decide (the others are the event table's) */
  fromSeller: Resolved;
}

/** The form of a level with choices `own` below the levels `above` (closest first), over `events`. */
export function choicesView(own: Choices, above: readonly Choices[], events: readonly EventName[]): ChoicesView {
  const out: ChoicesView = {
    events: [...events],
    email: [],
    webhook: [],
    choices: own,
    inherited: { email: [], webhook: [] },
    fromSeller: { email: [], webhook: [] },
  };
  for (const ch of CHANNELS)
    for (const ev of events) {
      const up = firstChoice(above, ch, ev);
      const inherited = up ?? tableDefault(ch, ev);
      if (up !== null) out.fromSeller[ch].push(ev);
      if (inherited) out.inherited[ch].push(ev);
      if (own[ch][ev] ?? inherited) out[ch].push(ev);
    }
  return out;
}

/** The events the form of a user of `role` shows. */
export const eventsOfRole = (role: string): EventName[] => eventsFor(role).map((e) => e.name);
