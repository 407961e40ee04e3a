/**
 * Quick container actions that call the node's engine directly (no operation): root's SSH keys, limits,
 * root's password, and the usage read-out.
 */
import type { Actor } from "../auth/roles.js";
import type { Db } from "../db/client.js";
import { PanelError } from "../errors.js";
import { checkSshKeyLines, MAX_SSH_KEYS } from "../../native/src/ssh-keys.js";
import { humanizeIssues } from "../trpc/validation-messages.js";
import { audit, type AuditCtx } from "./audit.js";
import { limitsPatchSchema, parseJson, type LimitsPatch } from "./limits.js";
import { engineOf, type FullContainer } from "./container-state.js";

type Ctx = AuditCtx & { db: Db; actor: Actor };

/**
 * The text kept for the form: keys with their spacing normalised, comment lines (# who, which laptop) and
 * the blank lines between groups kept as typed, so they are there when the form is opened again; the
 * engine writes the keys alone.
 */
export function keysText(text: string): string {
  const lines = text.split("\n").map((raw) => {
    const line = raw.trim();
    return !line || line.startsWith("#") ? line : line.split(/\s+/).join(" ");
  });
  return lines
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

/** Store root's SSH keys (validated) and write them into the container (running or stopped). */
export async function setSshKeys(ctx: Ctx, c: FullContainer, text: string) {
  const { keys, bad } = checkSshKeyLines(text);
  if (bad.length)
    throw new PanelError("BAD_REQUEST", `Invalid SSH public key(s): ${bad.join("; ")}.`, { keys: bad.join("; ") });
  if (keys.length > MAX_SSH_KEYS)
    throw new PanelError("BAD_REQUEST", `At most ${MAX_SSH_KEYS} keys; remove some.`, {
      keys: `at most ${MAX_SSH_KEYS}`,
    });
  const stored = keysText(text);
  await engineOf(c).call("container.sshkeys.set", { ctid: c.ctid, keys: stored });
  await ctx.db.container.update({ where: { id: c.id }, data: { sshKeys: stored } });
  await audit(ctx, {
    action: "container.setSshKeys",
    target: `container ${c.ctid} (${c.hostname})`,
    tenantId: c.tenantId,
    details: {
      keys: keys.length,
      fingerprints: keys.map((k) => k.split(" ").slice(0, 1).concat(k.split(" ")[1]!.slice(-12)).join(" …")),
    },
  });
  return { count: keys.length };
}

export async function setLimits(ctx: Ctx, c: FullContainer, patchIn: unknown) {
  const parsed = limitsPatchSchema.safeParse(patchIn);
  if (!parsed.success) {
    // keyed like the limit forms' inputs ("limits.ram"), named by label in the message
    const { message, fields } = humanizeIssues(parsed.error.issues.map((i) => ({ ...i, path: ["limits", ...i.path] })));
    throw new PanelError("BAD_REQUEST", message, fields);
  }
  const patch: LimitsPatch = parsed.data;
  if (Object.keys(patch).length === 0)
    throw new PanelError("BAD_REQUEST", "No limit given; change at least one value.");
  const overrides = { ...parseJson<LimitsPatch>(c.overrides, {}), ...patch };
  const info = await engineOf(c).call("container.set", { ctid: c.ctid, limits: patch });
  await ctx.db.container.update({
    where: { id: c.id },
    data: { overrides: JSON.stringify(overrides), state: info.state },
  });
  await audit(ctx, {
    action: "container.setLimits",
    target: `container ${c.ctid} (${c.hostname})`,
    tenantId: c.tenantId,
    details: { ...patch, live: info.state === "running" },
  });
  return { limits: info.limits, appliedLive: info.state === "running" };
}

export async function resetRootPassword(ctx: Ctx, c: FullContainer, password: string) {
  await engineOf(c).call("container.passwd", { ctid: c.ctid, user: "root", password });
  await audit(ctx, {
    action: "container.resetPassword",
    target: `container ${c.ctid} (${c.hostname})`,
    tenantId: c.tenantId,
    details: { user: "root" },
  });
  return { ok: true as const };
}

/**
 * The end of the container's console output: what its init and boot scripts wrote to /dev/console, kept by its
 * node's engine (bounded; across restarts, removed with the container). Read-only, so not audited.
 */
export async function bootLog(c: FullContainer, maxKb: number) {
  const r = await engineOf(c).call("container.bootlog", { ctid: c.ctid, maxBytes: maxKb * 1024 });
  return { enabled: r.enabled, text: r.text, bytes: r.bytes, truncated: r.truncated, readAt: new Date() };
}

export async function usage(c: FullContainer) {
  const eng = engineOf(c);
  try {
    const [status, limits, counters] = await Promise.all([
      eng.call("container.status", { ctid: c.ctid }),
      eng.call("container.limits", { ctid: c.ctid }),
      eng.call("container.beancounters", { ctid: c.ctid }),
    ]);
    return {
      available: true as const,
      state: status.state,
      initPid: status.initPid,
      configured: limits.configured,
      disk: limits.disk,
      beancounters: counters,
    };
  } catch (e) {
    return { available: false as const, reason: e instanceof Error ? e.message : "engine unavailable" };
  }
}
