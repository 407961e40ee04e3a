/**
 * A container's network as the engine wants it (native/src/net/types.ts NetConfig), built from the
 * database: its addresses (IpAddress rows), its mode (venet: routed venet0; veth: eth0 bridged into the
 * pool's engine network; none), its firewall (Container.firewall) and its rate (the plan's bandwidth,
 * or the plan's throttle rate while the container is over its traffic quota).
 */
import {
  firewallSchema,
  type Firewall,
  type NetConfigInput,
  type NetPatch,
  type Rate,
} from "../../native/src/net/types.js";
import type { Result } from "../../native/src/protocol/schema.js";
import type { Actor } from "../auth/roles.js";
import type { Db, Plan } from "../db/client.js";
import { engineFor } from "../engine/index.js";
import { isEngineError, PanelError } from "../errors.js";
import { audit, type AuditCtx } from "./audit.js";
import { syncState, type FullContainer } from "./container-state.js";
import {
  addressesOf,
  isNetMode,
  pickAddress,
  pickAddresses,
  withIpLock,
  type AddressRow,
  type NetMode,
} from "./ipam.js";
import { assertWithinAllocation, parseJson, sellingReseller, ZERO_USAGE } from "./limits.js";
import { withLock } from "./locks.js";

export function netModeOf(c: { netMode: string }): NetMode {
  return isNetMode(c.netMode) ? c.netMode : "venet";
}

/** The stored firewall; a column that no longer parses counts as "disabled" (the engine's default). */
export function firewallOf(c: { firewall: string }): Firewall {
  const r = firewallSchema.safeParse(parseJson<unknown>(c.firewall, {}));
  return r.success ? r.data : firewallSchema.parse({});
}

/** kbit/s in both directions: the plan's bandwidth (0 = unlimited), or its throttle rate when throttled. */
export function rateOf(plan: Pick<Plan, "bandwidthMbps" | "throttleKbit">, throttled: boolean): Rate {
  const normal = plan.bandwidthMbps * 1000;
  let kbit = normal;
  if (throttled && plan.throttleKbit > 0) kbit = normal === 0 ? plan.throttleKbit : Math.min(normal, plan.throttleKbit);
  return { inKbit: kbit, outKbit: kbit };
}

/** The devices part of the config: venet addresses, or one veth NIC on the addresses' network. */
export function devicesFor(
  mode: NetMode,
  addrs: Pick<AddressRow, "address" | "pool">[],
): Pick<Required<NetPatch>, "venet" | "nics"> {
  if (mode === "venet") return { venet: addrs.map((a) => a.address), nics: [] };
  if (mode === "veth" && addrs.length) {
    const network = addrs[0]!.pool.network ?? "";
    return {
      venet: [],
      nics: [{ type: "veth", name: "eth0", network, ips: addrs.map((a) => a.address), antiSpoof: true }],
    };
  }
  return { venet: [], nics: [] };
}

