/** Calls of the billing API (v1) in handler tests: Fetch Requests into handleApi with a token of a world's user. */
import { handleApi } from "../../api/v1/http.js";
import type { Db } from "../../db/client.js";
import { as, type World } from "./world.js";

export interface ApiAnswer {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export type Api = (
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<ApiAnswer>;

export function apiWith(db: Db, token: string | null): Api {
  return async (method, path, body, headers = {}) => {
    const res = await handleApi(
      new Request(`http://panel.test/api/v1${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
          ...headers,
        },
        ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
      }),
      db,
    );
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
  };
}

/** An API token of one of the world's users (its own role) and a client using it. */
export async function apiAs(w: World, who: keyof World["actors"]): Promise<Api> {
  const t = await as(w, who).tokens.create({ name: `api-${who}-${Math.random().toString(36).slice(2, 8)}` });
  return apiWith(w.db, t.token);
}
