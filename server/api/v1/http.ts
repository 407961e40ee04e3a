/**
 * The billing API's (v1) request handling, for app/api/v1/[...path]/route.ts: match the route, authenticate
 * the API token (server/auth/request.ts; session cookies are not accepted here), check the role, validate
 * the path, query and body with the route's schemas, run it (idempotently when the route allows and an
 * Idempotency-Key is sent) and answer JSON. Errors are JSON too: {error: {code, message, fields?}} with the
 * panel's one status mapping (server/http/errors.ts).
 */
import type { z } from "zod/v4";
import { authenticateRequest } from "../../auth/request.js";
import { db as defaultDb, type Db } from "../../db/client.js";
import { PanelError } from "../../errors.js";
import { httpErrorOf } from "../../http/errors.js";
import { idempotent } from "../../services/idempotency.js";
import { visibleTenantIds } from "../../services/scope.js";
import { openApiDocument } from "./openapi.js";
import type { ApiCtx, ApiRoute } from "./route.js";
import { matchRoute } from "./routes.js";

export const API_PREFIX = "/api/v1";
const MAX_BODY = 64 * 1024;

function json(status: number, body: unknown, extra: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body) + "\n", {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store", ...extra },
  });
}

function errorResponse(status: number, code: string, message: string, fields?: Record<string, string>): Response {
  return json(status, { error: { code, message, ...(fields ? { fields } : {}) } });
}

/** NUL characters and lone UTF-16 surrogates: neither database can store them. */
const UNSAFE_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
function unsafe(v: unknown, depth = 0): boolean {
  if (typeof v === "string") return UNSAFE_TEXT.test(v);
  if (v === null || typeof v !== "object" || depth > 16) return false;
  return Object.entries(v).some(([k, x]) => UNSAFE_TEXT.test(k) || unsafe(x, depth + 1));
}

function parse<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const fields: Record<string, string> = {};
  for (const i of r.error.issues) {
    const key = i.path.length ? i.path.map(String).join(".") : where;
    fields[key] ??= i.message;
  }
  const list = Object.entries(fields).map(([k, m]) => `${k}: ${m}`);
  throw new PanelError(
    "BAD_REQUEST",
    `The request's ${where} is invalid (${list.join("; ")}); correct it and send again.`,
    fields,
  );
}

async function readBody(req: Request, route: ApiRoute): Promise<unknown> {
  if (!route.body) return undefined;
  const text = await req.text();
  if (text.length > MAX_BODY)
    throw new PanelError("BAD_REQUEST", `The body is larger than ${MAX_BODY} bytes; send less.`);
  if (!text.trim()) return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new PanelError(
      "BAD_REQUEST",
      "The body is not valid JSON; send a JSON object (content-type: application/json).",
    );
  }
}

function originOf(req: Request): string {
  const url = new URL(req.url);
  const host = req.headers.get("x-forwarded-host") ?? req.headers.get("host") ?? url.host;
  const proto = req.headers.get("x-forwarded-proto") ?? url.protocol.replace(/:$/, "");
  return `${proto}://${host}`;
}

export async function handleApi(req: Request, db: Db = defaultDb()): Promise<Response> {
  const path = new URL(req.url).pathname.slice(API_PREFIX.length) || "/";
  try {
    if (req.method === "GET" && (path === "/openapi.json" || path === "/openapi.json/"))
      return json(200, openApiDocument());
    const m = matchRoute(req.method, path);
    if (m === null)
      return errorResponse(404, "NOT_FOUND", `There is no API route ${path}; see ${API_PREFIX}/openapi.json.`);
    if (m === "method")
      return errorResponse(
        405,
        "METHOD_NOT_ALLOWED",
        `${req.method} is not allowed on ${path}; see ${API_PREFIX}/openapi.json.`,
      );
    const { route, params } = m;
    const who = await authenticateRequest(db, req);
    if (!who.actor || who.actor.via !== "token")
      throw new PanelError(
        "UNAUTHORIZED",
        "Send a valid API token (Authorization: Bearer ovz_…); make one on the panel's Account page.",
      );
    const actor = who.actor;
    if (!route.roles.includes(actor.role))
      throw new PanelError(
        "FORBIDDEN",
        `This needs a token of role ${route.roles.join(" or ")}; this one is ${actor.role}.`,
      );
    const query = Object.fromEntries(new URL(req.url).searchParams);
    const rawBody = await readBody(req, route);
    if (unsafe(params) || unsafe(query) || unsafe(rawBody))
      throw new PanelError("BAD_REQUEST", "The request contains a NUL character or broken Unicode text; remove it.");
    const call = {
      ctx: {
        db,
        actor,
        ip: who.ip,
        userAgent: who.userAgent,
        scope: await visibleTenantIds(db, actor),
        origin: originOf(req),
      } satisfies ApiCtx,
      params: route.params ? parse(route.params, params, "path") : undefined,
      query: route.query ? parse(route.query, query, "query") : undefined,
      body: route.body ? parse(route.body, rawBody, "body") : undefined,
    };
    const run = async () => ({ status: route.status, body: await route.run(call) });
    const key = req.headers.get("idempotency-key");
    if (key !== null && !route.idempotent)
      throw new PanelError(
        "BAD_REQUEST",
        `${route.method} ${route.path} does not take an Idempotency-Key; leave it out.`,
      );
    if (key === null) {
      const r = await run();
      return json(r.status, r.body);
    }
    const owner = actor.tokenId ? `token:${actor.tokenId}` : `user:${actor.userId}`;
    const r = await idempotent(db, { owner, key, route: `${route.method} ${route.path}`, body: rawBody }, run);
    return json(r.status, r.body, r.replayed ? { "idempotent-replayed": "true" } : {});
  } catch (e) {
    const h = httpErrorOf(e);
    return errorResponse(h.status, h.code, h.message, e instanceof PanelError ? e.fields : undefined);
  }
}
