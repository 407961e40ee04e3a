/**
 * Notifications (server/services/notify/): webhook endpoints, the delivery log, a test event, the caller's
 * preferences, the defaults admins and resellers set for their customers, and the administrator's SMTP settings
 * (the password is never returned).
 */
import { z } from "zod";
import { PanelError } from "../errors.js";
import { audit } from "../services/audit.js";
import { emitTest } from "../services/notify/emit.js";
import { createEndpoint, deleteEndpoint, endpointInput, listEndpoints } from "../services/notify/endpoints.js";
import { eventsFor } from "../services/notify/events.js";
import { setTenantDefaults, setUserPrefs, tenantDefaults, userPrefs } from "../services/notify/levels.js";
import { choicesSchema } from "../services/notify/prefs.js";
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

  /** What reaches the caller (email, webhook), its own choices, and what it inherits from its sellers' defaults. */
  prefs: authedProcedure.query(({ ctx }) => userPrefs(ctx)),

  /** Replaces the caller's own choices; an event left out (of a map) follows its sellers' defaults. */
  setPrefs: authedProcedure.input(choicesSchema).mutation(({ ctx, input }) => setUserPrefs(ctx, input)),

  /**
   * The defaults a seller sets: without tenantId its own tenant's (for its customers' users); with the id of a
   * customer it manages, that customer's (for its users). Admins and resellers only.
   */
  getDefaults: authedProcedure
    .input(z.object({ tenantId: id.optional() }).strict().optional())
    .query(({ ctx, input }) => tenantDefaults(ctx, input?.tenantId)),

  setDefaults: authedProcedure
    .input(choicesSchema.extend({ tenantId: id.optional() }))
    .mutation(({ ctx, input }) => setTenantDefaults(ctx, input)),

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
