export const ROLES = ["admin", "reseller", "customer"] as const;
export type Role = (typeof ROLES)[number];
export const TENANT_KINDS = ["platform", "reseller", "customer"] as const;
export type TenantKind = (typeof TENANT_KINDS)[number];

/** The role a user of a tenant kind has. */
export const ROLE_OF_KIND: Record<TenantKind, Role> = { platform: "admin", reseller: "reseller", customer: "customer" };

/**
 * The roles a user of a tenant kind may have: the kind's own role, or a customer's (less). Never a reseller's in
 * the platform tenant: a reseller sees its tenant's children, which there are every reseller and direct customer.
 */
export const ROLES_OF_KIND: Record<TenantKind, readonly Role[]> = {
  platform: ["admin", "customer"],
  reseller: ["reseller", "customer"],
  customer: ["customer"],
};

const RANK: Record<Role, number> = { customer: 0, reseller: 1, admin: 2 };
export function roleAtMost(role: Role, ceiling: Role): boolean {
  return RANK[role] <= RANK[ceiling];
}

/** Who is calling: a logged-in user or an API token, always inside one tenant. */
export interface Actor {
  userId: string;
  role: Role;
  tenantId: string;
  /** for the audit log: the user's email, or "token:<name> (<email>)" */
  label: string;
  /** cli: root on the node running vzctl/prlctl (userId is "", no user row) */
  via: "session" | "token" | "cli";
  sessionId?: string;
  tokenId?: string;
  /** "log in as": who opened this session as this user (server/services/impersonation.ts) */
  impersonator?: { userId: string; email: string; sessionId: string };
}

/** The user row behind an actor, for foreign keys (none for the command line). */
export function actorUserId(actor: Actor | null | undefined): string | null {
  return actor && actor.via !== "cli" && actor.userId ? actor.userId : null;
}

/** A disabled tenant blocks its users, and a disabled reseller blocks its customers too. */
export function tenantBlocked(t: { disabled: boolean; parent?: { disabled: boolean } | null }): boolean {
  return t.disabled || !!t.parent?.disabled;
}

interface TenantLike {
  name: string;
  kind: string;
  disabled: boolean;
  parent?: { name: string; kind: string; disabled: boolean } | null;
}

/**
 * Why a user may not log in, in words that say who to contact; null when nothing blocks them. The seller of a
 * reseller's customer is that reseller; everyone else's is the platform's administrator.
 */
export function blockedReason(u: { disabled: boolean; tenant: TenantLike }): string | null {
  const t = u.tenant;
  const seller = t.parent?.kind === "reseller" ? t.parent.name : null;
  const contact = seller ? `your provider ${seller}` : "the platform's administrator";
  if (t.parent?.disabled && t.parent.kind === "reseller")
    return `Your provider ${t.parent.name} is suspended by the platform, so your account ${t.name} cannot be used; contact ${t.parent.name}.`;
  if (t.disabled)
    return t.kind === "customer"
      ? `Your account ${t.name} is suspended by ${seller ?? "the platform's administrator"}; contact ${contact} to enable it again.`
      : `Your account ${t.name} is suspended by the platform's administrator; contact them to enable it again.`;
  if (u.disabled) return `Your user is disabled in ${t.name}; contact ${contact} to enable it again.`;
  return null;
}
