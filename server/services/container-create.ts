/**
 * Making a container: create from a template, and clone. Both reserve the row first (reserveContainer: the
 * checks of a create, the allocation and the addresses), then start an operation that makes it on the node;
 * a failed one removes its row (the engine already rolled back its host changes).
 */
import type { Actor } from "../auth/roles.js";
import type { Container, Db, Node } from "../db/client.js";
import { engineFor } from "../engine/index.js";
import { PanelError } from "../errors.js";
import { audit, type AuditCtx } from "./audit.js";
import { pickAddress, pickAddresses, withIpLock, type NetMode, type PoolKind } from "./ipam.js";
import { loadNetConfig, netModeOf } from "./network.js";
import {
  assertWithinAllocation,
  costOf,
  effectiveLimits,
  planLimits,
  planTemplates,
  sellingReseller,
} from "./limits.js";
import { withLock } from "./locks.js";
import { assertCustomerQuota, assertSelfServicePlan } from "./customer-quota.js";
import { CONTAINER_NAME_RE, type FullContainer } from "./container-state.js";
import { assertIdle, relay, startOperation } from "./operations.js";

type Ctx = AuditCtx & { db: Db; actor: Actor };

export const FIRST_CTID = 101;

export async function defaultNode(db: Db): Promise<Node> {
  const n = await db.node.findFirst({ orderBy: { createdAt: "asc" } });
  if (!n) throw new PanelError("CONFLICT", "No node is registered; an administrator must add one (Nodes page) first.");
  return n;
}

async function nextCtid(db: Db, nodeId: string): Promise<number> {
  const top = await db.container.findFirst({ where: { nodeId }, orderBy: { ctid: "desc" }, select: { ctid: true } });
  return Math.max(FIRST_CTID, (top?.ctid ?? 0) + 1);
}

export interface CreateInput {
  tenantId: string;
  planId: string;
  hostname: string;
  template: string;
  ctid?: number;
  nodeId?: string;
  /** venet (default): routed addresses; veth: a NIC on an engine network; none: no network */
  netMode?: NetMode;
  /** admins: exactly these addresses (each from a pool of the mode) instead of the plan's count of free ones */
  addresses?: string[];
  /** a name that works wherever the ctid does (unique on the node) */
  name?: string;
  description?: string;
  onboot?: boolean;
  /** the billing system's service id (API v1) */
  externalId?: string;
}

export async function createContainer(ctx: Ctx, scope: string[] | null, input: CreateInput) {
  const { db, actor } = ctx;
  if (actor.role === "customer" && input.nodeId !== undefined)
    throw new PanelError("FORBIDDEN", "Your provider chooses the node of your containers.", { nodeId: "leave empty" });
  const { row: created, plan, node, tenant } = await reserveContainer(ctx, scope, input);
  return startOperation(
    db,
    actor,
    { type: "create", tenantId: tenant.id, containerId: created.id, message: `create container ${created.ctid}` },
    async (op) => {
      try {
        const net = await loadNetConfig(db, { ...created, plan });
        const info = await engineFor(node.endpoint).call(
          "container.create",
          {
            ctid: created.ctid,
            template: input.template,
            hostname: input.hostname,
            name: created.name,
            onboot: created.onboot,
            limits: planLimits(plan),
            net,
          },
          { onEvent: relay(op, 0, 100) },
        );
        await db.container.update({ where: { id: created.id }, data: { state: info.state } });
        op.log(`container ${created.ctid} created from ${input.template}`);
      } catch (e) {
        // the row's addresses go with it (IpAddress rows are deleted with their container)
        await db.container.delete({ where: { id: created.id } }).catch(() => {});
        throw e;
      }
    },
  );
}

/**
 * The checks of a create and its row ("creating", with its addresses), audited; the caller makes the
 * container on the node (create from a template, restore a backup as a new container, clone) and removes
 * the row if that fails. Every path that makes a container passes exactly these checks: a seller's plan (admins,
 * resellers) or a customer's self-service plan and quota (customer-quota.ts), a template the plan allows, the
 * reseller's allocation.
 * `auditAction` names the path in the audit log (default container.create, container.clone with cloneOf).
 * `cloneOf`: the row is a copy of that container's settings (limit overrides, firewall, DNS servers, SSH keys),
 * and its effective limits are what the allocation is charged.
 */
