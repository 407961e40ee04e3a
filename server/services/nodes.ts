/**
 * Nodes: engines the panel reaches through a Unix socket on its own host, or — joined with a one-time
 * token — over TCP with mutual TLS (tls://HOST:PORT, native/src/protocol/dial.ts).
 *
 * Joining: an admin creates a token for a node name and the address the node's engine will listen on
 * (createJoinToken; the token is shown once, the database keeps its sha256, it expires after an hour).
 * On the node, `ovz-node join` (native/src/tools/node-join.ts) makes a key and a CSR and POSTs
 * {token, csr, listen} to /api/nodes/join (joinNode): the token is checked and claimed atomically (it
 * works once), the panel's CA signs the CSR as a server certificate for that address, the Node row is
 * created with endpoint tls://listen, and the node gets its certificate and the panel's CA.
 *
 * More than one node needs PostgreSQL: the SQLite default serves a single node, so a second one (a join
 * token, a join, nodes.create) is refused there with what to do.
 */
import crypto from "node:crypto";
import { z } from "zod";
import type { Actor } from "../auth/roles.js";
import { sha256Hex } from "../auth/crypto.js";
import { providerOfDb, type Db } from "../db/client.js";
import { forgetEngine } from "../engine/index.js";
import { PanelError } from "../errors.js";
import { formatEndpoint, formatHostPort, parseEndpoint, parseHostPort } from "../../native/src/protocol/dial.js";
import { checkCsr, CsrError } from "../../native/src/pki.js";
import { audit, type AuditCtx } from "./audit.js";
import { ensurePanelPki, signNodeCertificate } from "./pki.js";

export const JOIN_TOKEN_TTL_MS = 60 * 60 * 1000;
export const NODE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export type EndpointKind = "socket" | "tls";

/** "socket" (a Unix socket on the panel's host) or "tls" (a joined node); null for a malformed endpoint. */
export function endpointKind(endpoint: string): EndpointKind | null {
  try {
    return parseEndpoint(endpoint).kind === "unix" ? "socket" : "tls";
  } catch {
    return null;
  }
}

/** A new join token: 32 random bytes, base64url (43 characters). */
export function newJoinToken(): string {
  return crypto.randomBytes(32).toString("base64url");
}

export function hashJoinToken(token: string): string {
  return sha256Hex(token);
}

export const JOIN_TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;

/** HOST:PORT as stored and dialled (IPv6 bracketed, lower case); PanelError naming the field otherwise. */
export function normalizeListen(listen: string, field = "listen"): string {
  try {
    const hp = parseHostPort(listen.trim());
    return formatHostPort(hp.host, hp.port);
  } catch (e) {
    throw new PanelError("BAD_REQUEST", `Node address: ${(e as Error).message}.`, {
      [field]: "give HOST:PORT, like 198.18.250.2:7443",
    });
  }
}

/**
 * SQLite serves one node. `adding` says what would add one, for the message. Refused when a node exists
 * already (checked again at join: tokens made while there was none).
 */
export async function assertRoomForAnotherNode(db: Db, adding: string): Promise<void> {
  if (providerOfDb(db) !== "sqlite") return;
  const n = await db.node.count();
  if (n === 0) return;
  throw new PanelError(
    "CONFLICT",
    `${adding} would make a second node, and the panel's database is SQLite, which serves a single node. ` +
      `Move the control plane to PostgreSQL first (DATABASE_URL=postgresql://…, see the README section "PostgreSQL"), then add nodes.`,
  );
}

const panelUrlSchema = z
  .string()
  .trim()
  .max(300)
  .refine((s) => {
    try {
      const u = new URL(s);
      return (
        (u.protocol === "http:" || u.protocol === "https:") &&
        !u.username &&
        !u.password &&
        !u.search &&
        !u.hash &&
        (u.pathname === "/" || u.pathname === "")
      );
    } catch {
      return false;
    }
  }, "give the panel's address as the node reaches it, like http://198.18.250.1:3000");

export const createJoinTokenInput = z.object({
  nodeName: z.string().trim().regex(NODE_NAME, "use a-z, 0-9 and dashes"),
  listen: z.string().trim().min(3).max(300),
  panelUrl: panelUrlSchema,
});

interface ActorCtx extends AuditCtx {
  actor: Actor;
}

