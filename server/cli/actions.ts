/**
 * What vzctl and prlctl do, once their syntax is parsed: the panel's own services (same database, same
 * engine, same checks, same audit log and operations), run by root on the node as an administrator.
 * Each action checks the state first so the common refusals get the originals' exit codes; slow work
 * runs as an operation of this process and is waited for.
 */
import { CTID_MAX, CTID_NEW_MIN, isCtid, newCtidSchema } from "../../native/src/identity.js";
import type { Actor } from "../auth/roles.js";
import type { Db } from "../db/client.js";
import { engineFor } from "../engine/index.js";
import { describeError, isEngineError, PanelError } from "../errors.js";
import {
  cloneContainer,
  containerAction,
  createContainer,
  defaultNode,
  destroyContainer,
  setLimits,
  type CloneInput,
} from "../services/containers.js";
import { syncState, type FullContainer } from "../services/container-state.js";
import { addressesOf } from "../services/ipam.js";
import { featuresOf, setContainerFeatures } from "../services/features.js";
import { applyFeatureSwitches } from "../../native/src/features.js";
import { addIp, removeIp } from "../services/network.js";
import { waitForAllOperations } from "../services/operations.js";
import {
  checkpointContainer,
  setSettings,
  settingsSchema,
  setUserPassword,
  suspendResume,
  type SettingsPatch,
} from "../services/settings.js";
import type { LimitsPatch } from "../services/limits.js";
import { CliError, VZ } from "./args.js";

export interface Cli {
  db: Db;
  actor: Actor;
  ip: null;
  userAgent: string;
  /** stdout line */
  say: (line: string) => void;
}

/** A container by ctid or name, or a "does not exist" error with `code`. */
export async function findCt(cli: Cli, ref: string, code: number = VZ.NOVECONFIG): Promise<FullContainer> {
  const c = await lookupCt(cli, ref);
  if (!c)
    throw new CliError(
      `Container ${ref} does not exist: its config file is not found (list containers with vzlist -a)`,
      code,
    );
  return c;
}

/**
 * The node these commands run on, as vzctl acts on its own host's containers: the registered node whose
 * endpoint is this host's engine socket (OVZ_SOCKET), else the first node (a single-node install).
 */
export async function hereNode(db: Cli["db"]) {
  const sock = process.env.OVZ_SOCKET;
  return (sock ? await db.node.findFirst({ where: { endpoint: sock } }) : null) ?? defaultNode(db);
}

export async function lookupCt(cli: Cli, ref: string): Promise<FullContainer | null> {
  const node = await hereNode(cli.db);
  const include = { plan: true, node: true, tenant: true } as const;
  if (/^\d+$/.test(ref))
    return cli.db.container.findUnique({ where: { nodeId_ctid: { nodeId: node.id, ctid: Number(ref) } }, include });
  return cli.db.container.findFirst({ where: { nodeId: node.id, name: ref }, include });
}

/** A ctid given on the command line: a number, or a name of an existing container. */
export async function ctidOf(cli: Cli, ref: string): Promise<number> {
  if (/^\d+$/.test(ref)) {
    const n = Number(ref);
    if (!isCtid(n)) throw new CliError(`Bad CT ID ${ref}`, VZ.INVALID_PARAMETER_VALUE);
    return n;
  }
  const c = await lookupCt(cli, ref);
  if (!c) throw new CliError(`Bad CT ID ${ref}`, VZ.INVALID_PARAMETER_VALUE);
  return c.ctid;
}

/** The node's view of the container's state (the row may lag behind a change made on the node). */
export async function liveState(cli: Cli, c: FullContainer): Promise<string> {
  if (c.state === "creating") return "creating"; // another process's create: the node may not know it yet
  return syncState(cli.db, c);
}

/** Waits for this process's operation and throws its error, if any. */
async function finish(cli: Cli, opId: string, code: number): Promise<void> {
  await waitForAllOperations();
  const op = await cli.db.operation.findUniqueOrThrow({ where: { id: opId } });
  if (op.status !== "succeeded") throw new CliError(op.error ?? `operation ${op.type} ${op.status}`, code);
}

