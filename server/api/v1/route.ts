/**
 * One route of the billing API (v1): method, path, who may call it, the zod schemas of its parameters, query,
 * body and answers, and its handler. The table of these (routes.ts) drives both the dispatch (http.ts) and the
 * OpenAPI document (openapi.ts), so what is documented is what is checked.
 */
import type { z } from "zod/v4";
import type { Actor, Role } from "../../auth/roles.js";
import type { Db } from "../../db/client.js";

export type Method = "GET" | "POST" | "PUT" | "DELETE";

export interface ApiCtx {
  db: Db;
  actor: Actor;
  ip: string | null;
  userAgent: string | null;
  /** the tenants the caller may see; null = all (admin) */
  scope: string[] | null;
  /** scheme://host the caller reached the panel at (for links it hands out) */
  origin: string;
}

export interface Call<P, Q, B> {
  ctx: ApiCtx;
  params: P;
  query: Q;
  body: B;
}

export interface Reply {
  status: number;
  body: unknown;
}

type Obj = z.ZodObject;

export interface ApiRoute {
  method: Method;
  /** below /api/v1, with {name} for a path parameter */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: "customers" | "containers" | "operations" | "plans" | "settings";
  roles: readonly Role[];
  params?: Obj;
  query?: Obj;
  body?: Obj;
  /** creates: an Idempotency-Key header makes a repeat return the first answer */
  idempotent?: boolean;
  /** the success status and its schema */
  status: number;
  response: z.ZodType;
  responseDescription: string;
  /** the error statuses this route documents besides 400, 401 and 403 */
  errors?: number[];
  run(call: Call<unknown, unknown, unknown>): Promise<unknown>;
}

/** A typed route: the handler gets the parsed params, query and body. */
export function route<P extends Obj | undefined, Q extends Obj | undefined, B extends Obj | undefined>(r: {
  method: Method;
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: ApiRoute["tag"];
  roles: readonly Role[];
  params?: P;
  query?: Q;
  body?: B;
  idempotent?: boolean;
  status: number;
  response: z.ZodType;
  responseDescription: string;
  errors?: number[];
  run(
    call: Call<
      P extends Obj ? z.output<P> : undefined,
      Q extends Obj ? z.output<Q> : undefined,
      B extends Obj ? z.output<B> : undefined
    >,
  ): Promise<unknown>;
}): ApiRoute {
  return r as unknown as ApiRoute;
}

export const ANY_ROLE = ["admin", "reseller", "customer"] as const;
export const SELLERS = ["admin", "reseller"] as const;
