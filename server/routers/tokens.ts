import { z } from "zod";
import { formatToken, newSecret } from "../auth/api-token.js";
import { ROLES, roleAtMost } from "../auth/roles.js";
import { PanelError } from "../errors.js";
import { audit } from "../services/audit.js";
import { notImpersonated } from "../services/impersonation.js";
import { authedProcedure, router } from "../trpc/init.js";
import { id, name } from "./schemas.js";

export const tokensRouter = router({
  /** The caller's own tokens (secrets are never returned again). */
  list: authedProcedure.query(({ ctx }) =>
    ctx.db.apiToken.findMany({
      where: { userId: ctx.actor.userId },
      orderBy: { createdAt: "desc" },
      select: { id: true, name: true, role: true, createdAt: true, expiresAt: true, lastUsedAt: true, revokedAt: true },
    }),
  ),

  create: authedProcedure
    .input(
      z.object({ name, role: z.enum(ROLES).optional(), expiresInDays: z.number().int().min(1).max(3650).optional() }),
    )
    .mutation(async ({ ctx, input }) => {
      if (ctx.actor.via !== "session")
        throw new PanelError("FORBIDDEN", "API tokens cannot create tokens; log in to the panel.");
      notImpersonated(ctx.actor, "create API tokens");
      const role = input.role ?? ctx.actor.role;
      if (!roleAtMost(role, ctx.actor.role))
        throw new PanelError("FORBIDDEN", `A token cannot have more rights (${role}) than you (${ctx.actor.role}).`, {
          role: "too high",
        });
      const { secret, hash } = newSecret();
      const t = await ctx.db.apiToken.create({
        data: {
          name: input.name,
          secretHash: hash,
          role,
          tenantId: ctx.actor.tenantId,
          userId: ctx.actor.userId,
          expiresAt: input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86400_000) : null,
        },
      });
      await audit(ctx, {
        action: "token.create",
        target: `token ${t.name}`,
        tenantId: ctx.actor.tenantId,
        details: { role },
      });
      return { id: t.id, name: t.name, role, token: formatToken(t.id, secret) };
    }),

  revoke: authedProcedure.input(z.object({ tokenId: id })).mutation(async ({ ctx, input }) => {
    const t = await ctx.db.apiToken.findUnique({ where: { id: input.tokenId } });
    const mine = t && (t.userId === ctx.actor.userId || ctx.actor.role === "admin");
    if (!t || !mine) throw new PanelError("NOT_FOUND", "No such token.");
    await ctx.db.apiToken.update({ where: { id: t.id }, data: { revokedAt: new Date() } });
    await audit(ctx, { action: "token.revoke", target: `token ${t.name}`, tenantId: t.tenantId });
    return { ok: true as const };
  }),
});
