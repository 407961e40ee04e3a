export const ROLES = ["admin", "reseller", "customer"] as const;
export type Role = (typeof ROLES)[number];
export const TENANT_KINDS = ["platform", "reseller", "customer"] as const;
export type TenantKind = (typeof TENANT_KINDS)[number];

/** The role a user of a tenant kind has. */
export const ROLE_OF_KIND: Record<TenantKind, Role> = { platform: "admin", reseller: "reseller", customer: "customer" };

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
}

/** The user row behind an actor, for foreign keys (none for the command line). */
export function actorUserId(actor: Actor | null | undefined): string | null {
  return actor && actor.via !== "cli" && actor.userId ? actor.userId : null;
}

/** A disabled tenant blocks its users, and a disabled reseller blocks its customers too. */
export function tenantBlocked(t: { disabled: boolean; parent?: { disabled: boolean } | null }): boolean {
  return t.disabled || !!t.parent?.disabled;
}
