/**
 * The Templates page's actions on one node (admins only): list, delete (refused while the panel's containers
 * on that node or any plan use the name; the engine refuses too while its own records do), build (template.build
 * as an operation) and upload (a tarball streamed through to the engine's template.upload, as an operation whose
 * first half is the bytes arriving and whose second half is the engine's import).
 */
import type { Readable } from "node:stream";
import { templateNameSchema, TEMPLATE_NAME_RULE } from "../../native/src/identity.js";
import { MAX_TEMPLATE_UPLOAD_BYTES } from "../../native/src/protocol/schema.js";
import type { Actor } from "../auth/roles.js";
import type { Db } from "../db/client.js";
import { engineFor, uploadTemplateTo, type TemplateUploader } from "../engine/index.js";
import { PanelError } from "../errors.js";
import { audit, type AuditCtx } from "./audit.js";
import { relay, startOperation } from "./operations.js";

export interface TemplateCtx extends AuditCtx {
  actor: Actor;
}

export const TEMPLATE_KINDS = ["busybox", "debian-12"] as const;

/** The largest upload the panel takes: OVZ_TEMPLATE_UPLOAD_MAX_MB (default 2048 MiB), at most the engine's 8 GiB. */
export function maxUploadBytes(): number {
  const mb = Number(process.env.OVZ_TEMPLATE_UPLOAD_MAX_MB ?? 2048);
  const bytes = Number.isFinite(mb) && mb > 0 ? Math.floor(mb * 1024 * 1024) : 2048 * 1024 * 1024;
  return Math.min(bytes, MAX_TEMPLATE_UPLOAD_BYTES);
}

function requireAdmin(actor: Actor): void {
  if (actor.role !== "admin") throw new PanelError("FORBIDDEN", "Only administrators manage templates.");
}

export function checkTemplateName(name: unknown): string {
  const r = templateNameSchema.safeParse(name);
  if (!r.success)
    throw new PanelError("BAD_REQUEST", `Give the template a name: ${TEMPLATE_NAME_RULE}.`, {
      name: `Use ${TEMPLATE_NAME_RULE}.`,
    });
  return r.data;
}

async function nodeOf(db: Db, nodeId: string) {
  const n = await db.node.findUnique({ where: { id: nodeId } });
  if (!n) throw new PanelError("NOT_FOUND", "No such node.");
  return n;
}

export async function listTemplatesOn(ctx: TemplateCtx, nodeId: string) {
  requireAdmin(ctx.actor);
  const n = await nodeOf(ctx.db, nodeId);
  return engineFor(n.endpoint).call("template.list", {});
}

async function refuseTaken(endpoint: string, nodeName: string, name: string): Promise<void> {
  const list = await engineFor(endpoint).call("template.list", {});
  if (list.some((t) => t.name === name))
    throw new PanelError(
      "CONFLICT",
      `Template ${name} already exists on node ${nodeName}; delete it first or choose another name.`,
      { name: "A template of this name exists on the node." },
    );
}

/** Refused while a container of the panel on that node, or a plan, uses the template. */
export async function deleteTemplateOn(ctx: TemplateCtx, nodeId: string, name: string) {
  requireAdmin(ctx.actor);
  checkTemplateName(name);
  const n = await nodeOf(ctx.db, nodeId);
  const users = await ctx.db.container.findMany({
    where: { nodeId: n.id, template: name, state: { not: "destroyed" } },
    select: { ctid: true },
    orderBy: { ctid: "asc" },
    take: 20,
  });
  if (users.length)
    throw new PanelError(
      "CONFLICT",
      `Template ${name} is used by container${users.length > 1 ? "s" : ""} ${users.map((c) => c.ctid).join(", ")} ` +
        `on node ${n.name}; destroy or reinstall ${users.length > 1 ? "them" : "it"} first.`,
    );
  const plans = (await ctx.db.plan.findMany({ select: { name: true, templates: true }, orderBy: { name: "asc" } }))
    .filter((p) => {
      try {
        return (JSON.parse(p.templates) as unknown[]).includes(name);
      } catch {
        return false;
      }
    })
    .map((p) => `"${p.name}"`);
  if (plans.length)
    throw new PanelError(
      "CONFLICT",
      `Template ${name} is offered by plan${plans.length > 1 ? "s" : ""} ${plans.join(", ")}; ` +
        "remove it from the plan's templates first, so that nobody is offered a template that is gone.",
    );
  await engineFor(n.endpoint).call("template.delete", { name });
  await audit(ctx, { action: "template.delete", target: `template ${name} on node ${n.name}`, tenantId: null });
  return { ok: true as const };
}