export async function reserveContainer(
  ctx: Ctx,
  scope: string[] | null,
  input: CreateInput & { auditAction?: string; cloneOf?: FullContainer },
) {
  const { db, actor } = ctx;
  // a customer makes its own containers of a self-service plan, within its quota (customer-quota.ts)
  const customer = actor.role === "customer";
  const tenant = await db.tenant.findUnique({ where: { id: input.tenantId } });
  if (!tenant || (scope !== null && !scope.includes(tenant.id)))
    throw new PanelError("NOT_FOUND", "No such customer (or not one of yours).", {
      tenantId: "choose one of your customers",
    });
  if (tenant.disabled) throw new PanelError("CONFLICT", `Customer "${tenant.name}" is disabled; enable it first.`);
  if (tenant.suspendedAt)
    throw new PanelError(
      "CONFLICT",
      `Customer "${tenant.name}" is suspended; unsuspend it before creating containers.`,
    );
  const plan = await db.plan.findUnique({ where: { id: input.planId } });
  // Resellers sell their own plans or the platform's; admins any plan; customers their self-service ones.
  const planOk =
    plan &&
    (actor.role === "admin" ||
      customer ||
      plan.tenantId === actor.tenantId ||
      (await db.tenant.findUnique({ where: { id: plan.tenantId } }))?.kind === "platform");
  if (!planOk)
    throw new PanelError("NOT_FOUND", "No such plan (or not one of yours).", { planId: "choose one of your plans" });
  if (customer) await assertSelfServicePlan(db, tenant, plan);
  if (!planTemplates(plan).includes(input.template)) {
    throw new PanelError(
      "BAD_REQUEST",
      `Plan "${plan.name}" does not allow template "${input.template}"; allowed: ${planTemplates(plan).join(", ")}.`,
      { template: "not allowed by the plan" },
    );
  }
  const node = input.nodeId ? await db.node.findUnique({ where: { id: input.nodeId } }) : await defaultNode(db);
  if (!node) throw new PanelError("NOT_FOUND", "No such node.", { nodeId: "choose a registered node" });
  if (input.ctid !== undefined && actor.role !== "admin")
    throw new PanelError("FORBIDDEN", "Only administrators choose container ids.", { ctid: "leave empty" });
  if (input.addresses !== undefined && actor.role !== "admin")
    throw new PanelError("FORBIDDEN", "Only administrators choose addresses.", { addresses: "leave empty" });
  if (input.addresses && new Set(input.addresses).size !== input.addresses.length)
    throw new PanelError("BAD_REQUEST", "An address is given twice.", { addresses: "duplicate" });
  if (input.name !== undefined) {
    if (!CONTAINER_NAME_RE.test(input.name))
      throw new PanelError(
        "BAD_REQUEST",
        `Invalid name "${input.name}": 1–64 letters, digits, . _ - (not only digits: those are container ids).`,
        { name: "invalid" },
      );
    const other = await db.container.findFirst({
      where: { nodeId: node.id, name: input.name },
      select: { ctid: true },
    });
    if (other)
      throw new PanelError(
        "CONFLICT",
        `The name "${input.name}" is already used by container ${other.ctid}; choose another.`,
        { name: "taken" },
      );
  }

  const netMode = input.netMode ?? "venet";
  // Allocation check and row insert under one lock per reseller: concurrent creates cannot both fit.
  // The plan's addresses are picked and inserted with the row (one statement) under the node's
  // address lock: no pool or no room fails here, before anything reaches the node.
  const reseller = await sellingReseller(db, tenant.id);
  const taken = (ctid: number) =>
    new PanelError("CONFLICT", `Container id ${ctid} is taken on node ${node.name}; choose another.`, {
      ctid: "taken",
    });
  const row = await withLock(db, `alloc:${reseller ?? "platform"}`, async () => {
    const limits = input.cloneOf ? effectiveLimits(plan, input.cloneOf.overrides) : planLimits(plan);
    if (customer) await assertCustomerQuota(db, tenant.id, plan, costOf(limits, plan.ipCount));
    if (reseller) await assertWithinAllocation(db, reseller, costOf(limits, plan.ipCount));
    return withIpLock(db, node.id, async () => {
      for (let attempt = 0; attempt < 3; attempt++) {
        const ctid = input.ctid ?? (await nextCtid(db, node.id));
        if (
          input.ctid !== undefined &&
          (await db.container.findUnique({ where: { nodeId_ctid: { nodeId: node.id, ctid } }, select: { id: true } }))
        )
          throw taken(ctid);
        const picks =
          netMode === "none"
            ? []
            : input.addresses
              ? await pickChosen(db, node, netMode, input.addresses)
              : await pickAddresses(db, node, netMode, plan.ipCount);
        try {
          return await db.container.create({
            data: {
              ctid,
              nodeId: node.id,
              tenantId: tenant.id,
              planId: plan.id,
              hostname: input.hostname,
              template: input.template,
              state: "creating",
              netMode,
              name: input.name ?? null,
              description: input.description ?? null,
              onboot: input.onboot ?? false,
              externalId: input.externalId ?? null,
              ...(input.cloneOf ? copiedSettings(input.cloneOf) : {}),
              addresses: { create: picks.map((p) => ({ poolId: p.poolId, nodeId: p.nodeId, address: p.address })) },
            },
          });
        } catch (e) {
          // the ctid or an address was taken meanwhile (another process): pick both again
          if ((e as { code?: string }).code !== "P2002") throw e;
        }
      }
      return null;
    });
  });
  if (!row) throw new PanelError("CONFLICT", "Could not reserve a container id (concurrent creates); try again.");
  const created = row;
  const net = await loadNetConfig(db, { ...created, plan });
  const ips = [...(net.venet ?? []), ...(net.nics ?? []).flatMap((n) => (n.type === "veth" ? (n.ips ?? []) : []))];
  const action = input.auditAction ?? (input.cloneOf ? "container.clone" : "container.create");
  const from = input.cloneOf ? { source: input.cloneOf.ctid } : {};
  await audit(ctx, {
    action,
    target: `container ${created.ctid} (${created.hostname})`,
    tenantId: tenant.id,
    details: { plan: plan.name, template: input.template, node: node.name, netMode, ips, ...from },
  });
  return { row: created, plan, node, tenant };
}

