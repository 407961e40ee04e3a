/** Reading tRPC errors: the human message, the domain code and field-level messages keyed by input path. */
export interface ErrInfo {
  message: string;
  code: string | null;
  domainCode: string | null;
  fields: Record<string, string>;
}

interface ErrorLike {
  message?: unknown;
  data?: { code?: unknown; domainCode?: unknown; fields?: unknown } | null;
}

export function errInfo(err: unknown): ErrInfo | null {
  if (!err) return null;
  const e = err as ErrorLike;
  const data = e.data ?? null;
  let message = typeof e.message === "string" && e.message ? e.message : "Something went wrong; try again.";
  if (!data && /fetch|network|Load failed/i.test(message)) {
    message = "Cannot reach the panel server; check your connection and try again.";
  }
  const fields: Record<string, string> = {};
  if (data && data.fields && typeof data.fields === "object") {
    for (const [k, v] of Object.entries(data.fields as Record<string, unknown>))
      if (typeof v === "string") fields[k] = v;
  }
  return {
    message,
    code: typeof data?.code === "string" ? data.code : null,
    domainCode: typeof data?.domainCode === "string" ? data.domainCode : null,
    fields,
  };
}

export function isUnauthorized(err: unknown): boolean {
  return errInfo(err)?.code === "UNAUTHORIZED";
}

/** Field error lookup that tolerates both "limits.ram" and "ram" style keys. */
export function fieldError(fields: Record<string, string> | undefined, ...keys: string[]): string | undefined {
  if (!fields) return undefined;
  for (const k of keys) if (fields[k]) return fields[k];
  return undefined;
}

const LOGOUT_REASON = "ovz-logout-reason";

/**
 * A session ended because the account is suspended (ACCOUNT_DISABLED): the reason, which says who to
 * contact, is kept for the login page the user is sent to. Other errors are ignored.
 */
export function rememberLogoutReason(err: unknown): void {
  const info = errInfo(err);
  if (info?.domainCode !== "ACCOUNT_DISABLED" || typeof window === "undefined") return;
  try {
    window.sessionStorage.setItem(LOGOUT_REASON, info.message);
  } catch {
    /* storage refused (private mode): the next login attempt says it again */
  }
}

/** The reason kept by rememberLogoutReason (kept across the reloads of the login page until a login). */
export function logoutReason(): string | null {
  try {
    return window.sessionStorage.getItem(LOGOUT_REASON);
  } catch {
    return null;
  }
}

/** A login succeeded: the reason of the last logout is old news. */
export function forgetLogoutReason(): void {
  try {
    window.sessionStorage.removeItem(LOGOUT_REASON);
  } catch {
    /* nothing kept */
  }
}
