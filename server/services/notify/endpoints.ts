/**
 * Webhook endpoints: a user registers a URL for its own tenant's events, and a seller (admin, reseller) also for
 * a tenant it manages. Only http and https URLs are taken; the secret (for the signature) is made here and shown
 * once. Users see and delete their own endpoints; admins and resellers also those on tenants they manage.
 */
import { z } from "zod";
import { randomToken } from "../../auth/crypto.js";
import type { Actor } from "../../auth/roles.js";
import type { Db } from "../../db/client.js";
import { PanelError } from "../../errors.js";
import { audit, type AuditCtx } from "../audit.js";
import { canSeeTenant, ownedBy } from "../scope.js";
import { eventName } from "./prefs.js";

type Ctx = AuditCtx & { db: Db; actor: Actor; scope: string[] | null };

export const endpointInput = z
  .object({
    url: z.string().trim().min(1, "enter the URL").max(2000, "a URL is at most 2000 characters"),
    events: z.array(eventName).min(1, "choose at least one event").max(50),
    /** a tenant the caller manages; default: the caller's own */
    tenantId: z.string().min(1).max(64).optional(),
  })
  .strict();

/** Throws BAD_REQUEST (field url) for a URL that is not http(s). */
export function checkUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new PanelError("BAD_REQUEST", "The URL is not valid; write it in full, e.g. https://example.com/hook.", {
      url: "invalid",
    });
  }
  if (u.protocol !== "http:" && u.protocol !== "https:")
    throw new PanelError("BAD_REQUEST", "Webhooks go to http:// or https:// URLs only.", { url: "http(s) only" });
  return u.toString();
}

const view = (e: { id: string; url: string; events: string; tenantId: string; userId: string; createdAt: Date }) => ({
  id: e.id,
  url: e.url,
  events: JSON.parse(e.events) as string[],
  tenantId: e.tenantId,
  userId: e.userId,
  createdAt: e.createdAt,
});

/** The caller's endpoints, and for sellers those on the tenants they manage. */
export async function listEndpoints(ctx: Ctx) {
  const mine = { userId: ctx.actor.userId };
  const rows = await ctx.db.webhookEndpoint.findMany({
    where: ctx.actor.role === "customer" ? mine : { OR: [mine, ownedBy(ctx.actor)] },
    orderBy: { createdAt: "asc" },
    take: 500,
  });
  return rows.map(view);
}

export async function createEndpoint(ctx: Ctx, input: z.infer<typeof endpointInput>) {
  const url = checkUrl(input.url);
  const tenantId = input.tenantId ?? ctx.actor.tenantId;
  const foreign = ctx.actor.role === "customer" || !canSeeTenant(ctx.scope, tenantId);
  if (tenantId !== ctx.actor.tenantId && (foreign || !(await ctx.db.tenant.findUnique({ where: { id: tenantId } }))))
    throw new PanelError("NOT_FOUND", "No such tenant (or it is not one of yours).", { tenantId: "not found" });
  const count = await ctx.db.webhookEndpoint.count({ where: { userId: ctx.actor.userId } });
  if (count >= 20) throw new PanelError("CONFLICT", "You have 20 webhook endpoints already; delete one first.");
  const secret = randomToken(24);
  const e = await ctx.db.webhookEndpoint.create({
    data: { userId: ctx.actor.userId, tenantId, url, secret, events: JSON.stringify([...new Set(input.events)]) },
  });
  await audit(ctx, { action: "webhook.create", target: url, tenantId, details: { events: input.events } });
  return { ...view(e), secret };
}

export async function deleteEndpoint(ctx: Ctx, id: string) {
  const e = await ctx.db.webhookEndpoint.findUnique({ where: { id } });
  const mine =
    e && (e.userId === ctx.actor.userId || (ctx.actor.role !== "customer" && canSeeTenant(ctx.scope, e.tenantId)));
  if (!e || !mine) throw new PanelError("NOT_FOUND", "No such webhook endpoint (or it is not yours).");
  await ctx.db.webhookEndpoint.delete({ where: { id } });
  await audit(ctx, { action: "webhook.delete", target: e.url, tenantId: e.tenantId });
  return { ok: true as const };
}
