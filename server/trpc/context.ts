/**
 * Per-request context: who calls (session cookie or bearer API token; server/auth/request.ts), from where,
 * and a way to set cookies. Built from a Fetch Request by the Next route handler; tests build it with
 * makeContext().
 */
import { authenticateRequest, type RequestAuth } from "../auth/request.js";
import { db as defaultDb, type Db } from "../db/client.js";

export interface Context extends RequestAuth {
  db: Db;
  setCookie: (cookie: string) => void;
}

export function makeContext(p: Partial<Context> & { db: Db }): Context {
  return {
    actor: null,
    pendingSecondFactor: null,
    ip: "127.0.0.1",
    userAgent: "test",
    sameOrigin: true,
    setCookie: () => {},
    ...p,
  };
}

export async function createContext(req: Request, resHeaders: Headers): Promise<Context> {
  const d = defaultDb();
  return { db: d, ...(await authenticateRequest(d, req)), setCookie: (c) => resHeaders.append("set-cookie", c) };
}