/** A panel refusal as the originals' error: the field it names picks vzctl's specific code. */
export function fromPanel(e: unknown, fallback: number): CliError {
  if (e instanceof CliError) return e;
  if (e instanceof PanelError) {
    const f = e.fields ?? {};
    const code = f.name
      ? VZ.SET_NAME_ERROR
      : f.address === "taken"
        ? VZ.IP_INUSE
        : f.address
          ? VZ.BADIP
          : f.hostname
            ? VZ.BADHOSTNAME
            : e.code === "NOT_FOUND" || e.code === "BAD_REQUEST"
              ? VZ.INVALID_PARAMETER_VALUE
              : e.code === "QUOTA_EXCEEDED"
                ? VZ.RESOURCE_ERROR
                : fallback;
    return new CliError(e.message, code);
  }
  if (isEngineError(e, "NOT_RUNNING")) return new CliError((e as Error).message, VZ.VE_NOT_RUNNING);
  if (isEngineError(e, "RUNNING") || isEngineError(e, "FROZEN"))
    return new CliError((e as Error).message, VZ.VE_RUNNING);
  if (isEngineError(e, "NOT_FOUND") || isEngineError(e, "BAD_REQUEST"))
    return new CliError((e as Error).message, VZ.INVALID_PARAMETER_VALUE);
  return new CliError(describeError(e), fallback);
}

export interface CreateArgs {
  ctid?: number;
  name?: string;
  template: string;
  plan?: string;
  hostname?: string;
  addresses?: string[];
  owner?: string;
  description?: string;
}

/** The ctid a create without one will most likely get (for its placeholder hostname only). */
async function nextFreeCtid(cli: Cli): Promise<number> {
  const top = await cli.db.container.findFirst({
    where: { nodeId: (await defaultNode(cli.db)).id },
    orderBy: { ctid: "desc" },
    select: { ctid: true },
  });
  return Math.max(101, (top?.ctid ?? 0) + 1);
}

async function findPlan(cli: Cli, name: string) {
  const plans = await cli.db.plan.findMany({ where: { name }, include: { tenant: true } });
  const platform = plans.filter((p) => p.tenant.kind === "platform");
  const pick = platform.length === 1 ? platform[0] : plans.length === 1 ? plans[0] : null;
  if (pick) return pick;
  const names = (await cli.db.plan.findMany({ select: { name: true }, orderBy: { name: "asc" } })).map((p) => p.name);
  throw new CliError(
    plans.length
      ? `Plan "${name}" is ambiguous (${plans.length} tenants have one); rename one in the panel`
      : `Config sample (plan) "${name}" not found; plans: ${names.join(", ") || "none (create one in the panel)"}`,
    VZ.INVALID_PARAMETER_VALUE,
  );
}

async function findOwner(cli: Cli, ref: string | undefined) {
  if (!ref) return cli.db.tenant.findUniqueOrThrow({ where: { id: cli.actor.tenantId } });
  const t =
    (await cli.db.tenant.findFirst({ where: { name: ref } })) ??
    (await cli.db.user.findUnique({ where: { email: ref }, include: { tenant: true } }))?.tenant;
  if (!t)
    throw new CliError(`Owner "${ref}" is neither a customer's name nor a user's email`, VZ.INVALID_PARAMETER_VALUE);
  return t;
}

export async function createCt(cli: Cli, a: CreateArgs, announce: () => void = () => {}): Promise<FullContainer> {
  if (a.ctid !== undefined && !newCtidSchema.safeParse(a.ctid).success)
    throw new CliError(
      `Bad CT ID ${a.ctid}: use ${CTID_NEW_MIN} to ${CTID_MAX} (lower ids are reserved)`,
      VZ.INVALID_PARAMETER_VALUE,
    );
  // as vzctl: without --config, CONFIGFILE of the global config (vz.conf's name), else OVZ_DEFAULT_PLAN
  const plan = await findPlan(cli, a.plan ?? process.env.CONFIGFILE ?? process.env.OVZ_DEFAULT_PLAN ?? "starter");
  const owner = await findOwner(cli, a.owner);
  if (a.ctid !== undefined && (await lookupCt(cli, String(a.ctid)))) {
    throw new CliError(
      `Private area already exists: container ${a.ctid} exists; destroy it first or choose another CTID`,
      VZ.FS_PRVT_AREA_EXIST,
    );
  }
  const templates = (await engineFor((await defaultNode(cli.db)).endpoint).call("template.list", {})).map(
    (t) => t.name,
  );
  if (!templates.includes(a.template)) {
    throw new CliError(
      `Cache file for template ${a.template} not found; available templates: ${templates.join(", ") || "none"}`,
      VZ.INVALID_PARAMETER_VALUE,
    );
  }
  announce();
  let op;
  try {
    op = await createContainer(cli, null, {
      tenantId: owner.id,
      planId: plan.id,
      // vzctl leaves the hostname unset; a row needs one: the name, or ct<CTID>
      hostname:
        a.hostname ??
        (a.name && settingsSchema.shape.hostname.safeParse(a.name).success
          ? a.name
          : `ct${a.ctid ?? (await nextFreeCtid(cli))}`),
      template: a.template,
      ...(a.ctid !== undefined ? { ctid: a.ctid } : {}),
      ...(a.addresses?.length ? { addresses: a.addresses } : {}),
      ...(a.name ? { name: a.name } : {}),
      ...(a.description ? { description: a.description } : {}),
    });
  } catch (e) {
    throw fromPanel(e, VZ.SYSTEM_ERROR);
  }
  await finish(cli, op.id, VZ.SYSTEM_ERROR);
  return cli.db.container.findFirstOrThrow({
    where: { operations: { some: { id: op.id } } },
    include: { plan: true, node: true, tenant: true },
  });
}

