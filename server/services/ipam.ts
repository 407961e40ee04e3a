/**
 * IP address management: pools of addresses per node (venet: routed; veth: on an engine network) and
 * the addresses containers hold. A row of IpAddress exists only while an address is assigned; a new
 * address is the lowest free one of the first pool that has room (IPv4 and IPv6 as BigInt).
 *
 * Picking and inserting run under one lock per node (withIpLock), and the unique constraints
 * (pool, address) and (node, address) catch what the lock cannot see (another panel process): such a
 * clash is retried with a fresh pick, then reported as a CONFLICT.
 */
import net from "node:net";
import { z } from "zod";
import { canonicalIp, parseCidr } from "../../native/src/net/types.js";
import type { Db } from "../db/client.js";
import { PanelError } from "../errors.js";
import { withLock } from "./locks.js";
import { POOL_KINDS, type PoolKind } from "./net-modes.js";

export { isNetMode, NET_MODES, POOL_KINDS, type NetMode, type PoolKind } from "./net-modes.js";

/**
 * The pseudo-pool of a node's manual addresses: routed (venet) addresses an administrator gave a
 * container although they are in no pool (`vzctl set --ipadd`, as vzctl allows). IPAM records them so
 * nothing hands them out twice; it never allocates from this pool. One per node and family, made when
 * first needed; not a POOL_KIND (pools.create cannot make one).
 */
export const MANUAL_KIND = "manual";
const manualPoolName = (family: 4 | 6) => `manual-v${family}`;

// ---------------------------------------------------------------- address arithmetic (pure)

export function ipToBig(ip: string): bigint {
  if (net.isIPv4(ip)) return ip.split(".").reduce((a, p) => (a << 8n) | BigInt(Number(p)), 0n);
  const c = canonicalIp(ip);
  const [head, tail] = c.split("::");
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = c.includes("::") ? [...h, ...Array(8 - h.length - t.length).fill("0"), ...t] : h;
  return groups.reduce((a, g) => (a << 16n) | BigInt(parseInt(g, 16)), 0n);
}

export function bigToIp(n: bigint, family: 4 | 6): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join(".");
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((n >> BigInt(i * 16)) & 0xffffn).toString(16));
  return canonicalIp(groups.join(":"));
}

export function familyOf(ip: string): 4 | 6 {
  return net.isIPv4(ip) ? 4 : 6;
}

/** The subnet of `cidr`: its family, network address and first/last address as numbers. */
export function subnetOf(
  cidr: string,
): { family: 4 | 6; prefix: number; first: bigint; last: bigint; canonical: string } | null {
  const c = parseCidr(cidr.trim());
  if (!c) return null;
  const bits = c.version === 4 ? 32 : 128;
  const size = 1n << BigInt(bits - c.prefix);
  const first = (ipToBig(c.addr) / size) * size;
  return {
    family: c.version,
    prefix: c.prefix,
    first,
    last: first + size - 1n,
    canonical: `${bigToIp(first, c.version)}/${c.prefix}`,
  };
}

/** Number of addresses from start to end inclusive (a JS number: IPv6 ranges may be rounded). */
export function rangeSize(start: string, end: string): number {
  return Number(ipToBig(end) - ipToBig(start) + 1n);
}

// ---------------------------------------------------------------- pool validation

const ipText = z.string().trim().max(64);

export const poolInputSchema = z.object({
  name: z
    .string()
    .trim()
    .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, "use a-z, 0-9, . _ - (like public-v4)"),
  kind: z.enum(POOL_KINDS),
  network: z
    .string()
    .trim()
    .regex(/^[a-z][a-z0-9-]{0,30}$/, "an engine network name (lower-case letters, digits and -)")
    .optional(),
  cidr: z.string().trim().max(64),
  gateway: ipText.optional(),
  rangeStart: ipText,
  rangeEnd: ipText,
});
export type PoolInput = z.infer<typeof poolInputSchema>;

export interface PoolShape {
  family: 4 | 6;
  cidr: string;
  gateway: string | null;
  rangeStart: string;
  rangeEnd: string;
  network: string | null;
}