export async function createJoinToken(ctx: ActorCtx, input: z.infer<typeof createJoinTokenInput>, now = new Date()) {
  const listen = normalizeListen(input.listen);
  const endpoint = `tls://${listen}`;
  const panelUrl = new URL(input.panelUrl).origin;
  await assertRoomForAnotherNode(ctx.db, "A join token");
  if (await ctx.db.node.findUnique({ where: { name: input.nodeName } })) {
    throw new PanelError("CONFLICT", `A node named ${input.nodeName} exists; choose another name.`, {
      nodeName: "already exists",
    });
  }
  if (await ctx.db.node.findFirst({ where: { endpoint } })) {
    throw new PanelError("CONFLICT", `A node with the address ${listen} exists already.`, { listen: "already a node" });
  }
  const pending = await ctx.db.nodeJoinToken.findFirst({
    where: { nodeName: input.nodeName, usedAt: null, revokedAt: null, expiresAt: { gt: now } },
  });
  if (pending)
    throw new PanelError(
      "CONFLICT",
      `A join token for ${input.nodeName} is pending (until ${pending.expiresAt.toISOString()}); revoke it first.`,
      { nodeName: "has a pending token" },
    );
  const pki = await ensurePanelPki();
  const token = newJoinToken();
  const row = await ctx.db.nodeJoinToken.create({
    data: {
      nodeName: input.nodeName,
      listen,
      tokenHash: hashJoinToken(token),
      expiresAt: new Date(now.getTime() + JOIN_TOKEN_TTL_MS),
      createdBy: ctx.actor.label,
    },
  });
  await audit(ctx, {
    action: "node.joinToken.create",
    target: `node ${input.nodeName}`,
    tenantId: null,
    details: { listen, expiresAt: row.expiresAt.toISOString() },
  });
  const command = joinCommand({ panelUrl, token, caSha256: pki.caSha256, listen });
  return {
    id: row.id,
    nodeName: row.nodeName,
    listen,
    expiresAt: row.expiresAt,
    token,
    caSha256: pki.caSha256,
    command,
  };
}

/**
 * The command the Nodes page shows. The token goes in the environment (OVZ_JOIN_TOKEN=…), not in ovz-node's
 * arguments: a command line is readable by every local user of the node in the process list, an environment
 * only by root. A base64url token needs no quoting in a shell.
 */
export function joinCommand(o: { panelUrl: string; token: string; caSha256: string; listen: string }): string {
  return [
    `OVZ_JOIN_TOKEN=${o.token}`,
    "ovz-node",
    "join",
    "--panel",
    o.panelUrl,
    "--ca-sha256",
    o.caSha256,
    "--listen",
    o.listen,
  ].join(" ");
}

/** Tokens that may still be used (never the token itself: only its hash is stored). */
export function pendingJoinTokens(db: Db, now = new Date()) {
  return db.nodeJoinToken.findMany({
    where: { usedAt: null, revokedAt: null, expiresAt: { gt: now } },
    orderBy: { createdAt: "asc" },
    select: { id: true, nodeName: true, listen: true, expiresAt: true, createdAt: true, createdBy: true },
  });
}

export async function revokeJoinToken(ctx: ActorCtx, id: string, now = new Date()) {
  const r = await ctx.db.nodeJoinToken.updateMany({
    where: { id, usedAt: null, revokedAt: null },
    data: { revokedAt: now },
  });
  if (r.count !== 1) throw new PanelError("NOT_FOUND", "No such pending join token (it was used or revoked already).");
  const t = await ctx.db.nodeJoinToken.findUniqueOrThrow({ where: { id } });
  await audit(ctx, { action: "node.joinToken.revoke", target: `node ${t.nodeName}`, tenantId: null });
  return { ok: true as const };
}

export const joinRequest = z.object({
  token: z.string().max(200),
  csr: z.string().max(16 * 1024),
  listen: z.string().max(300),
});

export interface JoinResult {
  nodeName: string;
  endpoint: string;
  /** PEM: the node's server certificate, signed by the panel's CA */
  cert: string;
  /** PEM: the panel's CA (the node trusts only clients it signed) */
  caCert: string;
}

const BAD_TOKEN = "create a new one on the panel's Nodes page and run the command it shows";

