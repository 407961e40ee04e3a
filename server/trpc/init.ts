/**
 * tRPC setup and the procedure builders. Authentication, role checks, CSRF and tenant scoping live
 * here, so a handler cannot forget them:
 *   publicProcedure         – anyone (login)
 *   authedProcedure         – a logged-in user or API token (ctx.actor, ctx.scope)
 *   roleProcedure(...roles) – only these roles
 *   containerProcedure(...) – input {containerId}; the container is loaded only if the caller's tenants
 *                             include its owner (else NOT_FOUND, never "forbidden": no existence leak)
 *   tenantProcedure(...)    – input {tenantId}; same rule for a tenant
 * Every error leaves through one mapping (server/errors.ts toTRPCError).
 */
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z, ZodError } from "zod";
import type { Role } from "../auth/roles.js";
import { MappedError, PanelError, toTRPCError } from "../errors.js";
import { BATCH_TOO_LARGE_MESSAGE, TRPC_BATCH_TOO_LARGE } from "./batch.js";
import { canSeeTenant, visibleTenantIds } from "../services/scope.js";
import type { Context } from "./context.js";
import { humanizeIssues } from "./validation-messages.js";

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const zod = error.cause instanceof ZodError ? error.cause : null;
    // field sentences for the form, and a summary naming fields by their labels (no internal paths)
    const human = zod ? humanizeIssues(zod.issues) : null;
    const mapped = error instanceof MappedError ? error.data : null;
    // tRPC's own refusal of an oversized batch (maxBatchSize), in words that say the limit
    const batch = error.code === "BAD_REQUEST" && error.message === TRPC_BATCH_TOO_LARGE;
    return {
      ...shape,
      message: human ? human.message : batch ? BATCH_TOO_LARGE_MESSAGE : shape.message,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        domainCode: mapped?.domainCode ?? (zod ? "BAD_REQUEST" : batch ? "BATCH_TOO_LARGE" : shape.data.code),
        fields: mapped?.fields ?? human?.fields,
      },
    };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

const errorMapping = t.middleware(async ({ next }) => {
  const r = await next();
  if (!r.ok) {
    const e = r.error;
    if (e instanceof MappedError) throw e;
    // Errors thrown by handlers arrive wrapped as INTERNAL_SERVER_ERROR with the original as cause.
    if (e.code === "INTERNAL_SERVER_ERROR" && e.cause) throw toTRPCError(e.cause);
    throw toTRPCError(e);
  }
  return r;
});

/** NUL characters and lone UTF-16 surrogates: neither database can store or even look them up (a 500). */
const UNSAFE_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
function hasUnsafeText(v: unknown, depth = 0): boolean {
  if (typeof v === "string") return UNSAFE_TEXT.test(v);
  if (v === null || typeof v !== "object" || depth > 32) return false;
  return Object.entries(v).some(([k, x]) => UNSAFE_TEXT.test(k) || hasUnsafeText(x, depth + 1));
}

const inputHygiene = t.middleware(async ({ getRawInput, next }) => {
  if (hasUnsafeText(await getRawInput()))
    throw new PanelError(
      "BAD_REQUEST",
      "The request contains a NUL character or broken Unicode text; remove it and try again.",
    );
  return next();
});

export const publicProcedure = t.procedure.use(errorMapping).use(inputHygiene);

export const authedProcedure = publicProcedure.use(async ({ ctx, type, next }) => {
  if (!ctx.actor) {
    throw ctx.pendingSecondFactor
      ? new PanelError("SECOND_FACTOR", "Enter the 6-digit code from your authenticator app to finish logging in.")
      : ctx.blocked
        ? new PanelError("ACCOUNT_DISABLED", ctx.blocked)
        : new PanelError("UNAUTHORIZED", "You are not logged in (or your session expired). Log in again.");
  }
  if (type === "mutation" && ctx.actor.via === "session" && !ctx.sameOrigin) {
    throw new PanelError(
      "FORBIDDEN",
      "Request refused: it came from another site (cross-site request). Use the panel's own pages or an API token.",
    );
  }
  const scope = await visibleTenantIds(ctx.db, ctx.actor);
  return next({ ctx: { ...ctx, actor: ctx.actor, scope } });
});

export function roleProcedure(...roles: Role[]) {
  return authedProcedure.use(({ ctx, next }) => {
    if (!roles.includes(ctx.actor.role)) {
      throw new PanelError(
        "FORBIDDEN",
        `This needs the ${roles.join(" or ")} role; you are logged in as ${ctx.actor.role}.`,
      );
    }
    return next();
  });
}

const id = z.string().min(1).max(64);

export function containerProcedure(...roles: Role[]) {
  return roleProcedure(...roles)
    .input(z.object({ containerId: id }))
    .use(async ({ ctx, input, next }) => {
      const container = await ctx.db.container.findUnique({
        where: { id: input.containerId },
        include: { plan: true, node: true, tenant: true },
      });
      if (!container || !canSeeTenant(ctx.scope, container.tenantId)) {
        throw new PanelError("NOT_FOUND", "No such container (or it is not yours). Check the list of containers.");
      }
      return next({ ctx: { ...ctx, container } });
    });
}

export function tenantProcedure(...roles: Role[]) {
  return roleProcedure(...roles)
    .input(z.object({ tenantId: id }))
    .use(async ({ ctx, input, next }) => {
      const tenant = await ctx.db.tenant.findUnique({ where: { id: input.tenantId } });
      if (!tenant || !canSeeTenant(ctx.scope, tenant.id))
        throw new PanelError("NOT_FOUND", "No such tenant (or it is not one of yours).");
      return next({ ctx: { ...ctx, tenant } });
    });
}

export { TRPCError };
