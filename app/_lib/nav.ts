import type { Role } from "./trpc.js";

export interface NavItem {
  href: string;
  label: string;
}

export const NAV: Record<Role, NavItem[]> = {
  customer: [
    { href: "/containers", label: "My containers" },
    { href: "/backups", label: "Backups" },
    { href: "/notifications", label: "Notifications" },
    { href: "/account", label: "Account" },
  ],
  reseller: [
    { href: "/containers", label: "Containers" },
    { href: "/containers/new", label: "New container" },
    { href: "/customers", label: "Customers" },
    { href: "/backups", label: "Backups" },
    { href: "/plans", label: "Plans" },
    { href: "/traffic", label: "Traffic" },
    { href: "/usage", label: "Usage" },
    { href: "/operations", label: "Operations" },
    { href: "/audit", label: "Audit log" },
    { href: "/notifications", label: "Notifications" },
    { href: "/account", label: "Account" },
  ],
  admin: [
    { href: "/containers", label: "Containers" },
    { href: "/containers/new", label: "New container" },
    { href: "/tenants", label: "Tenants" },
    { href: "/backups", label: "Backups" },
    { href: "/users", label: "Users" },
    { href: "/plans", label: "Plans" },
    { href: "/allocations", label: "Allocations" },
    { href: "/templates", label: "Templates" },
    { href: "/nodes", label: "Nodes" },
    { href: "/pools", label: "IP pools" },
    { href: "/traffic", label: "Traffic" },
    { href: "/usage", label: "Usage" },
    { href: "/operations", label: "Operations" },
    { href: "/audit", label: "Audit log" },
    { href: "/notifications", label: "Notifications" },
    { href: "/account", label: "Account" },
  ],
};

/** A user's entries: its role's, and "New container" for a customer with a self-service plan. */
export function navFor(me: { role: Role; selfService?: boolean }): NavItem[] {
  const items = NAV[me.role];
  if (me.role !== "customer" || !me.selfService) return items;
  return [items[0]!, { href: "/containers/new", label: "New container" }, ...items.slice(1)];
}

/** The nav entry a path belongs to (longest matching prefix). */
export function activeHref(items: NavItem[], path: string): string | null {
  let best: string | null = null;
  for (const i of items) {
    if (path === i.href || path.startsWith(`${i.href}/`)) {
      if (!best || i.href.length > best.length) best = i.href;
    }
  }
  return best;
}