/** The join itself (POST /api/nodes/join). Anonymous: the token is the credential. */
export async function joinNode(ctx: Omit<AuditCtx, "actor">, input: unknown, now = new Date()): Promise<JoinResult> {
  const parsed = joinRequest.safeParse(input);
  if (!parsed.success) throw new PanelError("BAD_REQUEST", "The join request must be JSON {token, csr, listen}.");
  const body = parsed.data;
  if (!JOIN_TOKEN_FORMAT.test(body.token))
    throw new PanelError("UNAUTHORIZED", `That is not a join token (43 characters of A-Z a-z 0-9 _ -); ${BAD_TOKEN}.`);
  const t = await ctx.db.nodeJoinToken.findUnique({ where: { tokenHash: hashJoinToken(body.token) } });
  if (!t) throw new PanelError("UNAUTHORIZED", `This join token is not known to this panel; ${BAD_TOKEN}.`);
  if (t.revokedAt) throw new PanelError("UNAUTHORIZED", `This join token was revoked; ${BAD_TOKEN}.`);
  if (t.usedAt)
    throw new PanelError(
      "UNAUTHORIZED",
      `This join token was used already (at ${t.usedAt.toISOString()}); a token works once: ${BAD_TOKEN}.`,
    );
  if (t.expiresAt.getTime() <= now.getTime())
    throw new PanelError("UNAUTHORIZED", `This join token expired at ${t.expiresAt.toISOString()}; ${BAD_TOKEN}.`);
  const listen = normalizeListen(body.listen);
  if (listen !== t.listen) {
    throw new PanelError(
      "BAD_REQUEST",
      `This join token is for a node listening on ${t.listen}, not ${listen}; run the command exactly as the Nodes page shows it, or create a token for ${listen}.`,
    );
  }
  await assertRoomForAnotherNode(ctx.db, "This join");
  if (await ctx.db.node.findUnique({ where: { name: t.nodeName } }))
    throw new PanelError(
      "CONFLICT",
      `A node named ${t.nodeName} exists already; revoke this token and create one with another name.`,
    );
  try {
    await checkCsr(body.csr);
  } catch (e) {
    if (e instanceof CsrError) throw new PanelError("BAD_REQUEST", `Certificate request refused: ${e.message}.`);
    throw e;
  }
  const hp = parseHostPort(listen);
  const endpoint = formatEndpoint({ kind: "tls", ...hp });
  // signed before the token is claimed: a request that loses the race below never sees its certificate
  const { cert, caCert } = await signNodeCertificate({
    csrPem: body.csr.trim() + "\n",
    nodeName: t.nodeName,
    host: hp.host,
  });
  const node = await ctx.db.$transaction(async (tx) => {
    const claimed = await tx.nodeJoinToken.updateMany({
      where: { id: t.id, usedAt: null, revokedAt: null, expiresAt: { gt: now } },
      data: { usedAt: now },
    });
    if (claimed.count !== 1)
      throw new PanelError(
        "UNAUTHORIZED",
        `This join token was used just now by another request; a token works once: ${BAD_TOKEN}.`,
      );
    return tx.node.create({ data: { name: t.nodeName, endpoint } });
  });
  await audit(
    { ...ctx, actor: null },
    {
      action: "node.join",
      target: `node ${node.name}`,
      tenantId: null,
      actorLabel: `ovz-node join (token by ${t.createdBy})`,
      details: { endpoint, tokenId: t.id },
    },
  );
  return { nodeName: node.name, endpoint, cert, caCert };
}

/** Removes a node the panel no longer uses: refused while it has containers, backups or IP pools. */
export async function deleteNode(ctx: ActorCtx, nodeId: string) {
  const n = await ctx.db.node.findUnique({
    where: { id: nodeId },
    include: { _count: { select: { containers: true, backups: true, ipPools: true } } },
  });
  if (!n) throw new PanelError("NOT_FOUND", "No such node.");
  const uses = [
    n._count.containers && `${n._count.containers} container(s)`,
    n._count.backups && `${n._count.backups} backup(s)`,
    n._count.ipPools && `${n._count.ipPools} IP pool(s)`,
  ].filter(Boolean);
  if (uses.length) throw new PanelError("CONFLICT", `Node ${n.name} still has ${uses.join(", ")}; remove them first.`);
  await ctx.db.node.delete({ where: { id: n.id } });
  forgetEngine(n.endpoint);
  await audit(ctx, {
    action: "node.delete",
    target: `node ${n.name}`,
    tenantId: null,
    details: { endpoint: n.endpoint },
  });
  return { ok: true as const };
}
