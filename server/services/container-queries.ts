/**
 * What the panel shows of containers: the listing for its tables (containers.list: what the caller's
 * tenants own, in one flat query per table, each with a fixed number of parameters whatever the number of
 * containers) and one container's page (containers.get).
 */
import type { Actor } from "../auth/roles.js";
import type { Db, Prisma } from "../db/client.js";
import { engineFor } from "../engine/index.js";
import { syncState, type FullContainer } from "./container-state.js";
import { effectiveLimits, parseJson, planTemplates } from "./limits.js";
import { contains, pageOf, type TableArgs, type TablePage } from "./tables.js";
import { canSeeTenant, ownedBy, type Who } from "./scope.js";

export interface ListInput {
  /** one tenant the caller can see; another yields an empty list */
  tenantId?: string;
  take?: number;
  skip?: number;
}

/** `scope`: the caller's visible tenant ids, null for all (admins). Ordered by ctid. */
export async function listContainers(db: Db, who: Who & { scope: string[] | null }, input?: ListInput) {
  const where =
    input?.tenantId !== undefined
      ? canSeeTenant(who.scope, input.tenantId)
        ? { tenantId: input.tenantId }
        : { tenantId: "__none__" }
      : ownedBy(who);
  // Flat query + in-memory join, dates as ISO strings: for a 1,000-container tenant this is several
  // times cheaper than nested relation selects and superjson Date handling (see bench/api.bench.ts).
  const rows = await db.container.findMany({
    where,
    orderBy: { ctid: "asc" },
    take: input?.take ?? 500,
    skip: input?.skip ?? 0,
    select: {
      id: true,
      ctid: true,
      name: true,
      hostname: true,
      template: true,
      state: true,
      createdAt: true,
      tenantId: true,
      planId: true,
      nodeId: true,
    },
  });
  if (!rows.length) return [];
  // The page's tenants, plans, nodes and addresses through relation filters on the same `where` and the page's
  // ctid range (never a list of ids: SQLite allows a query 999 parameters here, a big tenant has more
  // containers); a container of that range outside the page (a ctid shared across nodes) is dropped below.
  const inPage = { ...where, ctid: { gte: rows[0]!.ctid, lte: rows[rows.length - 1]!.ctid } };
  const byId = <T extends { id: string }>(xs: T[]) => new Map(xs.map((x) => [x.id, x]));
  const named = { select: { id: true, name: true } } as const;
  const [tenants, plans, nodes, addrs] = await Promise.all([
    db.tenant.findMany({ where: { containers: { some: inPage } }, ...named }).then(byId),
    db.plan.findMany({ where: { containers: { some: inPage } }, ...named }).then(byId),
    db.node.findMany({ where: { containers: { some: inPage } }, ...named }).then(byId),
    db.ipAddress.findMany({
      where: { container: inPage },
      select: { containerId: true, address: true },
      orderBy: { createdAt: "asc" },
    }),
  ]);
  const ipsOf = new Map<string, string[]>();
  for (const a of addrs) ipsOf.set(a.containerId!, [...(ipsOf.get(a.containerId!) ?? []), a.address]);
  return rows.map(({ tenantId, planId, nodeId, createdAt, ...r }) => ({
    ...r,
    ips: ipsOf.get(r.id) ?? [],
    createdAt: createdAt.toISOString(),
    tenant: tenants.get(tenantId)!,
    plan: plans.get(planId)!,
    node: nodes.get(nodeId)!,
  }));
}

export const CONTAINER_SORTS = ["ctid", "hostname", "state", "node", "createdAt"] as const;
export type ContainerSort = (typeof CONTAINER_SORTS)[number];
const CT_MAX = 2_147_483_647;

/**
 * One page of the containers table (containers.table): scoped to the actor's tenants by a relation filter,
 * optionally one visible tenant, searched by ctid, hostname, name or IP address, sorted by a whitelisted column
 * (ties broken by ctid, then id, so pages never overlap), with the total for the pager.
 */