/** Checks a pool on its own (family, range inside the subnet, start ≤ end); field errors name the input. */
export function checkPool(input: PoolInput): PoolShape {
  const fields: Record<string, string> = {};
  const sub = subnetOf(input.cidr);
  if (!sub) fields.cidr = "a subnet like 198.18.1.0/24 or fd00:1::/64";
  const addr = (k: "rangeStart" | "rangeEnd" | "gateway"): string | null => {
    const v = input[k];
    if (v === undefined || v === "") return null;
    if (net.isIP(v) === 0) {
      fields[k] = "not an IPv4 or IPv6 address";
      return null;
    }
    const a = canonicalIp(v);
    if (sub && familyOf(a) !== sub.family) fields[k] = `the subnet is IPv${sub.family}`;
    else if (sub && (ipToBig(a) < sub.first || ipToBig(a) > sub.last))
      fields[k] = `outside the subnet ${sub.canonical}`;
    return a;
  };
  const rangeStart = addr("rangeStart");
  const rangeEnd = addr("rangeEnd");
  const gateway = addr("gateway");
  if (!input.rangeStart) fields.rangeStart = "required";
  if (!input.rangeEnd) fields.rangeEnd = "required";
  if (rangeStart && rangeEnd && !fields.rangeStart && !fields.rangeEnd && ipToBig(rangeStart) > ipToBig(rangeEnd))
    fields.rangeEnd = "the range ends before it starts";
  if (input.kind === "veth" && !input.network) fields.network = "veth pools need the engine network their NICs join";
  if (input.kind === "venet" && input.network) fields.network = "venet pools are routed: leave the network empty";
  if (Object.keys(fields).length) {
    const label: Record<string, string> = {
      cidr: "subnet",
      rangeStart: "first address",
      rangeEnd: "last address",
      gateway: "gateway",
      network: "network",
    };
    throw new PanelError(
      "BAD_REQUEST",
      `Invalid IP pool: ${Object.entries(fields)
        .map(([k, v]) => `${label[k] ?? k}: ${v}`)
        .join("; ")}.`,
      fields,
    );
  }
  return {
    family: sub!.family,
    cidr: sub!.canonical,
    gateway,
    rangeStart: rangeStart!,
    rangeEnd: rangeEnd!,
    network: input.kind === "veth" ? input.network! : null,
  };
}

/** Refuses a range that overlaps another pool's range on the same node (any kind). */
export async function assertNoOverlap(db: Db, nodeId: string, p: PoolShape): Promise<void> {
  // manual addresses may fall into a new range: IPAM skips them there (lowestFree)
  const others = await db.ipPool.findMany({ where: { nodeId, family: p.family, kind: { not: MANUAL_KIND } } });
  const a = ipToBig(p.rangeStart);
  const b = ipToBig(p.rangeEnd);
  const hit = others.find((o) => ipToBig(o.rangeStart) <= b && a <= ipToBig(o.rangeEnd));
  if (hit) {
    throw new PanelError(
      "CONFLICT",
      `The range ${p.rangeStart}–${p.rangeEnd} overlaps pool "${hit.name}" (${hit.rangeStart}–${hit.rangeEnd}) on this node; choose addresses outside it.`,
      {
        rangeStart: `overlaps pool ${hit.name}`,
      },
    );
  }
}

// ---------------------------------------------------------------- allocation

type Pool = {
  id: string;
  name: string;
  nodeId: string;
  kind: string;
  network: string | null;
  family: number;
  gateway: string | null;
  rangeStart: string;
  rangeEnd: string;
};
export interface Pick {
  poolId: string;
  nodeId: string;
  address: string;
}

function isUniqueViolation(e: unknown): boolean {
  return (e as { code?: string } | null)?.code === "P2002";
}

/**
 * Runs `fn` under the node's address lock; a unique-constraint clash (another process took an address
 * between pick and insert) runs it again with a fresh pick, at most three times.
 */