/** template.build as an operation (debian-12 needs the node to reach its Debian mirror, OVZ_DEBIAN_MIRROR). */
export async function buildTemplateOn(
  ctx: TemplateCtx,
  input: { nodeId: string; kind: (typeof TEMPLATE_KINDS)[number]; name?: string },
) {
  requireAdmin(ctx.actor);
  const name = checkTemplateName(input.name ?? input.kind);
  const n = await nodeOf(ctx.db, input.nodeId);
  await refuseTaken(n.endpoint, n.name, name);
  const op = await startOperation(
    ctx.db,
    ctx.actor,
    { type: "template", tenantId: ctx.actor.tenantId, containerId: null, message: `Building ${name} on ${n.name}` },
    async (h) => {
      h.log(`building template ${name} (${input.kind}) on node ${n.name}`);
      const meta = await engineFor(n.endpoint).call(
        "template.build",
        { kind: input.kind, name },
        { onEvent: relay(h, 0, 100) },
      );
      h.log(`template ${meta.name}: ${meta.distro} ${meta.release} ${meta.arch}, ${meta.sizeBytes} bytes`);
    },
  );
  await audit(ctx, {
    action: "template.build",
    target: `template ${name} on node ${n.name}`,
    tenantId: null,
    details: { kind: input.kind },
  });
  return { operationId: op.id };
}

/**
 * An upload as an operation: `body` (exactly `sizeBytes`) streams to the node's engine, which stores it in its
 * own temp file and imports it. Progress: 0–50 % while the bytes arrive, 50–100 % the engine's import.
 * Resolves with the operation once it runs; refusals before that (role, name, size, node, a taken name) throw.
 */
export async function uploadTemplateOn(
  ctx: TemplateCtx,
  input: { nodeId: string; name: string; sizeBytes: number; body: Readable },
  upload: TemplateUploader = uploadTemplateTo,
) {
  requireAdmin(ctx.actor);
  const name = checkTemplateName(input.name);
  const max = maxUploadBytes();
  if (!Number.isSafeInteger(input.sizeBytes) || input.sizeBytes <= 0)
    throw new PanelError("BAD_REQUEST", "Choose a tarball file that is not empty (.tar.gz, .tar.zst or .tar.xz).");
  if (input.sizeBytes > max)
    throw new PanelError(
      "BAD_REQUEST",
      `The file is ${mib(input.sizeBytes)}; templates uploaded from the panel may be at most ${mib(max)} ` +
        "(OVZ_TEMPLATE_UPLOAD_MAX_MB). Import a larger one on the node with vzctl's template import.",
    );
  const n = await nodeOf(ctx.db, input.nodeId);
  await refuseTaken(n.endpoint, n.name, name);
  const size = input.sizeBytes;
  const op = await startOperation(
    ctx.db,
    ctx.actor,
    { type: "template", tenantId: ctx.actor.tenantId, containerId: null, message: `Uploading ${name} to ${n.name}` },
    async (h) => {
      h.log(`uploading template ${name} (${amount(size)}) to node ${n.name}`);
      let sent = 0;
      let shown = 0;
      const meta = await upload(n.endpoint, { name, sizeBytes: size }, input.body, {
        onSent: (b) => {
          sent += b;
          const pct = Math.floor((sent * 50) / size);
          if (pct >= shown + 5 || sent === size) {
            shown = pct;
            h.progress(pct, `Received ${mib(sent)} of ${mib(size)}`);
          }
        },
        onEvent: relay(h, 50, 50),
      });
      h.log(`template ${meta.name}: ${meta.distro} ${meta.release} ${meta.arch}, init ${meta.init}`);
    },
  );
  await audit(ctx, {
    action: "template.upload",
    target: `template ${name} on node ${n.name}`,
    tenantId: null,
    details: { sizeBytes: size },
  });
  return op;
}

/** KiB below 1 MiB (a small upload's progress would read "0.0 MiB"). */
function amount(bytes: number): string {
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : mib(bytes);
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
