/**
 * Notifications (server/services/notify/): webhook endpoints, the delivery log, a test event, the caller's
 * preferences, and the administrator's SMTP settings (the password is never returned).
 */
import { z } from "zod";
import { PanelError } from "../errors.js";
import { audit } from "../services/audit.js";
import { emitTest } from "../services/notify/emit.js";
import { createEndpoint, deleteEndpoint, endpointInput, listEndpoints } from "../services/notify/endpoints.js";
import { eventsFor } from "../services/notify/events.js";
import { getPrefs, prefsSchema, setPrefs } from "../services/notify/prefs.js";
import { setSmtp, smtpSchema, smtpView } from "../services/notify/smtp.js";
import { authedProcedure, roleProcedure, router } from "../trpc/init.js";
import { id } from "./schemas.js";

export const notificationsRouter = router({
  /** The event table (names, descriptions, who gets them): the ones the caller's role can be told about. */
  events: authedProcedure.query(({ ctx }) => eventsFor(ctx.actor.role).map((e) => ({ ...e }))),

  webhooks: authedProcedure.query(({ ctx }) => listEndpoints(ctx)),

  /** The secret of the new endpoint is in the answer, and never again. */
  createWebhook: authedProcedure.input(endpointInput).mutation(({ ctx, input }) => createEndpoint(ctx, input)),

  deleteWebhook: authedProcedure.input(z.object({ id })).mutation(({ ctx, input }) => deleteEndpoint(ctx, input.id)),

  /** The caller's deliveries (its endpoints' and its emails), newest first. */
  deliveries: authedProcedure
    .input(z.object({ take: z.number().int().min(1).max(200).default(50) }).optional())
    .query(({ ctx, input }) =>
      ctx.db.notifyDelivery.findMany({
        where: { userId: ctx.actor.userId },
        orderBy: { createdAt: "desc" },
        take: input?.take ?? 50,
        select: {
          id: true,
          eventId: true,
          event: true,
          channel: true,
          to: true,
          status: true,
          attempts: true,
          nextAttemptAt: true,
          lastStatus: true,
          lastError: true,
          createdAt: true,
          deliveredAt: true,
          endpoint: { select: { id: true, url: true } },
        },
      }),
    ),

  /** A "test" event to the caller's endpoints and email; returns how many deliveries were queued. */
  sendTest: authedProcedure.mutation(async ({ ctx }) => {
    const u = await ctx.db.user.findUniqueOrThrow({ where: { id: ctx.actor.userId } });
    const queued = await emitTest(ctx.db, u);
    if (!queued)
      throw new PanelError(
        "CONFLICT",
        "Nothing to send to: add a webhook endpoint, or ask your administrator to set up email.",
      );
    return { queued };
  }),

  prefs: authedProcedure.query(({ ctx }) => getPrefs(ctx.db, ctx.actor.userId)),

  setPrefs: authedProcedure.input(prefsSchema).mutation(async ({ ctx, input }) => {
    const p = await setPrefs(ctx.db, ctx.actor.userId, input);
    await audit(ctx, { action: "user.notifyPrefs", target: ctx.actor.label, tenantId: ctx.actor.tenantId, details: p });
    return p;
  }),

  /** The SMTP settings without the password (null = email is off). */
  smtp: roleProcedure("admin").query(({ ctx }) => smtpView(ctx.db)),

  /** null turns email off. A missing password keeps the stored one. */
  setSmtp: roleProcedure("admin")
    .input(z.object({ settings: smtpSchema.nullable() }))
    .mutation(async ({ ctx, input }) => {
      await setSmtp(ctx.db, input.settings);
      const { password: _p, ...shown } = input.settings ?? { password: undefined };
      await audit(ctx, {
        action: "settings.smtp",
        target: "panel settings",
        tenantId: null,
        details: { ...shown, passwordChanged: input.settings?.password !== undefined },
      });
      return smtpView(ctx.db);
    }),
});