/**
 * Clone `c` through the panel's clone operation (same checks as a create, addresses from the pools) and wait
 * for it; the new container's row. A refusal before the operation is the panel's error (PanelError); a failed
 * operation is a CliError with `code` and the operation's error.
 */
export async function cloneCt(
  cli: Cli,
  c: FullContainer,
  input: Partial<CloneInput>,
  code: number,
): Promise<FullContainer> {
  const op = await cloneContainer(cli, null, c, { ...input, hostname: input.hostname ?? c.hostname });
  await finish(cli, op.id, code);
  return cli.db.container.findFirstOrThrow({
    where: { operations: { some: { id: op.id } } },
    include: { plan: true, node: true, tenant: true },
  });
}

export async function lifecycle(cli: Cli, c: FullContainer, action: "start" | "stop" | "restart"): Promise<void> {
  const state = await liveState(cli, c);
  if (action === "start" && state === "running") throw new CliError("Container is already running", VZ.VE_RUNNING);
  if (action === "start" && state === "suspended")
    throw new CliError("Container is suspended; resume it (vzctl resume) instead", VZ.VE_RUNNING);
  if (action === "stop" && state === "stopped")
    throw new CliError("Unable to stop: container is not running", VZ.VE_NOT_RUNNING);
  let op;
  try {
    op = await containerAction(cli, c, action === "restart" && state === "stopped" ? "start" : action);
  } catch (e) {
    throw fromPanel(e, VZ.LOCKED);
  }
  await finish(cli, op.id, action === "stop" ? VZ.STOP_ERROR : VZ.SYSTEM_ERROR);
}

export async function destroyCt(cli: Cli, c: FullContainer): Promise<void> {
  const state = await liveState(cli, c);
  if (state !== "stopped" && state !== "error")
    throw new CliError("Container is currently running. Stop it first.", VZ.VE_RUNNING);
  let op;
  try {
    op = await destroyContainer(cli, c);
  } catch (e) {
    throw fromPanel(e, VZ.LOCKED);
  }
  await finish(cli, op.id, VZ.SYSTEM_ERROR);
}

export async function checkpointCt(cli: Cli, c: FullContainer): Promise<void> {
  const state = await liveState(cli, c);
  if (state === "stopped") throw new CliError("Unable to checkpoint: container is not running", VZ.VE_NOT_RUNNING);
  if (state === "suspended") throw new CliError("Container is already suspended", VZ.VE_RUNNING);
  try {
    await checkpointContainer(cli, c);
  } catch (e) {
    throw fromPanel(e, VZ.SYSTEM_ERROR);
  }
}

export async function suspendCt(cli: Cli, c: FullContainer, action: "suspend" | "resume"): Promise<void> {
  const state = await liveState(cli, c);
  if (action === "suspend" && state === "stopped")
    throw new CliError("Unable to suspend: container is not running", VZ.VE_NOT_RUNNING);
  if (action === "suspend" && state === "suspended")
    throw new CliError("Container is already suspended", VZ.VE_RUNNING);
  if (action === "resume" && state !== "suspended")
    throw new CliError("Unable to resume: container is not suspended", VZ.VE_NOT_RUNNING);
  try {
    await suspendResume(cli, c, action);
  } catch (e) {
    throw fromPanel(e, VZ.SYSTEM_ERROR);
  }
}

