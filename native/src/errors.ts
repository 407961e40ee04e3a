/**
 * Typed engine errors. Every failure that reaches a caller is an EngineError with a stable
 * machine-readable `code`, a sentence for humans that says what to do, and an optional cause.
 * The protocol carries them as-is; the panel maps codes to HTTP/tRPC codes in one place.
 */
export const ERROR_CODES = [
  "BAD_REQUEST", // malformed request / failed validation
  "PROTOCOL_VERSION", // client speaks another protocol version
  "UNKNOWN_METHOD",
  "NOT_FOUND", // container does not exist
  "CTID_IN_USE",
  "TEMPLATE_NOT_FOUND",
  "TEMPLATE_EXISTS",
  "TEMPLATE_IN_USE",
  "TEMPLATE_INVALID",
  "LIMIT_OUT_OF_RANGE",
  "UNSUPPORTED", // the active driver cannot do this (e.g. inode limits on btrfs)
  "NO_SPACE", // not enough space in the storage pool
  "RUNNING", // operation needs a stopped container
  "NOT_RUNNING", // operation needs a running container
  "FROZEN", // container is suspended
  "CHECKPOINT_STALE", // the dump was made with another runtime config
  "BUSY", // another operation holds the container lock
  "TIMEOUT",
  "HOST_TOOL_FAILED", // a host command failed unexpectedly
  "INTERNAL",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  cause?: string;
  details?: Record<string, unknown>;
}

export class EngineError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, opts: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "EngineError";
    this.code = code;
    this.details = opts.details;
  }

  toInfo(): ErrorInfo {
    const info: ErrorInfo = { code: this.code, message: this.message };
    if (this.cause !== undefined) info.cause = causeText(this.cause);
    if (this.details) info.details = this.details;
    return info;
  }

  static fromInfo(info: ErrorInfo): EngineError {
    return new EngineError(info.code, info.message, { cause: info.cause, details: info.details });
  }
}

function causeText(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  return String(cause);
}

/** Wrap any thrown value as an EngineError, prefixing context ("Failed to start container 101: …"). */
export function wrapError(err: unknown, context: string, code: ErrorCode = "INTERNAL"): EngineError {
  if (err instanceof EngineError) {
    return new EngineError(err.code, `${context}: ${err.message}`, { cause: err.cause, details: err.details });
  }
  return new EngineError(code, `${context}: ${causeText(err)}`, { cause: err });
}

export function isEngineError(err: unknown, code?: ErrorCode): err is EngineError {
  return err instanceof EngineError && (code === undefined || err.code === code);
}