export async function withIpLock<T>(db: Db, nodeId: string, fn: () => Promise<T>): Promise<T> {
  return withLock(db, `ip:${nodeId}`, async () => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (!isUniqueViolation(e) || attempt >= 2) {
          if (isUniqueViolation(e))
            throw new PanelError("CONFLICT", "An address was just taken by another request; try again.");
          throw e;
        }
      }
    }
  });
}

/** The `n` lowest free addresses of a pool (skipping assigned ones, the node's manual ones and the gateway). */
async function lowestFree(db: Db, pool: Pool, n: number, skip: Set<string>): Promise<string[]> {
  if (n <= 0) return [];
  const fam = pool.family as 4 | 6;
  const taken = new Set(
    (
      await db.ipAddress.findMany({
        where: { OR: [{ poolId: pool.id }, { nodeId: pool.nodeId, pool: { kind: MANUAL_KIND, family: fam } }] },
        select: { address: true },
      })
    ).map((r) => r.address),
  );
  if (pool.gateway) taken.add(pool.gateway);
  for (const s of skip) taken.add(s);
  const out: string[] = [];
  const end = ipToBig(pool.rangeEnd);
  for (let x = ipToBig(pool.rangeStart); x <= end && out.length < n; x++) {
    const a = bigToIp(x, fam);
    if (!taken.has(a)) out.push(a);
  }
  return out;
}

async function freeCount(db: Db, pool: Pool): Promise<number> {
  const used = await db.ipAddress.count({ where: { poolId: pool.id } });
  const gw =
    pool.gateway && ipToBig(pool.gateway) >= ipToBig(pool.rangeStart) && ipToBig(pool.gateway) <= ipToBig(pool.rangeEnd)
      ? 1
      : 0;
  return Math.max(0, rangeSize(pool.rangeStart, pool.rangeEnd) - used - gw);
}

/**
 * Chooses `count` free addresses on a node from its pools of `kind` (no write: the caller inserts them
 * under withIpLock). veth addresses of one container share one engine network (its eth0): `network`
 * pins it (a container that already has addresses), otherwise the first network with room is used.
 * Throws a CONFLICT naming the node's pools and what to do when there is no pool or not enough room.
 */
export async function pickAddresses(
  db: Db,
  node: { id: string; name: string },
  kind: PoolKind,
  count: number,
  opts: { network?: string | null; family?: 4 | 6 } = {},
): Promise<Pick[]> {
  if (count <= 0) return [];
  const pools = (await db.ipPool.findMany({
    where: {
      nodeId: node.id,
      kind,
      ...(kind === "veth" && opts.network ? { network: opts.network } : {}),
      ...(opts.family ? { family: opts.family } : {}),
    },
    orderBy: [{ family: "asc" }, { createdAt: "asc" }, { name: "asc" }],
  })) as Pool[];
  const where =
    (kind === "veth" && opts.network ? ` on network ${opts.network}` : "") +
    (opts.family ? ` for IPv${opts.family}` : "");
  if (!pools.length) {
    throw new PanelError(
      "CONFLICT",
      `Node ${node.name} has no ${kind} IP pool${where}, so no address can be assigned. An administrator must add one on the IP pools page (or use a plan with 0 IP addresses).`,
    );
  }
  const groups =
    kind === "veth"
      ? [...new Set(pools.map((p) => p.network))].map((n) => pools.filter((p) => p.network === n))
      : [pools];
  for (const g of groups) {
    const picks: Pick[] = [];
    for (const pool of g) {
      for (const address of await lowestFree(db, pool, count - picks.length, new Set()))
        picks.push({ poolId: pool.id, nodeId: node.id, address });
      if (picks.length === count) return picks;
    }
  }
  const state = await Promise.all(
    pools.map(async (p) => `pool "${p.name}" (${p.rangeStart}–${p.rangeEnd}): ${await freeCount(db, p)} free`),
  );
  throw new PanelError(
    "CONFLICT",
    `Not enough free ${kind} addresses on node ${node.name}${where}: ${count} needed; ${state.join(", ")}. An administrator must widen a range or add a pool on the IP pools page, or free addresses of other containers.`,
  );
}