export async function containerTable(
  db: Db,
  actor: Actor,
  input: TableArgs<ContainerSort> & { tenantId?: string },
): Promise<TablePage<ContainerRow>> {
  const q = input.q.trim();
  const text = contains(db, q);
  const search = q
    ? {
        OR: [
          { hostname: text },
          { name: text },
          { addresses: { some: { address: contains(db, q.toLowerCase()) } } },
          ...(/^\d{1,10}$/.test(q) && Number(q) <= CT_MAX ? [{ ctid: Number(q) }] : []),
        ],
      }
    : {};
  const where = {
    AND: [ownedBy(actor), input.tenantId ? { tenantId: input.tenantId } : {}, search],
  };
  const d = input.dir;
  const first: Prisma.ContainerOrderByWithRelationInput =
    input.sort === "node" ? { node: { name: d } } : { [input.sort]: d };
  const orderBy: Prisma.ContainerOrderByWithRelationInput[] = [
    first,
    ...(input.sort === "ctid" ? [] : [{ ctid: "asc" as const }]),
    { id: d },
  ];
  const [rows, total] = await Promise.all([
    db.container.findMany({
      where,
      orderBy,
      ...pageOf(input),
      select: {
        id: true,
        ctid: true,
        name: true,
        hostname: true,
        template: true,
        state: true,
        createdAt: true,
        suspendedAt: true,
        tenant: { select: { id: true, name: true } },
        plan: { select: { id: true, name: true } },
        node: { select: { id: true, name: true } },
        addresses: { select: { address: true }, orderBy: { createdAt: "asc" } },
      },
    }),
    db.container.count({ where }),
  ]);
  return {
    rows: rows.map(({ addresses, createdAt, suspendedAt, ...r }) => ({
      ...r,
      ips: addresses.map((a) => a.address),
      createdAt: createdAt.toISOString(),
      suspended: suspendedAt !== null,
    })),
    total,
    page: input.page,
    pageSize: input.pageSize,
  };
}

export interface ContainerRow {
  id: string;
  ctid: number;
  name: string | null;
  hostname: string;
  template: string;
  state: string;
  createdAt: string;
  suspended: boolean;
  ips: string[];
  tenant: { id: string; name: string };
  plan: { id: string; name: string };
  node: { id: string; name: string };
}

/** A notice is shown this long after a container was suspended for its host's reboot and resumed. */
const REBOOT_NOTICE_MS = 7 * 24 * 3600 * 1000;

/**
 * Whether the container was suspended (CRIU checkpoint) at its host's last shutdown and resumed at the boot,
 * and for how long: customers are told (OpenVZ's suspend-on-shutdown). Best effort: null when the node does
 * not answer.
 */
async function hostReboot(c: FullContainer): Promise<{ resumedAt: string; suspendedSec: number } | null> {
  try {
    const power = await engineFor(c.node.endpoint).call("host.power", {});
    const o = power.lastBoot?.outcomes.find((x) => x.ctid === c.ctid && x.action === "resumed");
    if (!o || !power.lastBoot || Date.now() - Date.parse(power.lastBoot.at) > REBOOT_NOTICE_MS) return null;
    return { resumedAt: power.lastBoot.at, suspendedSec: o.suspendedSec ?? 0 };
  } catch {
    return null; // the page shows the container without the notice
  }
}

/** One container as its page shows it, with the node's current state (stored on the way). */
export async function containerDetail(db: Db, c: FullContainer) {
  const [state, reboot] = await Promise.all([syncState(db, c, { onlyIfChanged: true }), hostReboot(c)]);
  return {
    id: c.id,
    ctid: c.ctid,
    name: c.name,
    description: c.description,
    onboot: c.onboot,
    hostname: c.hostname,
    template: c.template,
    state,
    createdAt: c.createdAt,
    netMode: c.netMode,
    throttled: c.throttled,
    tenant: { id: c.tenant.id, name: c.tenant.name },
    node: { id: c.node.id, name: c.node.name },
    plan: {
      id: c.plan.id,
      name: c.plan.name,
      templates: planTemplates(c.plan),
      /** self-service (customer-quota.ts): customers create, clone and destroy their own; 0 = they do not */
      customerMaxContainers: c.plan.customerMaxContainers,
    },
    limits: effectiveLimits(c.plan, c.overrides),
    overrides: parseJson<Record<string, unknown>>(c.overrides, {}),
    hostReboot: reboot,
    /** suspended by the seller (billing API): the reason is shown to the owner; null = not suspended */
    suspension: c.suspendedAt
      ? {
          since: c.suspendedAt,
          reason: c.suspendReason,
          /** its whole customer is suspended: only the customer's unsuspend lifts it (suspension.ts) */
          customer: c.tenant.suspendedAt ? { name: c.tenant.name, reason: c.tenant.suspendReason } : null,
        }
      : null,
    externalId: c.externalId,
  };
}