/** What a clone's row takes over from its source (its addresses come from the pools, like a create's). */
function copiedSettings(src: Container) {
  return { overrides: src.overrides, firewall: src.firewall, nameservers: src.nameservers, sshKeys: src.sshKeys };
}

export interface CloneInput {
  hostname: string;
  /** a name that works wherever the ctid does (unique on the node) */
  name?: string;
  /** admins only: the clone's ctid (default: the next free one) */
  ctid?: number;
}

/**
 * Clone a container (prlctl clone, vzmlocal -C): a new container of the same customer, plan and node, with
 * the checks of a create (tenant, plan, allocation, addresses from the pools of the source's network mode),
 * whose root filesystem is a copy-on-write copy of the source's (a running source is frozen for an instant).
 * It gets its own ctid, hostname, name and addresses, the source's effective limits, firewall, DNS servers
 * and SSH keys, and starts stopped. A failed clone removes its row (the engine already undid its part).
 */
export async function cloneContainer(ctx: Ctx, scope: string[] | null, source: FullContainer, input: CloneInput) {
  const { db, actor } = ctx;
  if (source.state === "creating")
    throw new PanelError("CONFLICT", "The container is still being created; wait for that operation to finish.");
  // a copy of a container in the middle of a restore, reinstall or move would copy whatever state it is in
  await assertIdle(db, source.id);
  const {
    row: created,
    plan,
    node,
    tenant,
  } = await reserveContainer(ctx, scope, {
    tenantId: source.tenantId,
    planId: source.planId,
    nodeId: source.nodeId,
    template: source.template,
    netMode: netModeOf(source),
    hostname: input.hostname,
    onboot: source.onboot,
    cloneOf: source,
    ...(input.name !== undefined ? { name: input.name } : {}),
    ...(input.ctid !== undefined ? { ctid: input.ctid } : {}),
  });
  const message = `clone container ${source.ctid} as ${created.ctid}`;
  return startOperation(
    db,
    actor,
    { type: "clone", tenantId: tenant.id, containerId: created.id, message },
    async (op) => {
      try {
        const net = await loadNetConfig(db, { ...created, plan });
        const info = await engineFor(node.endpoint).call(
          "container.clone",
          {
            ctid: source.ctid,
            newCtid: created.ctid,
            hostname: created.hostname,
            name: created.name,
            onboot: created.onboot,
            limits: effectiveLimits(plan, source.overrides),
            net,
          },
          { onEvent: relay(op, 0, 100) },
        );
        // the copy has the source's features (same plan), as the engine made it
        await db.container.update({
          where: { id: created.id },
          data: { state: info.state, features: JSON.stringify(info.features) },
        });
        op.log(`container ${created.ctid} cloned from ${source.ctid}`);
      } catch (e) {
        // the row's addresses go with it (IpAddress rows are deleted with their container)
        await db.container.delete({ where: { id: created.id } }).catch(() => {});
        throw e;
      }
    },
  );
}

/** Chosen addresses: each from a pool of the mode; veth ones on one network (the first's). */
async function pickChosen(db: Db, node: Node, mode: PoolKind, addresses: string[]) {
  const out = [];
  let network: string | null | undefined;
  for (const a of addresses) {
    // admins only: an address in no pool is a manual one
    const p = await pickAddress(db, node, mode, a, { network, manual: true });
    if (mode === "veth" && network === undefined)
      network = (await db.ipPool.findUniqueOrThrow({ where: { id: p.poolId } })).network;
    out.push(p);
  }
  return out;
}