/**
 * A chosen address (an admin's `vzctl set --ipadd X`): the node's pool of `kind` whose range holds it
 * (on `network` for veth), or a clear error when it is in none or already taken. With `manual` (admins,
 * venet), an address in no pool is recorded as a manual address of the node instead. Run under withIpLock.
 */
export async function pickAddress(
  db: Db,
  node: { id: string; name: string },
  kind: PoolKind,
  address: string,
  opts: { network?: string | null; manual?: boolean } = {},
): Promise<Pick> {
  if (!net.isIP(address))
    throw new PanelError("BAD_REQUEST", `"${address}" is not an IPv4 or IPv6 address.`, { address: "invalid" });
  const a = canonicalIp(address);
  const fam = familyOf(a);
  const pools = (await db.ipPool.findMany({
    where: {
      nodeId: node.id,
      kind,
      family: fam,
      ...(kind === "veth" && opts.network ? { network: opts.network } : {}),
    },
  })) as Pool[];
  const x = ipToBig(a);
  const pool =
    pools.find((p) => ipToBig(p.rangeStart) <= x && x <= ipToBig(p.rangeEnd)) ??
    (opts.manual && kind === "venet" ? await manualPool(db, node.id, fam) : undefined);
  if (!pool) {
    throw new PanelError(
      "BAD_REQUEST",
      `${a} is in no ${kind} IP pool of node ${node.name}${kind === "veth" && opts.network ? ` on network ${opts.network}` : ""}; add a pool whose range holds it (IP pools page), or omit the address to take the next free one.`,
      { address: "in no pool" },
    );
  }
  if (pool.gateway === a)
    throw new PanelError("BAD_REQUEST", `${a} is the gateway of pool "${pool.name}"; choose another address.`, {
      address: "gateway",
    });
  const taken = await db.ipAddress.findFirst({
    where: { nodeId: node.id, address: a },
    include: { container: { select: { ctid: true } } },
  });
  if (taken)
    throw new PanelError(
      "CONFLICT",
      `${a} is already assigned to container ${taken.container?.ctid ?? "?"}; choose another address.`,
      { address: "taken" },
    );
  return { poolId: pool.id, nodeId: node.id, address: a };
}

/** The node's manual pseudo-pool of `family`, made on first use (under the caller's withIpLock). */
async function manualPool(db: Db, nodeId: string, family: 4 | 6): Promise<Pool> {
  const name = manualPoolName(family);
  const have = await db.ipPool.findUnique({ where: { nodeId_name: { nodeId, name } } });
  if (have) {
    if (have.kind !== MANUAL_KIND)
      throw new PanelError(
        "CONFLICT",
        `A pool named "${name}" exists on this node and is not the manual-address pool; rename it (IP pools page).`,
      );
    return have as Pool;
  }
  const [first, last, cidr] =
    family === 4
      ? ["0.0.0.0", "255.255.255.255", "0.0.0.0/0"]
      : ["::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::/0"];
  return (await db.ipPool.create({
    data: { nodeId, name, kind: MANUAL_KIND, family, cidr, gateway: null, rangeStart: first, rangeEnd: last },
  })) as Pool;
}

/** A container's addresses with their pools, in a stable order (IPv4 first, then by value). */
export async function addressesOf(db: Db, containerId: string) {
  const rows = await db.ipAddress.findMany({ where: { containerId }, include: { pool: true } });
  return rows.sort(
    (a, b) =>
      a.pool.family - b.pool.family ||
      (ipToBig(a.address) < ipToBig(b.address) ? -1 : ipToBig(a.address) > ipToBig(b.address) ? 1 : 0),
  );
}

export type AddressRow = Awaited<ReturnType<typeof addressesOf>>[number];

/** Gives back every address of a container (destroy; also done by the database when its row goes). */
export async function releaseAll(db: Db, containerId: string): Promise<number> {
  return (await db.ipAddress.deleteMany({ where: { containerId } })).count;
}
