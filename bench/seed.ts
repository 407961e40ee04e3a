/**
 * The benches' fake panel data: a node, the platform tenant with one plan, and customer tenants with one user and
 * `n` running busybox container rows each (createMany in parts of 200; the engine never holds them).
 */
import type { Db } from "../server/db/client.js";
import { defaultLimits } from "../native/src/settings.js";

export interface SeededTenant {
  tenant: { id: string };
  user: { id: string; email: string };
  /** the tenant's containers' CTIDs, in order */
  ctids: number[];
}

/** Seeds `tenants` (name → number of containers); CTIDs count up from 101 across them. */
export async function seedTenants(
  db: Db,
  endpoint: string,
  tenants: readonly (readonly [string, number])[],
): Promise<Record<string, SeededTenant>> {
  const node = await db.node.create({ data: { name: "local", endpoint } });
  const platform = await db.tenant.create({ data: { name: "Platform", kind: "platform" } });
  const plan = await db.plan.create({
    data: {
      tenantId: platform.id,
      name: "p",
      limits: JSON.stringify(defaultLimits()),
      templates: JSON.stringify(["busybox"]),
    },
  });
  let ctid = 101;
  const out: Record<string, SeededTenant> = {};
  for (const [name, n] of tenants) {
    const tenant = await db.tenant.create({ data: { name, kind: "customer", parentId: platform.id } });
    const user = await db.user.create({
      data: { email: `${name}@bench.test`, name, role: "customer", tenantId: tenant.id, passwordHash: "x" },
    });
    const rows = Array.from({ length: n }, () => {
      const c = ctid++;
      return {
        ctid: c,
        nodeId: node.id,
        tenantId: tenant.id,
        planId: plan.id,
        hostname: `ct${c}.bench.test`,
        template: "busybox",
        state: "running",
      };
    });
    for (let i = 0; i < rows.length; i += 200) await db.container.createMany({ data: rows.slice(i, i + 200) });
    out[name] = { tenant, user, ctids: rows.map((r) => r.ctid) };
  }
  return out;
}