/** Everything `set` can change, already parsed; applied in this order, stopping at the first refusal. */
export interface SetArgs {
  settings: SettingsPatch;
  limits: LimitsPatch;
  ipadd: string[];
  /** "all" removes every address */
  ipdel: string[];
  passwords: { user: string; password: string }[];
  /** OpenVZ's --features switches ("tun:on,fuse:off"), checked; null = not given */
  features: string | null;
}

export async function applySet(
  cli: Cli,
  c: FullContainer,
  s: SetArgs,
  say: { limits?: (k: string, v: unknown) => string } = {},
): Promise<void> {
  try {
    if (Object.keys(s.settings).length) {
      await setSettings(cli, c, s.settings);
      if (s.settings.hostname) cli.say(`Set hostname: ${s.settings.hostname}`);
      if (s.settings.nameservers) cli.say("File resolv.conf was modified");
    }
    if (Object.keys(s.limits).length) {
      const fresh = await findCt(cli, String(c.ctid));
      const r = await setLimits(cli, fresh, s.limits);
      for (const [k, v] of Object.entries(s.limits)) if (say.limits) cli.say(say.limits(k, v));
      if (!r.appliedLive) cli.say("Limits are saved and apply at the next start");
    }
    if (s.ipadd.length) {
      cli.say(`Adding IP address(es): ${s.ipadd.join(" ")}`);
      for (const a of s.ipadd) {
        try {
          await addIp(cli, await findCt(cli, String(c.ctid)), { address: a });
        } catch (e) {
          if (e instanceof PanelError && e.code === "CONFLICT" && /already assigned/.test(e.message))
            throw new CliError(`Unable to add IP ${a}: ${e.message}`, VZ.IP_INUSE);
          if (e instanceof PanelError && e.code === "BAD_REQUEST")
            throw new CliError(`Unable to add IP ${a}: ${e.message}`, VZ.BADIP);
          throw e;
        }
      }
    }
    if (s.ipdel.length) {
      const cur = (await addressesOf(cli.db, c.id)).map((a) => a.address);
      const del = s.ipdel.includes("all") ? cur : s.ipdel;
      for (const a of del) {
        if (!cur.includes(a))
          throw new CliError(
            `Unable to delete IP address ${a}: it is not one of container ${c.ctid}'s addresses`,
            VZ.BADIP,
          );
      }
      if (del.length) cli.say(`Deleting IP address(es): ${del.join(" ")}`);
      for (const a of del) await removeIp(cli, await findCt(cli, String(c.ctid)), a);
    }
    if (s.features !== null) {
      const fresh = await findCt(cli, String(c.ctid));
      const r = await setContainerFeatures(cli, fresh, applyFeatureSwitches(featuresOf(fresh.features), s.features));
      cli.say(`Features: ${r.enabled.join(",") || "none"}`);
      if (r.restartNeeded) cli.say("Features are saved and apply at the next start");
    }
    for (const p of s.passwords) {
      try {
        await setUserPassword(cli, c, p.user, p.password);
      } catch (e) {
        throw new CliError(
          `Unable to change password for user ${p.user}: ${describeError(e)}`,
          isEngineError(e, "NOT_RUNNING") ? VZ.VE_NOT_RUNNING : VZ.CHANGEPASS,
        );
      }
    }
  } catch (e) {
    throw fromPanel(e, VZ.SYSTEM_ERROR);
  }
}

/** Runs `sh -c COMMAND` inside; returns its exit status with its output relayed. */
export async function execIn(cli: Cli, c: FullContainer, command: string, input?: string): Promise<number> {
  const state = await liveState(cli, c);
  if (state !== "running")
    throw new CliError(
      state === "suspended" ? "Container is suspended; resume it first" : "Container is not running",
      VZ.VE_NOT_RUNNING,
    );
  // as long as the engine allows (1 h): `vzctl exec CT 'apt-get -y upgrade'` must not be cut at a minute
  const r = await engineFor(c.node.endpoint).call("container.exec", {
    ctid: c.ctid,
    argv: ["/bin/sh", "-c", command],
    timeoutMs: 3_600_000,
    ...(input !== undefined ? { input } : {}),
  });
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  return r.code;
}

export { isEngineError };