/** The stored DNS servers (vzctl --nameserver); a column that no longer parses counts as none. */
export function nameserversOf(c: { nameservers?: string }): string[] {
  const v = parseJson<unknown>(c.nameservers ?? "[]", []);
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

type NetSource = {
  netMode: string;
  firewall: string;
  throttled: boolean;
  nameservers?: string;
  plan: Pick<Plan, "bandwidthMbps" | "throttleKbit">;
};

export function netConfigFor(c: NetSource, addrs: Pick<AddressRow, "address" | "pool">[]): NetConfigInput {
  return {
    ...devicesFor(netModeOf(c), addrs),
    nameservers: nameserversOf(c),
    firewall: firewallOf(c),
    rate: rateOf(c.plan, c.throttled),
  };
}

/** The whole config of a stored container (for create and reinstall). */
export async function loadNetConfig(db: Db, c: NetSource & { id: string }): Promise<NetConfigInput> {
  return netConfigFor(c, await addressesOf(db, c.id));
}

/** Sends a patch to the container's node (applied live by the engine when the container runs). */
export async function pushNet(c: { ctid: number; node: { endpoint: string } }, patch: NetPatch) {
  return engineFor(c.node.endpoint).call("container.net.set", { ctid: c.ctid, net: patch });
}

// ---------------------------------------------------------------- container network actions

type Ctx = AuditCtx & { db: Db; actor: Actor };

function target(c: FullContainer): string {
  return `container ${c.ctid} (${c.hostname})`;
}

function addressView(a: AddressRow) {
  return {
    address: a.address,
    family: a.pool.family as 4 | 6,
    pool: {
      id: a.pool.id,
      name: a.pool.name,
      kind: a.pool.kind,
      network: a.pool.network,
      cidr: a.pool.cidr,
      gateway: a.pool.gateway,
    },
  };
}

/** The engine reports host-side devices only while the container runs: the change was applied live. */
function isLive(info: Result<"container.net.set">): boolean {
  return info.devices.some((d) => d.hostIf !== null);
}

function deviceName(mode: NetMode): string {
  return mode === "veth" ? "network card (eth0)" : "venet0 device";
}

/** The devices key of a patch for the container's mode (venet → venet, veth → nics). */
function devicePatch(mode: NetMode, addrs: AddressRow[]): NetPatch {
  const d = devicesFor(mode, addrs);
  return mode === "veth" ? { nics: d.nics } : { venet: d.venet };
}

/** Everything about a container's network for its detail page; live counters when it runs. */
export async function networkView(db: Db, c: FullContainer) {
  const addrs = await addressesOf(db, c.id);
  let stats:
    | {
        available: true;
        running: boolean;
        ifaces: Result<"container.net.stats">[number]["ifaces"];
        spoofDropped: { packets: number; bytes: number };
        firewallDropped: { packets: number; bytes: number };
      }
    | { available: false; reason: string };
  try {
    const [s] = await engineFor(c.node.endpoint).call("container.net.stats", { ctids: [c.ctid] });
    stats = s
      ? {
          available: true,
          running: s.running,
          ifaces: s.ifaces,
          spoofDropped: s.spoofDropped,
          firewallDropped: s.firewallDropped,
        }
      : { available: false, reason: "the node did not report this container" };
  } catch (e) {
    stats = { available: false, reason: e instanceof Error ? e.message : "engine unavailable" };
  }
  return {
    netMode: netModeOf(c),
    addresses: addrs.map(addressView),
    firewall: firewallOf(c),
    rate: rateOf(c.plan, c.throttled),
    throttled: c.throttled,
    plan: {
      ipCount: c.plan.ipCount,
      bandwidthMbps: c.plan.bandwidthMbps,
      trafficQuotaGb: c.plan.trafficQuotaGb,
      throttleKbit: c.plan.throttleKbit,
    },
    stats,
  };
}

/**
 * One more address from the node's pools of the container's mode, applied live. Resellers stay within
 * the plan's address count (their allocation reserved it at create); admins may go beyond it.
 */
export async function addIp(ctx: Ctx, c: FullContainer, opts: { family?: 4 | 6; address?: string }) {
  if (opts.address !== undefined && ctx.actor.role !== "admin")
    throw new PanelError(
      "FORBIDDEN",
      "Only administrators choose the address; leave it empty to get the next free one.",
      { address: "leave empty" },
    );
  const mode = netModeOf(c);
  if (mode === "none")
    throw new PanelError(
      "BAD_REQUEST",
      "This container has no network (mode none); an administrator must set its network mode first.",
    );
  if (c.state === "creating")
    throw new PanelError("CONFLICT", "The container is still being created; wait for that operation to finish.");
  const reseller = await sellingReseller(ctx.db, c.tenantId);
  const result = await withLock(ctx.db, `alloc:${reseller ?? "platform"}`, () =>
    withIpLock(ctx.db, c.nodeId, async () => {
      const cur = await addressesOf(ctx.db, c.id);
      if (ctx.actor.role !== "admin") {
        if (cur.length + 1 > c.plan.ipCount) {
          throw new PanelError(
            "QUOTA_EXCEEDED",
            `Refused: plan "${c.plan.name}" gives a container ${c.plan.ipCount} IP address(es) and this one has ${cur.length}. Move it to a bigger plan or ask the administrator.`,
          );
        }
        const delta = Math.max(c.plan.ipCount, cur.length + 1) - Math.max(c.plan.ipCount, cur.length);
        if (reseller && delta > 0) await assertWithinAllocation(ctx.db, reseller, { ...ZERO_USAGE, ipCount: delta });
      }
      const network = mode === "veth" ? cur[0]?.pool.network : undefined;
      const [pick] =
        opts.address !== undefined
          ? [await pickAddress(ctx.db, c.node, mode, opts.address, { network, manual: true })]
          : await pickAddresses(ctx.db, c.node, mode, 1, { network, family: opts.family });
      const row = await ctx.db.ipAddress.create({
        data: { poolId: pick!.poolId, nodeId: pick!.nodeId, address: pick!.address, containerId: c.id },
        include: { pool: true },
      });
      let info;
      try {
        info = await pushNet(c, devicePatch(mode, [...cur, row]));
      } catch (e) {
        await ctx.db.ipAddress.delete({ where: { id: row.id } });
        if (isEngineError(e, "RUNNING")) {
          throw new PanelError(
            "CONFLICT",
            `The container has no address yet: its first one adds a ${deviceName(mode)}, which needs the container stopped. Stop it, add the address, then start it.`,
          );
        }
        throw e;
      }
      return { row, all: await addressesOf(ctx.db, c.id), live: isLive(info) };
    }),
  );
  const live = result.live;
  await audit(ctx, {
    action: "container.addIp",
    target: target(c),
    tenantId: c.tenantId,
    details: { address: result.row.address, pool: result.row.pool.name, live },
  });
  return { address: result.row.address, addresses: result.all.map(addressView), appliedLive: live };
}

/** Gives one address back to its pool, applied live. */
export async function removeIp(ctx: Ctx, c: FullContainer, address: string) {
  const mode = netModeOf(c);
  const removed = await withIpLock(ctx.db, c.nodeId, async () => {
    const cur = await addressesOf(ctx.db, c.id);
    const row = cur.find((a) => a.address === address);
    if (!row)
      throw new PanelError("NOT_FOUND", `${address} is not an address of this container.`, {
        address: "not one of its addresses",
      });
    await ctx.db.ipAddress.delete({ where: { id: row.id } });
    try {
      return {
        row,
        live: isLive(
          await pushNet(
            c,
            devicePatch(
              mode,
              cur.filter((a) => a.id !== row.id),
            ),
          ),
        ),
      };
    } catch (e) {
      await ctx.db.ipAddress.create({
        data: {
          id: row.id,
          poolId: row.poolId,
          nodeId: row.nodeId,
          address: row.address,
          containerId: c.id,
          createdAt: row.createdAt,
        },
      });
      if (isEngineError(e, "RUNNING")) {
        throw new PanelError(
          "CONFLICT",
          `${address} is the container's last address: without it the ${deviceName(mode)} goes, which needs the container stopped. Stop it first, or add another address before removing this one.`,
        );
      }
      throw e;
    }
  });
  const live = removed.live;
  await audit(ctx, {
    action: "container.removeIp",
    target: target(c),
    tenantId: c.tenantId,
    details: { address: removed.row.address, pool: removed.row.pool.name, live },
  });
  return { addresses: (await addressesOf(ctx.db, c.id)).map(addressView), appliedLive: live };
}

/** Replaces the container's firewall (validated by the engine's own schema), applied live. */
export async function setFirewall(ctx: Ctx, c: FullContainer, firewall: Firewall) {
  const info = await pushNet(c, { firewall });
  await ctx.db.container.update({ where: { id: c.id }, data: { firewall: JSON.stringify(info.config.firewall) } });
  const live = isLive(info);
  await audit(ctx, {
    action: "container.setFirewall",
    target: target(c),
    tenantId: c.tenantId,
    details: {
      enabled: firewall.enabled,
      policyIn: firewall.policyIn,
      policyOut: firewall.policyOut,
      rules: firewall.rules.length,
      live,
    },
  });
  return { firewall: info.config.firewall, appliedLive: live };
}

/**
 * Admin: moves a stopped container to another network mode; its addresses come from the pools of the
 * new kind (as many as it had, or its plan's count), the old ones go back to their pools.
 */
export async function setNetMode(ctx: Ctx, c: FullContainer, mode: NetMode) {
  const from = netModeOf(c);
  if (mode === from) throw new PanelError("BAD_REQUEST", `The container already uses ${mode}.`, { mode: "unchanged" });
  const state = await syncState(ctx.db, c);
  if (state !== "stopped")
    throw new PanelError(
      "CONFLICT",
      `Stop the container first: network devices change only while it is stopped (it is ${state}).`,
    );
  const result = await withIpLock(ctx.db, c.nodeId, async () => {
    const old = await addressesOf(ctx.db, c.id);
    const count = mode === "none" ? 0 : old.length > 0 ? old.length : c.plan.ipCount;
    const picks = mode === "none" ? [] : await pickAddresses(ctx.db, c.node, mode, count);
    const swap = (netMode: NetMode, rows: { poolId: string; nodeId: string; address: string }[]) =>
      ctx.db.container.update({
        where: { id: c.id },
        data: {
          netMode,
          addresses: {
            deleteMany: {},
            create: rows.map((r) => ({ poolId: r.poolId, nodeId: r.nodeId, address: r.address })),
          },
        },
      });
    await swap(mode, picks);
    const now = await addressesOf(ctx.db, c.id);
    try {
      await pushNet(c, devicesFor(mode, now));
    } catch (e) {
      await swap(from, old);
      throw e;
    }
    return { old, now };
  });
  await audit(ctx, {
    action: "container.setNetMode",
    target: target(c),
    tenantId: c.tenantId,
    details: { from, to: mode, released: result.old.map((a) => a.address), assigned: result.now.map((a) => a.address) },
  });
  return { netMode: mode, addresses: result.now.map(addressView) };
}
