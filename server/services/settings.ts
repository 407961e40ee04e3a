/**
 * A container's own settings besides its limits and addresses: hostname, name, description, onboot, DNS
 * servers, a user's password, suspend/resume. The database row and the node change together (node
 * first: a refused change leaves the row as it was). Used by the command line (vzctl set, prlctl set)
 * and the panel alike.
 */
import { USER_RE } from "../../native/src/passwd.js";
import { z } from "zod";
import type { Actor } from "../auth/roles.js";
import type { Db } from "../db/client.js";
import { engineFor } from "../engine/index.js";
import { PanelError } from "../errors.js";
import { audit, type AuditCtx } from "./audit.js";
import { assertNotSuspended, type FullContainer } from "./container-state.js";
import { containerNameSchema, hostnameSchema } from "../../native/src/identity.js";
import { nameserversOf, pushNet } from "./network.js";

type Ctx = AuditCtx & { db: Db; actor: Actor };

export const settingsSchema = z
  .object({
    hostname: hostnameSchema.optional(),
    name: containerNameSchema.nullable().optional(),
    description: z.string().max(1000, "a description is at most 1000 characters").nullable().optional(),
    onboot: z.boolean().optional(),
    bootorder: z
      .number({ message: "the boot order is a whole number from 0 to 1000000 (higher starts earlier)" })
      .int("the boot order is a whole number from 0 to 1000000 (higher starts earlier)")
      .min(0, "the boot order is a whole number from 0 to 1000000 (higher starts earlier)")
      .max(1_000_000, "the boot order is a whole number from 0 to 1000000 (higher starts earlier)")
      .nullable()
      .optional(),
    nameservers: z
      .array(z.string().ip({ message: "a name server is an IPv4 or IPv6 address" }))
      .max(3, "at most 3 name servers")
      .optional(),
  })
  .strict();
export type SettingsPatch = z.infer<typeof settingsSchema>;

function target(c: FullContainer) {
  return `container ${c.ctid} (${c.hostname})`;
}

export async function setSettings(ctx: Ctx, c: FullContainer, patchIn: SettingsPatch) {
  const parsed = settingsSchema.safeParse(patchIn);
  if (!parsed.success) {
    const fields = Object.fromEntries(parsed.error.issues.map((i) => [String(i.path[0] ?? "_"), i.message]));
    throw new PanelError(
      "BAD_REQUEST",
      `Invalid settings: ${parsed.error.issues.map((i) => `${String(i.path[0] ?? "")}: ${i.message}`).join("; ")}`,
      fields,
    );
  }
  const p = parsed.data;
  if (Object.keys(p).length === 0) throw new PanelError("BAD_REQUEST", "Nothing to change.");
  if (p.name) {
    const other = await ctx.db.container.findFirst({
      where: { nodeId: c.nodeId, name: p.name, NOT: { id: c.id } },
      select: { ctid: true },
    });
    if (other)
      throw new PanelError(
        "CONFLICT",
        `The name "${p.name}" is already used by container ${other.ctid}; choose another.`,
        { name: "taken" },
      );
  }
  const eng = engineFor(c.node.endpoint);
  if (p.hostname !== undefined || p.name !== undefined || p.onboot !== undefined || p.bootorder !== undefined) {
    await eng.call("container.set", {
      ctid: c.ctid,
      ...(p.hostname !== undefined ? { hostname: p.hostname } : {}),
      ...(p.name !== undefined ? { name: p.name } : {}),
      ...(p.onboot !== undefined ? { onboot: p.onboot } : {}),
      ...(p.bootorder !== undefined ? { bootorder: p.bootorder } : {}),
    });
  }
  if (p.nameservers !== undefined) await pushNet(c, { nameservers: p.nameservers });
  try {
    await ctx.db.container.update({
      where: { id: c.id },
      data: {
        ...(p.hostname !== undefined ? { hostname: p.hostname } : {}),
        ...(p.name !== undefined ? { name: p.name } : {}),
        ...(p.description !== undefined ? { description: p.description } : {}),
        ...(p.onboot !== undefined ? { onboot: p.onboot } : {}),
        ...(p.bootorder !== undefined ? { bootorder: p.bootorder } : {}),
        ...(p.nameservers !== undefined ? { nameservers: JSON.stringify(p.nameservers) } : {}),
      },
    });
  } catch (e) {
    if ((e as { code?: string }).code === "P2002")
      throw new PanelError("CONFLICT", `The name "${p.name}" was just taken by another container; choose another.`, {
        name: "taken",
      });
    throw e;
  }
  await audit(ctx, {
    action: "container.setSettings",
    target: target(c),
    tenantId: c.tenantId,
    details: {
      ...p,
      before: {
        hostname: c.hostname,
        name: c.name,
        onboot: c.onboot,
        bootorder: c.bootorder,
        nameservers: nameserversOf(c),
      },
    },
  });
  return { ok: true as const };
}

/**
 * Sets a user's password inside the container, running or stopped (vzctl --userpasswd user:password); a
 * user that does not exist is created, as vzctl does.
 */
export async function setUserPassword(ctx: Ctx, c: FullContainer, user: string, password: string) {
  if (!USER_RE.test(user))
    throw new PanelError(
      "BAD_REQUEST",
      `Invalid user name "${user}": use lower-case letters, digits, _ and - (up to 32, not starting with a digit or -).`,
      { user: "invalid" },
    );
  if (!password || /[\n\r\0]/.test(password))
    throw new PanelError("BAD_REQUEST", "The password must be non-empty and on one line.", { password: "required" });
  const r = await engineFor(c.node.endpoint).call("container.passwd", { ctid: c.ctid, user, password });
  await audit(ctx, {
    action: "container.setPassword",
    target: target(c),
    tenantId: c.tenantId,
    details: { user, created: r.created },
  });
  return { ok: true as const, created: r.created };
}

/** CRIU checkpoint: the container's whole state to disk, then stopped (state "suspended"; resume restores it). */
export async function checkpointContainer(ctx: Ctx, c: FullContainer) {
  const info = await engineFor(c.node.endpoint).call("container.checkpoint", { ctid: c.ctid });
  await ctx.db.container.update({ where: { id: c.id }, data: { state: info.state } });
  await audit(ctx, {
    action: "container.checkpoint",
    target: target(c),
    tenantId: c.tenantId,
    details: { sizeBytes: info.checkpoint?.sizeBytes ?? null },
  });
  return info;
}

/** Freezes every process of the container (suspend) or thaws them (resume); resume also restores a checkpoint. */
export async function suspendResume(ctx: Ctx, c: FullContainer, action: "suspend" | "resume") {
  if (action === "resume") assertNotSuspended(c, ctx.actor.role);
  const info = await engineFor(c.node.endpoint).call(action === "suspend" ? "container.suspend" : "container.resume", {
    ctid: c.ctid,
  });
  await ctx.db.container.update({ where: { id: c.id }, data: { state: info.state } });
  await audit(ctx, { action: `container.${action}`, target: target(c), tenantId: c.tenantId });
  return info;
}
