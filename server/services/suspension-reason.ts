/**
 * The rule for a suspension's reason, declared once: the panel's tRPC schema (zod 3, routers/schemas.ts) and the
 * billing API's (zod/v4, api/v1/schemas.ts) are both built from it, so the two cannot drift apart.
 */
export const SUSPEND_REASON = {
  maxLength: 500,
  empty: "give a reason (the customer sees it)",
  tooLong: "a reason is at most 500 characters",
} as const;
