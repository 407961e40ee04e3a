/**
 * Domain errors of the panel and the one place where they (and engine errors) become tRPC errors.
 * Handlers throw `new PanelError("QUOTA_EXCEEDED", "…what to do…")`; the error-mapping middleware in
 * server/trpc/init.ts calls toTRPCError. Anything unexpected becomes INTERNAL_SERVER_ERROR with a generic
 * sentence (the cause is logged, never shown: it may hold paths or SQL).
 */
import { TRPCError } from "@trpc/server";
import { ERROR_CODES, EngineError, type ErrorCode as EngineCode } from "../native/src/errors.js";

export type PanelCode =
  | "UNAUTHORIZED" // not logged in / bad token
  | "SECOND_FACTOR" // password ok, TOTP code still needed
  | "ACCOUNT_DISABLED" // the user, its tenant or its provider is disabled: the message says who to contact
  | "FORBIDDEN" // logged in, not allowed
  | "NOT_FOUND" // does not exist or not visible to the caller (never tell which)
  | "BAD_REQUEST"
  | "CONFLICT" // state does not allow it (busy, exists, in use)
  | "QUOTA_EXCEEDED" // reseller allocation or plan would be exceeded
  | "RATE_LIMITED"
  | "ENGINE_UNAVAILABLE" // the node's engine cannot be reached (server/engine/unavailable.ts)
  | "NODE_FAILED"; // the node's engine could not serve what was asked (a backup download): a bad gateway

export class PanelError extends Error {
  constructor(
    readonly code: PanelCode,
    message: string,
    readonly fields?: Record<string, string>,
    opts?: { cause?: unknown },
  ) {
    super(message, opts);
    this.name = "PanelError";
  }
}

type TrpcCode = TRPCError["code"];

const PANEL_TO_TRPC: Record<PanelCode, TrpcCode> = {
  UNAUTHORIZED: "UNAUTHORIZED",
  SECOND_FACTOR: "UNAUTHORIZED",
  ACCOUNT_DISABLED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  BAD_REQUEST: "BAD_REQUEST",
  CONFLICT: "CONFLICT",
  QUOTA_EXCEEDED: "FORBIDDEN",
  RATE_LIMITED: "TOO_MANY_REQUESTS",
  ENGINE_UNAVAILABLE: "SERVICE_UNAVAILABLE",
  NODE_FAILED: "BAD_GATEWAY",
};

const ENGINE_TO_TRPC: Record<EngineCode, TrpcCode> = {
  BAD_REQUEST: "BAD_REQUEST",
  PROTOCOL_VERSION: "INTERNAL_SERVER_ERROR",
  UNKNOWN_METHOD: "INTERNAL_SERVER_ERROR",
  NOT_FOUND: "NOT_FOUND",
  CTID_IN_USE: "CONFLICT",
  TEMPLATE_NOT_FOUND: "NOT_FOUND",
  TEMPLATE_EXISTS: "CONFLICT",
  TEMPLATE_IN_USE: "CONFLICT",
  TEMPLATE_INVALID: "BAD_REQUEST",
  LIMIT_OUT_OF_RANGE: "BAD_REQUEST",
  UNSUPPORTED: "BAD_REQUEST",
  NO_SPACE: "CONFLICT",
  RUNNING: "CONFLICT",
  NOT_RUNNING: "CONFLICT",
  FROZEN: "CONFLICT",
  CHECKPOINT_STALE: "CONFLICT",
  BUSY: "CONFLICT",
  TIMEOUT: "TIMEOUT",
  HOST_TOOL_FAILED: "INTERNAL_SERVER_ERROR",
  INTERNAL: "INTERNAL_SERVER_ERROR",
};

/** Extra data the client can read from error.data (field-level form errors, the domain code). */
export interface ErrorData {
  domainCode: string;
  fields?: Record<string, string>;
}

export class MappedError extends TRPCError {
  constructor(
    code: TrpcCode,
    message: string,
    readonly data: ErrorData,
    cause?: unknown,
  ) {
    super({ code, message, cause: cause instanceof Error ? cause : undefined });
  }
}

/**
 * An engine error, also one made by another copy of native/src/errors.ts: Next bundles the
 * instrumentation hook (recovery, traffic sampler) apart from the route handlers, both reach the same
 * cached engine clients (server/engine/index.ts), so `instanceof EngineError` alone misses the errors of
 * a client the other bundle created. `code` narrows to one engine code.
 */
export function isEngineError(e: unknown, code?: EngineCode): e is EngineError {
  const shaped =
    e instanceof EngineError ||
    (e instanceof Error &&
      e.name === "EngineError" &&
      (ERROR_CODES as readonly string[]).includes(String((e as { code?: unknown }).code)));
  return shaped && (code === undefined || (e as EngineError).code === code);
}

export function toTRPCError(err: unknown): TRPCError {
  if (err instanceof MappedError) return err;
  if (err instanceof PanelError)
    return new MappedError(PANEL_TO_TRPC[err.code], err.message, { domainCode: err.code, fields: err.fields }, err);
  if (isEngineError(err))
    return new MappedError(ENGINE_TO_TRPC[err.code], err.message, { domainCode: `ENGINE_${err.code}` }, err);
  if (err instanceof TRPCError) {
    // zod input errors arrive here as BAD_REQUEST with the ZodError as cause: keep them.
    return err;
  }
  if ((err as { code?: unknown } | null)?.code === "P2002") {
    // A unique constraint caught a race the handler's own check could not (two creates at once).
    return new MappedError(
      "CONFLICT",
      "That name, address or id was just taken by another request; choose another and try again.",
      { domainCode: "CONFLICT" },
      err,
    );
  }
  console.error("[panel] unexpected error", err);
  return new MappedError(
    "INTERNAL_SERVER_ERROR",
    "The panel hit an unexpected error; it was logged. Try again, and tell the administrator if it persists.",
    { domainCode: "INTERNAL" },
    err,
  );
}

/** A human sentence for an error stored in an operation's record. */
export function describeError(err: unknown): string {
  if (err instanceof PanelError || isEngineError(err)) return err.message;
  if (err instanceof TRPCError) return err.message;
  return "unexpected error (logged by the panel); retry, and tell the administrator if it persists";
}
