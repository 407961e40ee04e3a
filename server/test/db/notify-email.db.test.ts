/**
 * Email notifications and password reset against a real SMTP server on loopback (smtp-server, random port):
 * the administrator's SMTP settings (the password is never returned), a suspension's mail to the customer with
 * the right subject and recipient through a login, the same over STARTTLS, preferences that turn a mail off, a
 * login from a new address; password reset by email: the same answer for an unknown address, the link's token
 * works once, not after 30 minutes, not mistyped, ends every session, is audited and rate limited.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyPassword } from "../../auth/crypto.js";
import { createSession } from "../../auth/session.js";
import { makeContext } from "../../trpc/context.js";
import { DeliveryWorker } from "../../services/notify/worker.js";
import { completePasswordReset, requestPasswordReset } from "../../services/password-reset.js";
import { PROVIDERS } from "../helpers/db.js";
import { expectCode } from "../helpers/expect.js";
import { startSmtp, until } from "../helpers/notify.js";
import { as, caller, PASSWORD, type World, useWorld, waitForAllOperations } from "../helpers/world.js";

describe.each(PROVIDERS)("email notifications and password reset on %s", (provider) => {
  let w: World;
  useWorld(provider, (x) => ({ w } = x));
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  beforeAll(async () => {
    smtp = await startSmtp({ user: "mailer", password: "mail-secret" });
  });
  afterAll(() => smtp?.close());

  const settings = (port: number, tls: "none" | "starttls" = "none") => ({
    host: "127.0.0.1",
    port,
    tls,
    user: "mailer",
    password: "mail-secret",
    from: "Panel <panel@test.example>",
    panelUrl: "https://panel.test.example",
  });
  const send = () => new DeliveryWorker(w.db, { timeoutMs: 10_000 }).runOnce();

  it("stores the SMTP settings for the admin only, and never returns the password", async () => {
    await expectCode(as(w, "resellerA").notifications.setSmtp({ settings: settings(smtp.port) }), "FORBIDDEN");
    const shown = await as(w, "admin").notifications.setSmtp({ settings: settings(smtp.port) });
    expect(shown).toMatchObject({ host: "127.0.0.1", port: smtp.port, user: "mailer", passwordSet: true });
    expect(JSON.stringify(shown)).not.toContain("mail-secret");
    expect(JSON.stringify(await as(w, "admin").notifications.smtp())).not.toContain("mail-secret");
    // a change without a password keeps the stored one
    const { password: _p, ...noPassword } = settings(smtp.port);
    expect(await as(w, "admin").notifications.setSmtp({ settings: noPassword })).toMatchObject({ passwordSet: true });
  });

  it("mails a suspension to the customer (subject, recipient, login), and follows the preferences", async () => {
    const c = w.a.customers[0]!.container;
    await as(w, "resellerA").containers.suspend({ containerId: c.id, reason: "invoice 42 is overdue" });
    await waitForAllOperations();
    expect(await send()).toBeGreaterThan(0);
    const mail = smtp.mails.find((m) => m.to.includes(w.a.customers[0]!.user.email));
    expect(mail?.subject).toBe(`container ${c.ctid} (${c.hostname}) was suspended`);
    expect(mail?.raw).toContain("invoice 42 is overdue");
    expect(mail?.user).toBe("mailer");
    expect(mail?.from).toBe("panel@test.example");
    // the seller's users get it too (audience "seller")
    expect(smtp.mails.some((m) => m.to.includes(w.a.user.email))).toBe(true);
    const log = await as(w, "customerA1").notifications.deliveries();
    expect(log.find((d) => d.event === "container.suspended")).toMatchObject({ channel: "email", status: "delivered" });

    // the customer turns that mail off: the unsuspend reaches the reseller only
    await as(w, "customerA1").notifications.setPrefs({ email: ["backup.failed"], webhook: [] });
    smtp.mails.length = 0;
    await as(w, "resellerA").containers.unsuspend({ containerId: c.id });
    await waitForAllOperations();
    await send();
    expect(smtp.mails.map((m) => m.to).flat()).toContain(w.a.user.email);
    expect(smtp.mails.map((m) => m.to).flat()).not.toContain(w.a.customers[0]!.user.email);
  });

  it("sends over STARTTLS when the setting asks for it", async () => {
    const tls = await startSmtp({ user: "mailer", password: "mail-secret", starttls: true });
    process.env.OVZ_SMTP_INSECURE_TLS = "1"; // the test server's certificate is self-signed
    try {
      await as(w, "admin").notifications.setSmtp({ settings: settings(tls.port, "starttls") });
      expect(await as(w, "customerA2").notifications.sendTest()).toEqual({ queued: 1 });
      expect(await send()).toBe(1);
      expect(tls.mails).toHaveLength(1);
      expect(tls.mails[0]).toMatchObject({ secure: true, subject: "Test notification from the panel" });
      expect(tls.mails[0]!.to).toEqual([w.a.customers[1]!.user.email]);
    } finally {
      delete process.env.OVZ_SMTP_INSECURE_TLS;
      await tls.close();
      await as(w, "admin").notifications.setSmtp({ settings: settings(smtp.port) });
    }
  });

  it("tells a user about a login from a new address (not the first login, not a known address)", async () => {
    const email = w.a.customers[1]!.user.email;
    const login = (ip: string) => caller(w.db, null, { ip }).auth.login({ email, password: PASSWORD });
    const count = () => w.db.notifyDelivery.count({ where: { event: "login.new_address" } });
    await login("192.0.2.1");
    await login("192.0.2.1");
    expect(await count()).toBe(0);
    await login("192.0.2.77");
    expect(await count()).toBe(1);
    smtp.mails.length = 0;
    await send();
    expect(smtp.mails.find((m) => m.to.includes(email))?.subject).toBe(
      "New login to your panel account from 192.0.2.77",
    );
  });

  it("resets a password by email: one use, sessions ended, audited; same answer for an unknown address", async () => {
    const u = w.a.customers[1]!.user;
    smtp.mails.length = 0;
    const anon = caller(w.db, null, { ip: "192.0.2.5" });
    expect(await anon.auth.requestPasswordReset({ email: "nobody@test.example" })).toEqual({ ok: true });
    expect(await anon.auth.requestPasswordReset({ email: u.email.toUpperCase() })).toEqual({ ok: true });
    await until(() => smtp.mails.length > 0, "the reset mail");
    expect(smtp.mails).toHaveLength(1);
    const mail = smtp.mails[0]!;
    expect(mail.to).toEqual([u.email]);
    expect(mail.subject).toBe("Reset your panel password");
    const token = /https:\/\/panel\.test\.example\/reset\/([a-z2-7]+)/.exec(mail.raw.replace(/=\r?\n/g, ""))?.[1];
    expect(token).toBeTruthy();
    expect(await w.db.passwordResetToken.count({ where: { tokenHash: token! } })).toBe(0); // stored hashed only

    for (let i = 0; i < 2; i++) await createSession(w.db, u.id, { secondFactor: true, ip: null, userAgent: null });
    expect(await w.db.session.count({ where: { userId: u.id } })).toBeGreaterThan(0);
    const bad = await expectCode(
      anon.auth.resetPassword({
        token: token!.slice(0, -1) + (token!.endsWith("a") ? "b" : "a"),
        password: "x".repeat(12),
      }),
      "BAD_REQUEST",
    );
    expect(bad.message).toMatch(/Ask for a new one/);
    expect(await anon.auth.resetPassword({ token: token!, password: "a-new-password-1" })).toEqual({ ok: true });
    const after = await w.db.user.findUniqueOrThrow({ where: { id: u.id } });
    expect(await verifyPassword(after.passwordHash, "a-new-password-1")).toBe(true);
    expect(await w.db.session.count({ where: { userId: u.id } })).toBe(0);
    expect(await w.db.auditLog.count({ where: { action: "user.passwordReset", target: u.email } })).toBe(1);
    expect(await w.db.notifyDelivery.count({ where: { event: "password.reset", to: u.email } })).toBe(1);
    // once only
    await expectCode(anon.auth.resetPassword({ token: token!, password: "another-password-2" }), "BAD_REQUEST");
    expect(
      await verifyPassword(
        (await w.db.user.findUniqueOrThrow({ where: { id: u.id } })).passwordHash,
        "another-password-2",
      ),
    ).toBe(false);
  });

  it("a reset link expires after 30 minutes; requests are rate limited", async () => {
    const u = w.a.customers[1]!.user;
    const ctx = makeContext({ db: w.db, actor: null, ip: "192.0.2.9" });
    const t0 = Date.now();
    smtp.mails.length = 0;
    const r = await requestPasswordReset(ctx, u.email, t0);
    await r.sent;
    const token = /\/reset\/([a-z2-7]+)/.exec(smtp.mails[0]!.raw.replace(/=\r?\n/g, ""))![1]!;
    await expect(completePasswordReset(ctx, token, "late-password-1", t0 + 30 * 60_000 + 1)).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    expect(await completePasswordReset(ctx, token, "in-time-password", t0 + 29 * 60_000)).toEqual({ ok: true });
    // the same address and account, at the same moment: 3 more are free, then a wait
    for (let i = 0; i < 3; i++) await (await requestPasswordReset(ctx, u.email, t0)).sent;
    const e = await requestPasswordReset(ctx, u.email, t0).then(
      () => null,
      (x: unknown) => x as Error & { code: string },
    );
    expect(e?.code).toBe("RATE_LIMITED");
    expect(e?.message).toMatch(/Too many password reset requests .* try again in/);
  });
});
