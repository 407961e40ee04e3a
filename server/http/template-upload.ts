/**
 * POST /api/templates/upload?nodeId=<node>&name=<template>: the body is the tarball itself (.tar.gz, .tar.zst or
 * .tar.xz; its size in Content-Length). Served by main.ts before Next, so the bytes stream through to the node's
 * engine (template.upload) without being buffered or written anywhere by the panel. Admins only, from the panel's
 * own pages (a session cookie from another site is refused). The answer comes once the bytes have arrived (or
 * the engine refused them): 202 {operationId}; the import goes on as that operation. Refusals before any byte
 * is read: JSON {error, code} with the panel's one status mapping, and the connection is closed (the rest of
 * the body is not read).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { authenticateRequest } from "../auth/request.js";
import { db as defaultDb, type Db } from "../db/client.js";
import type { TemplateUploader } from "../engine/index.js";
import { PanelError } from "../errors.js";
import { waitForOperation } from "../services/operations.js";
import { uploadTemplateOn } from "../services/templates.js";
import { FIXED_SECURITY_HEADERS } from "../web/security-headers.js";
import { headersOf } from "./console.js";
import { httpErrorOf } from "./errors.js";

export const TEMPLATE_UPLOAD_PATH = "/api/templates/upload";

export function isTemplateUpload(req: IncomingMessage): boolean {
  return new URL(req.url ?? "/", "http://localhost").pathname === TEMPLATE_UPLOAD_PATH;
}

function reply(res: ServerResponse, status: number, body: unknown, close = false): void {
  res.statusCode = status;
  for (const [name, value] of FIXED_SECURITY_HEADERS) res.setHeader(name, value);
  res.setHeader("content-type", "application/json");
  res.setHeader("cache-control", "no-store");
  if (close) res.setHeader("connection", "close");
  res.end(JSON.stringify(body) + "\n");
}

export async function handleTemplateUpload(
  req: IncomingMessage,
  res: ServerResponse,
  db: Db = defaultDb(),
  upload?: TemplateUploader,
): Promise<void> {
  let opId: string;
  try {
    opId = await start(req, db, upload);
  } catch (e) {
    const h = httpErrorOf(e);
    if (h.status >= 500) console.error("[panel] template upload failed", e);
    res.once("finish", () => req.destroy());
    return reply(res, h.status, { error: h.message, code: h.code }, true);
  }
  // the bytes have arrived, or the operation ended first (the engine refused them): either way it tells the rest
  await Promise.race([
    new Promise((resolve) => {
      req.once("end", resolve);
      req.once("close", resolve);
    }),
    waitForOperation(opId),
  ]);
  req.resume(); // after an early refusal the rest of the body is read and dropped
  reply(res, 202, { operationId: opId });
}

async function start(req: IncomingMessage, db: Db, upload?: TemplateUploader): Promise<string> {
  if (req.method !== "POST") throw new PanelError("BAD_REQUEST", "Upload a template with POST.");
  const url = new URL(req.url ?? "/", "http://localhost");
  const headers = headersOf(req);
  const auth = await authenticateRequest(db, new Request(new URL(url.pathname, "http://localhost"), { headers }));
  if (!auth.actor)
    throw new PanelError("UNAUTHORIZED", "You are not logged in (or your session expired). Log in again.");
  if (!auth.sameOrigin)
    throw new PanelError(
      "FORBIDDEN",
      "Upload refused: it did not come from the panel's own pages (cross-site request).",
    );
  const length = req.headers["content-length"];
  if (length === undefined || !/^\d{1,16}$/.test(length))
    throw new PanelError("BAD_REQUEST", "The upload needs a Content-Length header (the file's size in bytes).");
  const op = await uploadTemplateOn(
    { db, actor: auth.actor, ip: auth.ip, userAgent: auth.userAgent },
    {
      nodeId: (url.searchParams.get("nodeId") ?? "").slice(0, 64),
      name: url.searchParams.get("name") ?? "",
      sizeBytes: Number(length),
      body: req,
    },
    upload,
  );
  return op.id;
}
