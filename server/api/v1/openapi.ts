/**
 * The billing API's OpenAPI 3.1 document, generated from the route table (routes.ts) and its zod schemas
 * (z.toJSONSchema of zod/v4: JSON Schema 2020-12, which OpenAPI 3.1 uses as is). Served at
 * /api/v1/openapi.json and rendered by the reference page (app/api-reference/page.tsx).
 */
import { z } from "zod/v4";
import { KEY_RE } from "../../services/idempotency.js";
import type { ApiRoute } from "./route.js";
import { ROUTES } from "./routes.js";
import { errorSchema } from "./schemas.js";

type Json = Record<string, unknown>;

/** A request schema as the client sends it ("input") or an answer as it comes ("output"). */
export function jsonSchema(s: z.ZodType, io: "input" | "output"): Json {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { io, unrepresentable: "any" }) as Json;
  return rest;
}

const ERROR_TEXT: Record<number, string> = {
  400: "the request is invalid (fields name the problems), or an Idempotency-Key where none is taken",
  401: "no valid API token",
  403: "the token's role may not do this, or a reseller's allocation would be exceeded (QUOTA_EXCEEDED)",
  404: "no such object, or not one the token's tenant may see",
  409: "the object's state does not allow it (busy, suspended, exists), or the Idempotency-Key was used for another request",
};

function operation(r: ApiRoute): Json {
  const parameters: Json[] = [];
  const addParams = (obj: z.ZodObject | undefined, where: "path" | "query") => {
    if (!obj) return;
    const s = jsonSchema(obj, "input") as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, schema] of Object.entries(s.properties ?? {})) {
      const { description, ...rest } = schema;
      parameters.push({
        name,
        in: where,
        required: where === "path" || (s.required ?? []).includes(name),
        ...(description ? { description } : {}),
        schema: rest,
      });
    }
  };
  addParams(r.params, "path");
  addParams(r.query, "query");
  if (r.idempotent)
    parameters.push({
      name: "Idempotency-Key",
      in: "header",
      required: false,
      description:
        "the same key and body again return the first answer (header Idempotent-Replayed: true) and make nothing; " +
        "the same key with another body is refused with 409",
      schema: { type: "string", pattern: KEY_RE.source },
    });
  const responses: Json = {
    [String(r.status)]: {
      description: r.responseDescription,
      content: { "application/json": { schema: jsonSchema(r.response, "output") } },
    },
  };
  for (const status of [...new Set([400, 401, 403, ...(r.errors ?? [])])].sort()) {
    responses[String(status)] = {
      description: ERROR_TEXT[status] ?? "error",
      content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
    };
  }
  const body = r.body ? jsonSchema(r.body, "input") : null;
  return {
    operationId: r.operationId,
    summary: r.summary,
    ...(r.description ? { description: r.description } : {}),
    tags: [r.tag],
    "x-roles": [...r.roles],
    ...(parameters.length ? { parameters } : {}),
    ...(body
      ? {
          requestBody: {
            required: ((body.required as string[] | undefined) ?? []).length > 0,
            content: { "application/json": { schema: body } },
          },
        }
      : {}),
    responses,
  };
}

let cached: Json | null = null;

export function openApiDocument(): Json {
  if (cached) return cached;
  const paths: Record<string, Json> = {
    "/openapi.json": {
      get: {
        operationId: "openApiDocument",
        summary: "This document",
        tags: ["meta"],
        security: [],
        responses: {
          "200": {
            description: "the OpenAPI 3.1 document",
            content: { "application/json": { schema: { type: "object" } } },
          },
        },
      },
    },
  };
  for (const r of ROUTES) (paths[r.path] ??= {})[r.method.toLowerCase()] = operation(r);
  cached = {
    openapi: "3.1.0",
    info: {
      title: "ovz panel billing API",
      version: "1.0.0",
      description:
        "For billing systems (WHMCS, Blesta, HostBill, …): customers, containers from plans, suspension, plan " +
        "changes, termination, usage and single sign-on. Authenticate with an API token of the panel " +
        "(Authorization: Bearer ovz_…); the token's role and tenant scope every call. Every change is audited.",
    },
    servers: [{ url: "/api/v1" }],
    security: [{ token: [] }],
    tags: [
      { name: "customers", description: "a customer: a tenant of the caller with its user" },
      { name: "containers", description: "containers of the caller's customers" },
      { name: "operations", description: "slow changes run as operations: poll them" },
      { name: "plans", description: "what the caller sells" },
      { name: "settings", description: "administrator settings" },
      { name: "meta", description: "this document" },
    ],
    components: {
      securitySchemes: {
        token: { type: "http", scheme: "bearer", description: "an API token of the panel: ovz_<id>_<secret>" },
      },
      schemas: { Error: jsonSchema(errorSchema, "output") },
    },
    paths,
  };
  return cached;
}
