/**
 * The notification events, declared once as data: their names, what they mean, who may receive them and
 * whether email is on by default. Everything else (the preferences form, the webhook endpoint form, the
 * docs' table, validation) follows from this table. Browser-safe: no imports.
 *
 * Audience:
 *   user    the one user it is about (password.reset, login.new_address)
 *   tenant  the users of the container's tenant
 *   seller  the tenant's users and the users of the tenants above it (its reseller, the platform)
 *   platform the platform's users (the administrators): events about nodes; not offered to others
 */
export const EVENTS = [
  {
    name: "operation.failed",
    description: "An operation on a container (start, stop, create, reinstall, migrate, …) failed.",
    audience: "seller",
    email: true,
  },
  { name: "backup.done", description: "A backup of a container finished.", audience: "tenant", email: false },
  { name: "backup.failed", description: "A backup of a container failed.", audience: "seller", email: true },
  {
    name: "container.suspended",
    description: "A container was suspended by its provider (it is stopped or frozen).",
    audience: "seller",
    email: true,
  },
  {
    name: "container.unsuspended",
    description: "A container's suspension was lifted.",
    audience: "seller",
    email: true,
  },
  {
    name: "container.throttled",
    description: "A container went over its monthly traffic quota and its network was slowed down.",
    audience: "seller",
    email: true,
  },
  {
    name: "container.oom",
    description: "The kernel killed processes in a container because it ran out of memory at its RAM limit.",
    audience: "tenant",
    email: true,
  },
  {
    name: "container.limit_hit",
    description: "A container hit its process limit: new processes were refused.",
    audience: "tenant",
    email: true,
  },
  {
    name: "node.unreachable",
    description: "The panel cannot reach a node's engine (its containers' state and usage are unknown).",
    audience: "platform",
    email: true,
  },
  {
    name: "node.recovered",
    description: "A node the panel could not reach answers again.",
    audience: "platform",
    email: true,
  },
  { name: "password.reset", description: "Your panel password was reset by email.", audience: "user", email: true },
  {
    name: "login.new_address",
    description: "Somebody logged in to your panel account from an address not seen before.",
    audience: "user",
    email: true,
  },
] as const satisfies readonly {
  name: string;
  description: string;
  audience: "user" | "tenant" | "seller" | "platform";
  email: boolean;
}[];

export type EventName = (typeof EVENTS)[number]["name"];
export const EVENT_NAMES = EVENTS.map((e) => e.name) as [EventName, ...EventName[]];

export function eventInfo(name: EventName) {
  const e = EVENTS.find((x) => x.name === name);
  if (!e) throw new Error(`unknown notification event ${name}`);
  return e;
}

/** The events a user of `role` can be told about (node events are the administrators'). */
export function eventsFor(role: string) {
  return EVENTS.filter((e) => e.audience !== "platform" || role === "admin");
}
