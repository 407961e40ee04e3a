/**
 * Errors of the raw HTTP routes (backup download, node join, console upgrade) become HTTP statuses the way
 * tRPC's do: server/errors.ts toTRPCError, then tRPC's own code → status table. One mapping for the whole
 * panel; each route only chooses how its body looks (text, JSON, an upgrade refusal).
 */
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { MappedError, toTRPCError } from "../errors.js";

export interface HttpError {
  status: number;
  /** the sentence for the user (generic for unexpected errors, whose cause is logged) */
  message: string;
  /** the domain code, as tRPC clients read it in error.data.domainCode */
  code: string;
}

export function httpErrorOf(err: unknown): HttpError {
  const e = toTRPCError(err);
  return {
    status: getHTTPStatusCodeFromError(e),
    message: e.message,
    code: e instanceof MappedError ? e.data.domainCode : e.code,
  };
}

const NO_STORE = { "cache-control": "no-store" };

export function textResponse(status: number, message: string): Response {
  return new Response(message + "\n", {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", ...NO_STORE },
  });
}

export function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body) + "\n", {
    status,
    headers: { "content-type": "application/json", ...NO_STORE },
  });
}
