/**
 * Reading and writing the levels of notification choices (prefs.ts): a user's own (User.notifyPrefs) and the
 * defaults sellers set for the users below them (Tenant.notifyDefaults).
 *
 * Whose defaults reach whom: a seller tenant's (the platform's, a reseller's) reach the users of the tenants
 * below it, not its own users; a customer tenant's (set by its seller) reach that customer's users. So a
 * customer's user inherits from its tenant, then its reseller, then the platform; a reseller's user from the
 * platform; an administrator from the event table only.
 *
 * Who sets them: an administrator any tenant's, a reseller its own (for its customers) and each of its customers';
 * a customer none.
 */
import type { Actor } from "../../auth/roles.js";
import type { Db } from "../../db/client.js";
import { PanelError } from "../../errors.js";
import { audit, type AuditCtx } from "../audit.js";
import { canSeeTenant } from "../scope.js";
import type { EventName } from "./events.js";
import {
  CHANNELS,
  choicesView,
  DEFAULTABLE,
  eventsOfRole,
  parseChoices,
  toChoices,
  type Choices,
  type ChoicesInput,
} from "./prefs.js";

type Ctx = AuditCtx & { db: Db; actor: Actor; scope: string[] | null };
interface TenantRow {
  id: string;
  name: string;
  kind: string;
  parentId: string | null;
  notifyDefaults: string;
}
const TENANT_ROW = { id: true, name: true, kind: true, parentId: true, notifyDefaults: true } as const;
/** Tenants nest at most platform → reseller → customer; a few more levels are read in case. */
const MAX_DEPTH = 6;

/**
 * Each tenant with the tenants above it, closest first (the tenant itself first). One query per level of the
 * tree, whatever the number of tenants asked for.
 */
export async function tenantChains(db: Db, ids: readonly string[]): Promise<Map<string, TenantRow[]>> {
  const rows = new Map<string, TenantRow>();
  let want = [...new Set(ids)];
  for (let depth = 0; want.length && depth < MAX_DEPTH; depth++) {
    const got = await db.tenant.findMany({ where: { id: { in: want } }, select: TENANT_ROW });
    for (const t of got) rows.set(t.id, t);
    want = [...new Set(got.flatMap((t) => (t.parentId && !rows.has(t.parentId) ? [t.parentId] : [])))];
  }
  const out = new Map<string, TenantRow[]>();
  for (const id of new Set(ids)) {
    const chain: TenantRow[] = [];
    for (let t = rows.get(id); t && chain.length < MAX_DEPTH; t = t.parentId ? rows.get(t.parentId) : undefined)
      chain.push(t);
    out.set(id, chain);
  }
  return out;
}

/** The defaults that reach the users of chain[0], closest first. */
const defaultsOver = (chain: readonly TenantRow[]): Choices[] =>
  chain.filter((t, i) => i > 0 || t.kind === "customer").map((t) => parseChoices(t.notifyDefaults));

/** For each tenant: the sellers' defaults that reach its users, closest first (a query per tenant level). */
export async function defaultsByTenant(db: Db, tenantIds: readonly string[]): Promise<Map<string, Choices[]>> {
  const chains = await tenantChains(db, tenantIds);
  return new Map([...chains].map(([id, chain]) => [id, defaultsOver(chain)]));
}

/** The caller's form: its own choices over its sellers' defaults, for the events its role can receive. */
export async function userPrefs(ctx: Ctx) {
  const u = await ctx.db.user.findUniqueOrThrow({ where: { id: ctx.actor.userId }, select: { notifyPrefs: true } });
  const above = (await defaultsByTenant(ctx.db, [ctx.actor.tenantId])).get(ctx.actor.tenantId) ?? [];
  return choicesView(parseChoices(u.notifyPrefs), above, eventsOfRole(ctx.actor.role));
}

/** Replaces the caller's own choices (an event left out follows its sellers' defaults). */
export async function setUserPrefs(ctx: Ctx, input: ChoicesInput) {
  const choices = toChoices(input);
  await ctx.db.user.update({ where: { id: ctx.actor.userId }, data: { notifyPrefs: JSON.stringify(choices) } });
  await audit(ctx, {
    action: "user.notifyPrefs",
    target: ctx.actor.label,
    tenantId: ctx.actor.tenantId,
    details: choices,
  });
  return userPrefs(ctx);
}

/** The tenant whose defaults the caller asks for (its own by default), after the permission checks. */
async function defaultsTenant(ctx: Ctx, tenantId: string | undefined): Promise<TenantRow> {
  if (ctx.actor.role === "customer")
    throw new PanelError(
      "FORBIDDEN",
      "Only administrators and resellers set notification defaults for their customers; choose your own notifications in the form “What to tell me”.",
    );
  const id = tenantId ?? ctx.actor.tenantId;
  const t = canSeeTenant(ctx.scope, id) ? await ctx.db.tenant.findUnique({ where: { id }, select: TENANT_ROW }) : null;
  if (!t) throw new PanelError("NOT_FOUND", "No such tenant (or it is not one of yours).", { tenantId: "not found" });
  return t;
}

async function viewOf(ctx: Ctx, t: TenantRow) {
  const chain = (await tenantChains(ctx.db, [t.id])).get(t.id) ?? [t];
  const above = chain.slice(1).map((x) => parseChoices(x.notifyDefaults));
  return {
    tenantId: t.id,
    tenantName: t.name,
    kind: t.kind,
    ...choicesView(parseChoices(t.notifyDefaults), above, DEFAULTABLE),
  };
}

/** The defaults a tenant sets (a seller: for its customers; a customer: for its users), with what they inherit. */
export async function tenantDefaults(ctx: Ctx, tenantId?: string) {
  return viewOf(ctx, await defaultsTenant(ctx, tenantId));
}

/** Refuses events that sellers' defaults cannot speak of (node events reach administrators only). */
function checkDefaultable(choices: Choices): void {
  for (const ch of CHANNELS)
    for (const ev of Object.keys(choices[ch]) as EventName[])
      if (!DEFAULTABLE.includes(ev))
        throw new PanelError(
          "BAD_REQUEST",
          `${ev} cannot be a default: node events reach administrators only, who choose them themselves. Leave it out.`,
          { [ch]: `${ev} is not allowed` },
        );
}

/** Replaces a tenant's defaults (an event left out inherits from the sellers above, then the event table). */
export async function setTenantDefaults(ctx: Ctx, input: ChoicesInput & { tenantId?: string }) {
  const { tenantId, ...given } = input;
  const t = await defaultsTenant(ctx, tenantId);
  const choices = toChoices(given, DEFAULTABLE);
  checkDefaultable(choices);
  const json = JSON.stringify(choices);
  await ctx.db.tenant.update({ where: { id: t.id }, data: { notifyDefaults: json } });
  await audit(ctx, { action: "tenant.notifyDefaults", target: t.name, tenantId: t.id, details: choices });
  return viewOf(ctx, { ...t, notifyDefaults: json });
}
