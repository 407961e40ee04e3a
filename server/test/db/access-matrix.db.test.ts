/**
 * Access-control matrix: every procedure of appRouter × every role (anonymous, customer, reseller, admin)
 * × own vs foreign targets. A procedure missing from MATRIX fails the coverage test, so new procedures
 * must be classified here. Then every procedure is fed malformed input as admin, and generated boundary
 * values of every field of its zod input schema (fast-check, server/test/helpers/boundary.ts, seeded):
 * nothing may end in a 500 (INTERNAL_SERVER_ERROR).
 *
 * Targets: "own" = the caller's own things (customer A1's container / reseller A's customers / for an
 * admin anything, here reseller A's); "sibling" = customer A2's things seen by customer A1 (same reseller);
 * "foreign" = reseller B's side (customer B1, reseller B).
 */
import { TRPCError } from "@trpc/server";
import fc from "fast-check";
import { ZodError, type ZodTypeAny } from "zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomToken, sha256Hex, verifyPassword } from "../../auth/crypto.js";
import { EVENTS } from "../../services/notify/events.js";
import { parseChoices } from "../../services/notify/prefs.js";
import { setSmtp } from "../../services/notify/smtp.js";
import type { Actor } from "../../auth/roles.js";
import { appRouter } from "../../routers/index.js";
import { freshDb, PROVIDERS, type TestDb } from "../helpers/db.js";
import { newTotpSecret } from "../../auth/totp.js";
import { procedureInputArb } from "../helpers/boundary.js";
import { disposableContainer, rowCounts, totpCode } from "../helpers/expect.js";
import {
  buildWorld,
  caller,
  fakeEngine,
  PASSWORD,
  waitForAllOperations,
  type Caller,
  type World,
} from "../helpers/world.js";

type Role = "anonymous" | "customer" | "reseller" | "admin";
type Target = "own" | "sibling" | "foreign";
type Code = TRPCError["code"];

const ACTOR_OF: Record<Exclude<Role, "anonymous">, keyof World["actors"]> = {
  customer: "customerA1",
  reseller: "resellerA",
  admin: "admin",
};
const GROUPS: [Role, Target][] = [
  ["anonymous", "own"],
  ["customer", "own"],
  ["customer", "sibling"],
  ["customer", "foreign"],
  ["reseller", "own"],
  ["reseller", "foreign"],
  ["admin", "own"],
];
const AUTHED: Role[] = ["customer", "reseller", "admin"];
const SELLERS: Role[] = ["reseller", "admin"];
const ADMIN: Role[] = ["admin"];
const MiB = 1024 * 1024;

interface MatrixWorld extends World {
  /** a finished operation per container id */
  opOf: Record<string, string>;
}
interface Env {
  w: MatrixWorld;
  role: Role;
  target: Target;
  actor: Actor | null;
  /** the reseller and customer the call is aimed at */
  s: { reseller: World["a"]; customer: World["a"]["customers"][number] };
  uniq: string;
  /** what input() noted before the call, for effect() */
  memo: Record<string, unknown>;
}

interface Spec {
  /** Roles for which the call succeeds on an own target. */
  allow: Role[];
  /**
   * target: aimed at a tenant-owned thing (foreign → NOT_FOUND); self: about the caller only; list: returns rows to
   * scope-check.
   */
  kind: "target" | "self" | "list";
  /** Builds a valid input (and prepares rows it needs). */
  input?: (e: Env) => unknown;
  /** Mutations: whether the call's effect is visible. Must be true after an allowed call, false after a refused one. */
  effect?: (e: Env) => Promise<boolean> | boolean;
  /** For lists: the tenant of each returned row (null = not tenant-bound), and extra tenants allowed. */
  rows?: (r: unknown, e: Env) => Promise<(string | null)[]> | (string | null)[];
  alsoVisible?: (e: Env) => string[];
  /** Checks of the returned value after a successful call. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- one row per procedure, each with its own output type
  check?: (r: any, e: Env) => Promise<void> | void;
  /** Every role gets this error (e.g. verifySecondFactor without a pending login). */
  alwaysDenied?: Code;
  /** On SQLite (a single node) the allowed roles get this error instead: the call would add a second node. */
  sqliteRefusal?: Code;
  /** Removes what input() prepared when the call was refused (so it does not count against quotas later). */
  cleanup?: (e: Env) => Promise<void>;
  /** Optional input fields, added to the valid input when fuzzing malformed values. */
  fuzz?: (e: Env) => Record<string, unknown>;
}

const tenantRows = (r: unknown) => (r as { tenantId: string | null }[]).map((x) => x.tenantId);
const db = (e: Env) => e.w.db;
const userOf = (e: Env, id: string) => db(e).user.findUniqueOrThrow({ where: { id } });
/** A live session row of a user (what a logged-in actor has); `parentId`: opened by "log in as" from it. */
async function liveSession(e: Env, userId: string, parentId?: string): Promise<string> {
  const id = sha256Hex(randomToken());
  await db(e).session.create({
    data: { id, userId, secondFactor: true, expiresAt: new Date(Date.now() + 3600_000), parentId: parentId ?? null },
  });
  return id;
}
const sessionsAs = (e: Env, userId: string) => db(e).session.count({ where: { userId, parentId: { not: null } } });
const opCount = (e: Env, type: string) =>
  db(e).operation.count({ where: { containerId: e.s.customer.container.id, type } });
/** A container action: input notes how many operations of this type the target has; the effect is one more. */
function containerOp(type: string, extra: Record<string, unknown> = {}): Pick<Spec, "input" | "effect"> {
  return {
    input: async (e) => {
      e.memo.ops = await opCount(e, type);
      return { containerId: e.s.customer.container.id, ...extra };
    },
    effect: async (e) => (await opCount(e, type)) === (e.memo.ops as number) + 1,
  };
}

/**
 * A backup of the target customer's container: in the fake engine and as a panel row (containerId null = destroyed
 * since).
 */
async function backupRow(e: Env, opts: { attached: boolean }) {
  const c = e.s.customer.container;
  const b = await fakeEngine().call("backup.create", { ctid: c.ctid });
  return db(e).backup.create({
    data: {
      engineId: b.id,
      nodeId: e.w.node.id,
      tenantId: e.s.customer.tenant.id,
      ctid: c.ctid,
      containerId: opts.attached ? c.id : null,
      planId: e.s.reseller.plan.id,
      hostname: `bk-${e.uniq}.test`,
      template: "busybox",
      sizeBytes: BigInt(1000),
    },
  });
}
/** The target plan's self-service count (customerMaxContainers; 0 = none, as the world has it). */
async function selfService(e: Env, containers: number): Promise<void> {
  await db(e).plan.update({ where: { id: e.s.reseller.plan.id }, data: { customerMaxContainers: containers } });
}
/** A backup policy of the target customer's tenant (or of `tenantId`). */
function policyRow(e: Env, tenantId = e.s.customer.tenant.id) {
  return db(e).backupPolicy.create({
    data: { tenantId, name: `pol-${e.uniq}`, kind: "backup", schedule: "daily 03:00", keepDaily: 1 },
  });
}
/** A container of the target customer to suspend (or, suspended already, to unsuspend), removed after the call. */
async function suspendable(e: Env, suspended: boolean) {
  const c = await disposableContainer(db(e), {
    tenantId: e.s.customer.tenant.id,
    planId: e.s.reseller.plan.id,
    nodeId: e.w.node.id,
    hostname: `susp-${e.uniq}.test`,
  });
  if (!suspended) return c;
  return db(e).container.update({
    where: { id: c.id },
    data: { suspendedAt: new Date(), suspendReason: "x", suspendedBy: "container", suspendedFrom: "stopped" },
  });
}
const suspendTarget = (e: Env) => db(e).container.findFirst({ where: { hostname: `susp-${e.uniq}.test` } });
async function dropSuspendable(e: Env) {
  for (const c of await db(e).container.findMany({ where: { hostname: `susp-${e.uniq}.test` } })) {
    fakeEngine().containers.delete(c.ctid);
    await db(e).container.delete({ where: { id: c.id } });
  }
}
/** A customer of the target reseller without containers (a suspension of it touches nothing else). */
const spareCustomer = (e: Env, suspended: boolean) =>
  db(e).tenant.create({
    data: {
      name: `Spare ${e.uniq}`,
      kind: "customer",
      parentId: e.s.reseller.tenant.id,
      ...(suspended ? { suspendedAt: new Date(), suspendReason: "x" } : {}),
    },
  });
const spareOf = (e: Env) => db(e).tenant.findFirst({ where: { name: `Spare ${e.uniq}` } });
/** SMTP settings that point at a closed loopback port: nothing is ever sent anywhere. */
const SMTP_OFF = {
  host: "127.0.0.1",
  port: 9,
  tls: "none" as const,
  user: "",
  from: "panel@test.example",
  panelUrl: "http://127.0.0.1:9",
};
const hook = (e: Env, userId: string, tenantId: string, what: string) => ({
  userId,
  tenantId,
  url: `http://127.0.0.1:9/${what}-${e.uniq}`,
  secret: "s",
  events: '["backup.done"]',
});
const ED_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIP7coomf1uTnwiIkXa4Sajst7lh2/P6IKu6SeRACWttd matrix";

const MATRIX: Record<string, Spec> = {
  // auth
  "auth.login": {
    allow: ["anonymous", ...AUTHED],
    kind: "self",
    input: async (e) => {
      e.memo.sessions = await db(e).session.count({ where: { userId: e.w.directUser.id } });
      return { email: "direct@test.example", password: PASSWORD };
    },
    effect: async (e) =>
      (await db(e).session.count({ where: { userId: e.w.directUser.id } })) > (e.memo.sessions as number),
    check: (r) => expect(r).toEqual({ needsSecondFactor: false, role: "customer" }),
  },
  "auth.verifySecondFactor": {
    allow: [],
    kind: "self",
    alwaysDenied: "UNAUTHORIZED",
    input: () => ({ code: "123456" }),
  },
  "auth.logout": { allow: ["anonymous", ...AUTHED], kind: "self", check: (r) => expect(r).toEqual({ ok: true }) },
  "auth.stopImpersonating": {
    allow: AUTHED,
    kind: "self",
    input: async (e) => {
      if (!e.actor) return undefined;
      const parent = await liveSession(e, e.w.admin.id);
      const child = await liveSession(e, e.actor.userId, parent);
      e.memo.child = child;
      e.actor = { ...e.actor, sessionId: child, impersonator: { userId: e.w.admin.id, email: "x", sessionId: parent } };
      return undefined;
    },
    effect: async (e) => !!e.memo.child && (await db(e).session.count({ where: { id: e.memo.child as string } })) === 0,
  },
  "auth.me": { allow: AUTHED, kind: "self", check: (r, e) => expect(r.id).toBe(e.actor!.userId) },
  "auth.changePassword": {
    allow: AUTHED,
    kind: "self",
    input: async (e) => {
      // An earlier group may have changed it: start from the world's password.
      if (e.actor)
        await db(e).user.update({ where: { id: e.actor.userId }, data: { passwordHash: e.w.admin.passwordHash } });
      return { current: PASSWORD, next: "matrix-password-2" };
    },
    effect: async (e) => !!e.actor && (await userOf(e, e.actor.userId)).passwordHash !== e.w.admin.passwordHash,
    check: async (_r, e) =>
      expect(await verifyPassword((await userOf(e, e.actor!.userId)).passwordHash, "matrix-password-2")).toBe(true),
  },
  "auth.totpSetup": {
    allow: AUTHED,
    kind: "self",
    input: async (e) => {
      if (e.actor)
        await db(e).user.update({ where: { id: e.actor.userId }, data: { totpSecret: null, totpEnabled: false } });
      return undefined;
    },
    effect: async (e) => !!e.actor && (await userOf(e, e.actor.userId)).totpSecret !== null,
    check: async (r, e) => expect((await userOf(e, e.actor!.userId)).totpSecret).toBe(r.secret),
  },
  "auth.totpEnable": {
    allow: AUTHED,
    kind: "self",
    input: async (e) => {
      // a new secret per case: each code may be used once (replay protection)
      const secret = newTotpSecret();
      if (e.actor)
        await db(e).user.update({ where: { id: e.actor.userId }, data: { totpSecret: secret, totpEnabled: false } });
      return { code: totpCode(secret) };
    },
    effect: async (e) => !!e.actor && (await userOf(e, e.actor.userId)).totpEnabled,
  },
  "auth.totpDisable": {
    allow: AUTHED,
    kind: "self",
    input: async (e) => {
      // a new secret per case: each code may be used once (replay protection)
      const secret = newTotpSecret();
      if (e.actor)
        await db(e).user.update({ where: { id: e.actor.userId }, data: { totpSecret: secret, totpEnabled: true } });
      return { code: totpCode(secret) };
    },
    effect: async (e) => !!e.actor && !(await userOf(e, e.actor.userId)).totpEnabled,
  },

  "auth.requestPasswordReset": {
    allow: ["anonymous", ...AUTHED],
    kind: "self",
    input: async (e) => {
      await setSmtp(db(e), SMTP_OFF);
      return { email: `nobody-${e.uniq}@test.example` };
    },
    // the same answer as for a user, and the request is counted (rate limit)
    effect: async (e) =>
      (await db(e).loginAttempt.count({ where: { key: `email:reset:nobody-${e.uniq}@test.example` } })) === 1,
    check: (r) => expect(r).toEqual({ ok: true }),
  },
  "auth.resetPassword": {
    allow: ["anonymous", ...AUTHED],
    kind: "self",
    input: async (e) => {
      const token = randomToken(32);
      await db(e).passwordResetToken.create({
        data: { tokenHash: sha256Hex(token), userId: e.w.directUser.id, expiresAt: new Date(Date.now() + 600_000) },
      });
      e.memo.hash = sha256Hex(token);
      return { token, password: PASSWORD };
    },
    effect: async (e) =>
      !!(await db(e).passwordResetToken.findUniqueOrThrow({ where: { tokenHash: e.memo.hash as string } })).usedAt,
  },

  // tokens
  "tokens.list": {
    allow: AUTHED,
    kind: "list",
    rows: async (r, e) => {
      const ids = (r as { id: string }[]).map((x) => x.id);
      expect(ids.length, "the caller's own (seeded) token is listed").toBeGreaterThan(0);
      const owners = await db(e).apiToken.findMany({ where: { id: { in: ids } }, select: { userId: true } });
      expect(owners).toHaveLength(ids.length);
      for (const o of owners) expect(o.userId, "a token of another user was listed").toBe(e.actor!.userId);
      return [];
    },
  },
  "tokens.create": {
    allow: AUTHED,
    kind: "self",
    input: (e) => ({ name: `matrix ${e.uniq}` }),
    fuzz: () => ({ role: "customer", expiresInDays: 10 }),
    effect: async (e) => (await db(e).apiToken.count({ where: { name: `matrix ${e.uniq}` } })) === 1,
    check: async (r, e) =>
      expect(await db(e).apiToken.findUniqueOrThrow({ where: { id: r.id } })).toMatchObject({
        userId: e.actor!.userId,
        role: e.actor!.role,
      }),
  },
  "tokens.revoke": {
    allow: AUTHED,
    kind: "target",
    input: async (e) => {
      // own: the caller's own token (an admin: a customer's, which admins may revoke); otherwise the target customer's.
      const userId = e.target === "own" && e.actor && e.role !== "admin" ? e.actor.userId : e.s.customer.user.id;
      const u = await userOf(e, userId);
      const t = await db(e).apiToken.create({
        data: { name: `victim ${e.uniq}`, secretHash: "0".repeat(64), role: u.role, tenantId: u.tenantId, userId },
      });
      return { tokenId: t.id };
    },
    effect: async (e) =>
      (await db(e).apiToken.count({ where: { name: `victim ${e.uniq}`, revokedAt: { not: null } } })) === 1,
  },

  // notifications
  "notifications.events": {
    allow: AUTHED,
    kind: "self",
    // every event but the administrators' node events (a customer's or reseller's list is shorter)
    check: (r) => expect((r as unknown[]).length).toBeGreaterThanOrEqual(EVENTS.length - 2),
  },
  "notifications.webhooks": {
    allow: AUTHED,
    kind: "list",
    input: async (e) => {
      // the caller's own endpoint, and one of the target customer's user (a leak if listed to others)
      const c = e.s.customer;
      await db(e).webhookEndpoint.create({ data: hook(e, c.user.id, c.tenant.id, "other") });
      if (e.actor) await db(e).webhookEndpoint.create({ data: hook(e, e.actor.userId, e.actor.tenantId, "mine") });
      return undefined;
    },
    rows: (r) => (r as { tenantId: string }[]).map((x) => x.tenantId),
  },
  "notifications.createWebhook": {
    allow: AUTHED,
    kind: "target",
    input: (e) => ({
      url: `http://127.0.0.1:9/new-${e.uniq}`,
      events: ["backup.done"],
      tenantId: e.s.customer.tenant.id,
    }),
    effect: async (e) =>
      (await db(e).webhookEndpoint.count({ where: { url: `http://127.0.0.1:9/new-${e.uniq}` } })) === 1,
    check: (r) => expect(r.secret).toMatch(/^[a-z2-7]{30,}$/),
  },
  "notifications.deleteWebhook": {
    allow: AUTHED,
    kind: "target",
    input: async (e) => {
      const c = e.s.customer;
      const h = await db(e).webhookEndpoint.create({ data: hook(e, c.user.id, c.tenant.id, "victim") });
      return { id: h.id };
    },
    effect: async (e) =>
      (await db(e).webhookEndpoint.count({ where: { url: { endsWith: `victim-${e.uniq}` } } })) === 0,
  },
  "notifications.deliveries": {
    allow: AUTHED,
    kind: "list",
    input: async (e) => {
      for (const userId of [e.s.customer.user.id, ...(e.actor ? [e.actor.userId] : [])])
        await db(e).notifyDelivery.create({
          data: {
            eventId: `evt_${e.uniq}`,
            event: "test",
            channel: "email",
            userId,
            payload: "x",
            nextAttemptAt: new Date(),
          },
        });
      return undefined;
    },
    rows: async (r, e) => {
      const ids = (r as { id: string }[]).map((x) => x.id);
      const rows = await db(e).notifyDelivery.findMany({ where: { id: { in: ids } }, select: { userId: true } });
      for (const x of rows) expect(x.userId, "a delivery of another user was listed").toBe(e.actor!.userId);
      return rows.map(() => e.actor!.tenantId);
    },
  },
  "notifications.sendTest": {
    allow: AUTHED,
    kind: "self",
    input: async (e) => {
      if (!e.actor) return undefined;
      await db(e).webhookEndpoint.create({ data: hook(e, e.actor.userId, e.actor.tenantId, "test") });
      e.memo.before = await db(e).notifyDelivery.count({ where: { userId: e.actor.userId, event: "test" } });
      return undefined;
    },
    effect: async (e) =>
      !!e.actor &&
      (await db(e).notifyDelivery.count({ where: { userId: e.actor.userId, event: "test" } })) >
        (e.memo.before as number),
  },
  "notifications.prefs": {
    allow: AUTHED,
    kind: "self",
    check: (r) => expect(Array.isArray(r.email) && Array.isArray(r.webhook)).toBe(true),
  },
  "notifications.setPrefs": {
    allow: AUTHED,
    kind: "self",
    input: () => ({ email: ["backup.done"], webhook: ["operation.failed"] }),
    effect: async (e) =>
      !!e.actor && parseChoices((await userOf(e, e.actor.userId)).notifyPrefs).email["backup.done"] === true,
  },
  "notifications.getDefaults": {
    allow: SELLERS,
    kind: "target",
    input: (e) => ({ tenantId: e.s.customer.tenant.id }),
    check: (r) => expect(Array.isArray(r.email) && Array.isArray(r.inherited.webhook)).toBe(true),
  },
  "notifications.setDefaults": {
    allow: SELLERS,
    kind: "target",
    input: async (e) => {
      // turns the customer's default for backup.done by email over: the effect is the change
      const t = await db(e).tenant.findUniqueOrThrow({ where: { id: e.s.customer.tenant.id } });
      e.memo.before = parseChoices(t.notifyDefaults).email["backup.done"] === true;
      return { tenantId: t.id, email: { "backup.done": !e.memo.before } };
    },
    effect: async (e) => {
      const t = await db(e).tenant.findUniqueOrThrow({ where: { id: e.s.customer.tenant.id } });
      return (parseChoices(t.notifyDefaults).email["backup.done"] === true) !== e.memo.before;
    },
  },
  "notifications.smtp": { allow: ADMIN, kind: "self" },
  "notifications.setSmtp": {
    allow: ADMIN,
    kind: "self",
    input: (e) => ({ settings: { ...SMTP_OFF, from: `panel-${e.uniq}@test.example`, password: "secret-pw" } }),
    effect: async (e) =>
      ((await db(e).panelSetting.findUnique({ where: { key: "smtp" } }))?.value ?? "").includes(`panel-${e.uniq}@`),
    check: (r) => {
      expect(r.passwordSet).toBe(true);
      expect(JSON.stringify(r)).not.toContain("secret-pw");
    },
  },

  // tenants
  "tenants.list": { allow: SELLERS, kind: "list", rows: (r) => (r as { id: string }[]).map((x) => x.id) },
  "tenants.get": {
    allow: SELLERS,
    kind: "target",
    input: (e) => ({ tenantId: e.s.customer.tenant.id }),
    check: (r, e) => expect(r.id).toBe(e.s.customer.tenant.id),
  },
  "tenants.create": {
    allow: SELLERS,
    kind: "target",
    input: (e) => ({
      name: `Matrix ${e.uniq}`,
      kind: "customer",
      parentId: e.s.reseller.tenant.id,
      user: { email: `m${e.uniq}@test.example`, name: "m", password: "matrix-password" },
    }),
    effect: async (e) => (await db(e).tenant.count({ where: { name: `Matrix ${e.uniq}` } })) === 1,
    check: async (r, e) =>
      expect((await db(e).tenant.findUniqueOrThrow({ where: { id: r.id } })).parentId).toBe(e.s.reseller.tenant.id),
  },
  "tenants.update": {
    allow: SELLERS,
    kind: "target",
    input: (e) => ({ tenantId: e.s.customer.tenant.id, name: `Renamed ${e.uniq}` }),
    fuzz: () => ({ disabled: false }),
    effect: async (e) =>
      (await db(e).tenant.findUniqueOrThrow({ where: { id: e.s.customer.tenant.id } })).name === `Renamed ${e.uniq}`,
  },

  "tenants.delete": {
    allow: SELLERS,
    kind: "target",
    input: async (e) => ({ tenantId: (await spareCustomer(e, false)).id }),
    effect: async (e) => (await spareOf(e)) === null,
    check: (r, e) => expect(r).toMatchObject({ name: `Spare ${e.uniq}`, users: 0 }),
    cleanup: async (e) => void (await db(e).tenant.deleteMany({ where: { name: `Spare ${e.uniq}` } })),
  },
  "tenants.suspend": {
    allow: SELLERS,
    kind: "target",
    input: async (e) => ({ tenantId: (await spareCustomer(e, false)).id, reason: `overdue ${e.uniq}` }),
    effect: async (e) => !!(await spareOf(e))?.suspendedAt,
    check: (r) => expect(r).toEqual({ operations: [], failed: [] }),
  },
  "tenants.unsuspend": {
    allow: SELLERS,
    kind: "target",
    input: async (e) => ({ tenantId: (await spareCustomer(e, true)).id }),
    effect: async (e) => (await spareOf(e))?.suspendedAt === null,
    check: (r) => expect(r).toEqual({ operations: [], failed: [] }),
  },

  // users
  "users.list": {
    allow: SELLERS,
    kind: "list",
    rows: (r) => (r as { tenant: { id: string } }[]).map((x) => x.tenant.id),
  },
  "users.create": {
    allow: SELLERS,
    kind: "target",
    input: (e) => ({
      tenantId: e.s.customer.tenant.id,
      email: `u${e.uniq}@test.example`,
      name: "u",
      password: "matrix-password",
    }),
    effect: async (e) => (await db(e).user.count({ where: { email: `u${e.uniq}@test.example` } })) === 1,
    check: async (r, e) => expect((await userOf(e, r.id)).tenantId).toBe(e.s.customer.tenant.id),
  },
  "users.get": {
    allow: SELLERS,
    kind: "target",
    input: (e) => ({ userId: e.s.customer.user.id }),
    check: (r, e) => expect(r).toMatchObject({ id: e.s.customer.user.id, tenant: { id: e.s.customer.tenant.id } }),
  },
  "users.setRole": {
    allow: ADMIN,
    kind: "target",
    input: (e) => ({ userId: e.s.customer.user.id, role: "customer" }),
    check: (r, e) => expect(r).toEqual({ id: e.s.customer.user.id, role: "customer", revokedTokens: 0 }),
  },
  "users.impersonate": {
    allow: SELLERS,
    kind: "target",
    input: async (e) => {
      // an earlier row (users.setDisabled) may have disabled the target
      await db(e).user.update({ where: { id: e.s.customer.user.id }, data: { disabled: false } });
      e.memo.sessions = await sessionsAs(e, e.s.customer.user.id);
      if (e.actor) e.actor = { ...e.actor, sessionId: await liveSession(e, e.actor.userId) };
      return { userId: e.s.customer.user.id };
    },
    effect: async (e) => (await sessionsAs(e, e.s.customer.user.id)) === (e.memo.sessions as number) + 1,
  },
  "users.setDisabled": {
    allow: SELLERS,
    kind: "target",
    input: async (e) => {
      await db(e).user.update({ where: { id: e.s.customer.user.id }, data: { disabled: false } });
      return { userId: e.s.customer.user.id, disabled: true };
    },
    effect: async (e) => (await userOf(e, e.s.customer.user.id)).disabled,
    cleanup: async (e) =>
      void (await db(e).user.update({ where: { id: e.s.customer.user.id }, data: { disabled: false } })),
  },
  "users.resetPassword": {
    allow: SELLERS,
    kind: "target",
    input: async (e) => {
      e.memo.hash = (await userOf(e, e.s.customer.user.id)).passwordHash;
      return { userId: e.s.customer.user.id, password: "matrix-reset-pw" };
    },
    effect: async (e) => (await userOf(e, e.s.customer.user.id)).passwordHash !== e.memo.hash,
    check: async (_r, e) =>
      expect(await verifyPassword((await userOf(e, e.s.customer.user.id)).passwordHash, "matrix-reset-pw")).toBe(true),
  },

  // plans
  "plans.list": { allow: SELLERS, kind: "list", rows: tenantRows, alsoVisible: (e) => [e.w.platform.id] },
  "plans.create": {
    allow: SELLERS,
    kind: "self",
    input: (e) => ({
      name: `plan-${e.uniq}`,
      limits: { cpus: 1 },
      bandwidthMbps: 0,
      ipCount: 1,
      templates: ["busybox"],
    }),
    effect: async (e) => (await db(e).plan.count({ where: { name: `plan-${e.uniq}` } })) === 1,
    check: (r, e) => expect(r.tenantId).toBe(e.actor!.tenantId),
  },
  "plans.update": {
    allow: SELLERS,
    kind: "target",
    input: async (e) => {
      await db(e).plan.update({ where: { id: e.s.reseller.plan.id }, data: { bandwidthMbps: 0 } });
      return { planId: e.s.reseller.plan.id, bandwidthMbps: 7 };
    },
    fuzz: (e) => ({ name: `p-${e.uniq}`, limits: { ram: 256 * MiB }, ipCount: 1, templates: ["busybox"] }),
    effect: async (e) =>
      (await db(e).plan.findUniqueOrThrow({ where: { id: e.s.reseller.plan.id } })).bandwidthMbps === 7,
  },
  "plans.delete": {
    allow: SELLERS,
    kind: "target",
    input: async (e) => ({
      planId: (
        await db(e).plan.create({
          data: { tenantId: e.s.reseller.tenant.id, name: `unused-${e.uniq}`, limits: "{}", templates: '["busybox"]' },
        })
      ).id,
    }),
    effect: async (e) => (await db(e).plan.count({ where: { name: `unused-${e.uniq}` } })) === 0,
  },

  // allocations
  "allocations.list": { allow: ADMIN, kind: "list", rows: tenantRows },
  "allocations.get": {
    allow: SELLERS,
    kind: "target",
    input: (e) => ({ tenantId: e.s.reseller.tenant.id }),
    check: (r, e) => expect(r.allocation.tenantId).toBe(e.s.reseller.tenant.id),
  },
  "allocations.set": {
    allow: ADMIN,
    kind: "target",
    input: (e) => ({
      tenantId: e.s.reseller.tenant.id,
      containers: 4,
      cpus: 4,
      ramMb: 1024,
      swapMb: 1024,
      diskMb: 8192,
      ipCount: 9,
    }),
    effect: async (e) =>
      (await db(e).allocation.findUniqueOrThrow({ where: { tenantId: e.s.reseller.tenant.id } })).ipCount === 9,
    check: async (_r, e) =>
      void (await db(e).allocation.update({ where: { tenantId: e.s.reseller.tenant.id }, data: { ipCount: 8 } })),
  },

  // containers
  "containers.list": {
    allow: AUTHED,
    kind: "list",
    input: (e) => (e.target === "own" ? undefined : { tenantId: e.s.customer.tenant.id }),
    rows: (r) => (r as { tenant: { id: string } }[]).map((x) => x.tenant.id),
    fuzz: (e) => ({ tenantId: e.s.customer.tenant.id, take: 10, skip: 0 }),
  },
  "containers.table": {
    allow: AUTHED,
    kind: "list",
    input: (e) => (e.target === "own" ? { q: "" } : { tenantId: e.s.customer.tenant.id }),
    rows: (r) => (r as { rows: { tenant: { id: string } }[] }).rows.map((x) => x.tenant.id),
    fuzz: () => ({ sort: "node", dir: "desc", q: "10", page: 1, pageSize: 10 }),
  },
  "containers.bulkAction": {
    allow: ADMIN,
    kind: "target",
    input: async (e) => {
      const c = await db(e).container.findUniqueOrThrow({ where: { id: e.s.customer.container.id } });
      const action = c.state === "running" ? "stop" : "start";
      e.memo.action = action;
      e.memo.ops = await opCount(e, action);
      return { containerIds: [c.id], action };
    },
    effect: async (e) => (await opCount(e, e.memo.action as string)) === (e.memo.ops as number) + 1,
    check: (r) => expect(r).toMatchObject({ started: 1, refused: 0 }),
  },
  "containers.get": {
    allow: AUTHED,
    kind: "target",
    input: (e) => ({ containerId: e.s.customer.container.id }),
    check: (r, e) => expect(r.id).toBe(e.s.customer.container.id),
  },
  "containers.bootLog": {
    allow: AUTHED,
    kind: "target",
    input: (e) => ({ containerId: e.s.customer.container.id, maxKb: 4 }),
    fuzz: () => ({ maxKb: 256 }),
    check: (r) => expect(r).toMatchObject({ text: expect.any(String), truncated: expect.any(Boolean) }),
  },
  "containers.usage": {
    allow: AUTHED,
    kind: "target",
    input: (e) => ({ containerId: e.s.customer.container.id }),
    check: (r) => expect(r.available).toBe(true),
  },
  "containers.selfService": {
    allow: ["customer"],
    kind: "self",
    check: (r) => expect(r).toMatchObject({ blocked: null, plans: [], used: { containers: 1 } }),
  },
  "containers.create": {
    // customers too, of a self-service plan within its quota (server/test/db/customer-quota.db.test.ts)
    allow: AUTHED,
    kind: "target",
    input: async (e) => {
      await selfService(e, 10);
      return {
        tenantId: e.s.customer.tenant.id,
        planId: e.s.reseller.plan.id,
        hostname: `m${e.uniq}.test`,
        template: "busybox",
      };
    },
    cleanup: (e) => selfService(e, 0),
    fuzz: (e) => ({ ctid: 5000 + Number(e.uniq.replace(/\D/g, "")), nodeId: e.w.node.id }),
    effect: async (e) => (await db(e).container.count({ where: { hostname: `m${e.uniq}.test` } })) === 1,
    check: async (r, e) => {
      expect(r).toMatchObject({ type: "create", tenantId: e.s.customer.tenant.id });
      expect((await db(e).operation.findUniqueOrThrow({ where: { id: r.id } })).status).toBe("succeeded");
      // give the quota back for later groups
      const c = await db(e).container.findFirstOrThrow({ where: { hostname: `m${e.uniq}.test` } });
      fakeEngine().containers.delete(c.ctid);
      await db(e).container.delete({ where: { id: c.id } });
      await selfService(e, 0);
    },
  },
  "containers.clone": {
    // customers too, within their plan's customerMaxContainers (server/test/db/clone.db.test.ts)
    allow: AUTHED,
    kind: "target",
    input: async (e) => {
      await db(e).plan.update({ where: { id: e.s.customer.container.planId }, data: { customerMaxContainers: 10 } });
      return { containerId: e.s.customer.container.id, hostname: `c${e.uniq}.test` };
    },
    cleanup: async (e) =>
      void (await db(e).plan.update({
        where: { id: e.s.customer.container.planId },
        data: { customerMaxContainers: 0 },
      })),
    fuzz: (e) => ({ name: `c${e.uniq}`, ctid: 6000 + Number(e.uniq.replace(/\D/g, "")) }),
    effect: async (e) => (await db(e).container.count({ where: { hostname: `c${e.uniq}.test` } })) === 1,
    check: async (r, e) => {
      expect(r).toMatchObject({ type: "clone", tenantId: e.s.customer.tenant.id });
      expect((await db(e).operation.findUniqueOrThrow({ where: { id: r.id } })).status).toBe("succeeded");
      // give the quota and the address back for later groups
      const c = await db(e).container.findFirstOrThrow({ where: { hostname: `c${e.uniq}.test` } });
      expect(c).toMatchObject({
        tenantId: e.s.customer.tenant.id,
        planId: e.s.customer.container.planId,
        state: "stopped",
      });
      fakeEngine().containers.delete(c.ctid);
      fakeEngine().nets.delete(c.ctid);
      await db(e).container.delete({ where: { id: c.id } });
      await db(e).plan.update({ where: { id: c.planId }, data: { customerMaxContainers: 0 } });
    },
  },
  "containers.start": {
    allow: AUTHED,
    kind: "target",
    ...containerOp("start"),
    check: (r, e) => expect(r).toMatchObject({ type: "start", containerId: e.s.customer.container.id }),
  },
  "containers.stop": {
    allow: AUTHED,
    kind: "target",
    ...containerOp("stop"),
    check: (r) => expect(r.type).toBe("stop"),
  },
  "containers.restart": {
    allow: AUTHED,
    kind: "target",
    ...containerOp("restart"),
    check: (r) => expect(r.type).toBe("restart"),
  },
  "containers.reinstall": {
    allow: AUTHED,
    kind: "target",
    ...containerOp("reinstall", { template: "busybox", confirm: true }),
    check: (r) => expect(r.type).toBe("reinstall"),
  },
  "containers.destroy": {
    // customers too, their containers of a self-service plan (server/test/db/customer-quota.db.test.ts)
    allow: AUTHED,
    kind: "target",
    input: async (e) => {
      await selfService(e, 10);
      const c = await disposableContainer(db(e), {
        tenantId: e.s.customer.tenant.id,
        planId: e.s.reseller.plan.id,
        nodeId: e.w.node.id,
        hostname: `gone-${e.uniq}.test`,
      });
      return { containerId: c.id, confirmHostname: c.hostname };
    },
    effect: async (e) => (await db(e).container.count({ where: { hostname: `gone-${e.uniq}.test` } })) === 0,
    check: (_r, e) => selfService(e, 0),
    cleanup: async (e) => {
      for (const c of await db(e).container.findMany({ where: { hostname: `gone-${e.uniq}.test` } })) {
        fakeEngine().containers.delete(c.ctid);
        await db(e).container.delete({ where: { id: c.id } });
      }
      await selfService(e, 0);
    },
  },
  "containers.migrate": {
    allow: ADMIN,
    kind: "target",
    input: async (e) => {
      const o = containerOp("migrate");
      const base = (await o.input!(e)) as Record<string, unknown>;
      const n2 = await db(e).node.upsert({
        where: { name: "matrix-node-2" },
        update: {},
        create: { name: "matrix-node-2", endpoint: "/run/ovz/matrix-node-2.sock" },
      });
      return { ...base, targetNodeId: n2.id, live: false };
    },
    effect: containerOp("migrate").effect,
    // the fake engine cannot move bytes: the operation is recorded, then fails; nothing moves
    check: async (r, e) => {
      expect(r.type).toBe("migrate");
      expect((await db(e).container.findUniqueOrThrow({ where: { id: e.s.customer.container.id } })).nodeId).toBe(
        e.w.node.id,
      );
    },
  },
  "containers.resetPassword": {
    allow: AUTHED,
    kind: "target",
    input: (e) => {
      const info = fakeEngine().containers.get(e.s.customer.container.ctid)!;
      Object.assign(info, { state: "running", initPid: 1 });
      return { containerId: e.s.customer.container.id, password: `root-${e.uniq}-pw` };
    },
    effect: (e) => fakeEngine().passwords.get(`${e.s.customer.container.ctid}:root`) === `root-${e.uniq}-pw`,
  },
  "containers.setHostname": {
    allow: AUTHED,
    kind: "target",
    input: async (e) => {
      e.memo.before = (await db(e).container.findUniqueOrThrow({ where: { id: e.s.customer.container.id } })).hostname;
      return { containerId: e.s.customer.container.id, hostname: `H${e.uniq}.Test` };
    },
    effect: async (e) =>
      (await db(e).container.findUniqueOrThrow({ where: { id: e.s.customer.container.id } })).hostname ===
      `h${e.uniq}.test`,
    check: async (_r, e) => {
      const ctid = e.s.customer.container.ctid;
      expect(fakeEngine().containers.get(ctid)!.hostname).toBe(`h${e.uniq}.test`);
      // the name later groups know it by
      const before = e.memo.before as string;
      await db(e).container.update({ where: { id: e.s.customer.container.id }, data: { hostname: before } });
      fakeEngine().containers.get(ctid)!.hostname = before;
    },
  },
  "containers.suspend": {
    allow: SELLERS,
    kind: "target",
    input: async (e) => ({ containerId: (await suspendable(e, false)).id, reason: `overdue ${e.uniq}` }),
    effect: async (e) => !!(await suspendTarget(e))?.suspendedAt,
    check: async (r, e) => {
      expect(r).toMatchObject({ type: "stop", tenantId: e.s.customer.tenant.id });
      expect((await suspendTarget(e))?.suspendReason).toBe(`overdue ${e.uniq}`);
      await dropSuspendable(e);
    },
    cleanup: dropSuspendable,
  },
  "containers.unsuspend": {
    allow: SELLERS,
    kind: "target",
    input: async (e) => ({ containerId: (await suspendable(e, true)).id }),
    effect: async (e) => (await suspendTarget(e))?.suspendedAt === null,
    check: async (r, e) => {
      expect(r).toMatchObject({ type: "start", tenantId: e.s.customer.tenant.id });
      await dropSuspendable(e);
    },
    cleanup: dropSuspendable,
  },
  "containers.setLimits": {
    allow: ADMIN,
    kind: "target",
    input: (e) => {
      fakeEngine().containers.get(e.s.customer.container.ctid)!.limits.numproc = 1024;
      return { containerId: e.s.customer.container.id, limits: { numproc: 512 } };
    },
    effect: (e) => fakeEngine().containers.get(e.s.customer.container.ctid)!.limits.numproc === 512,
  },

  "containers.features": {
    allow: AUTHED,
    kind: "target",
    input: (e) => ({ containerId: e.s.customer.container.id }),
    check: (r) => expect(r.catalog.map((f: { key: string }) => f.key)).toEqual(["nesting", "tun", "fuse", "keyctl"]),
  },
  "containers.setFeatures": {
    allow: AUTHED,
    kind: "target",
    input: async (e) => {
      const c = e.s.customer.container;
      await db(e).plan.update({ where: { id: e.s.reseller.plan.id }, data: { allowedFeatures: '["tun"]' } });
      await db(e).container.update({ where: { id: c.id }, data: { features: "[]" } });
      fakeEngine().containers.get(c.ctid)!.features = [];
      return { containerId: c.id, features: ["tun"] };
    },
    effect: (e) => fakeEngine().containers.get(e.s.customer.container.ctid)!.features.join() === "tun",
  },

  // container network
  "containers.network": {
    allow: AUTHED,
    kind: "target",
    input: (e) => ({ containerId: e.s.customer.container.id }),
    check: async (r, e) => {
      expect(r.netMode).toBe("venet");
      const rows = await db(e).ipAddress.findMany({ where: { containerId: e.s.customer.container.id } });
      expect(r.addresses.map((a: { address: string }) => a.address).sort()).toEqual(rows.map((x) => x.address).sort());
    },
  },
  "containers.addIp": {
    allow: SELLERS,
    kind: "target",
    input: async (e) => {
      // start from no address, so a reseller stays within the plan's one
      const id = e.s.customer.container.id;
      e.memo.rows = await db(e).ipAddress.findMany({ where: { containerId: id } });
      await db(e).ipAddress.deleteMany({ where: { containerId: id } });
      return { containerId: id };
    },
    effect: async (e) => (await db(e).ipAddress.count({ where: { containerId: e.s.customer.container.id } })) === 1,
    check: (r) => expect(r.addresses).toHaveLength(1),
    cleanup: async (e) => {
      for (const x of e.memo.rows as { poolId: string; nodeId: string; address: string; containerId: string }[]) {
        await db(e).ipAddress.create({
          data: { poolId: x.poolId, nodeId: x.nodeId, address: x.address, containerId: x.containerId },
        });
      }
    },
    fuzz: () => ({ family: 4 }),
  },
  "containers.removeIp": {
    allow: SELLERS,
    kind: "target",
    input: async (e) => {
      // a second address (the container may be running: its last one could not go live)
      const c = e.s.customer.container;
      e.memo.address = `198.18.0.${c.ctid}`;
      if (!(await db(e).ipAddress.findFirst({ where: { containerId: c.id, address: e.memo.address as string } }))) {
        await db(e).ipAddress.create({
          data: { poolId: e.w.pool.id, nodeId: e.w.node.id, address: e.memo.address as string, containerId: c.id },
        });
      }
      return { containerId: c.id, address: e.memo.address };
    },
    effect: async (e) =>
      (await db(e).ipAddress.count({
        where: { containerId: e.s.customer.container.id, address: e.memo.address as string },
      })) === 0,
  },
  "containers.setFirewall": {
    allow: AUTHED,
    kind: "target",
    input: (e) => ({
      containerId: e.s.customer.container.id,
      firewall: {
        enabled: true,
        policyIn: "drop",
        policyOut: "accept",
        rules: [
          {
            direction: "in",
            action: "accept",
            proto: "tcp",
            ports: "22",
            peer: "198.51.100.0/24",
            comment: `m ${e.uniq}`,
          },
        ],
      },
    }),
    effect: async (e) =>
      (await db(e).container.findUniqueOrThrow({ where: { id: e.s.customer.container.id } })).firewall.includes(
        `m ${e.uniq}`,
      ),
    check: (r, e) => expect(fakeEngine().nets.get(e.s.customer.container.ctid)!.firewall).toEqual(r.firewall),
  },
  "containers.setNetMode": {
    allow: ADMIN,
    kind: "target",
    input: async (e) => {
      const c = e.s.customer.container;
      Object.assign(fakeEngine().containers.get(c.ctid)!, { state: "stopped", initPid: null });
      e.memo.mode = (await db(e).container.findUniqueOrThrow({ where: { id: c.id } })).netMode;
      return { containerId: c.id, mode: e.memo.mode === "none" ? "venet" : "none" };
    },
    effect: async (e) =>
      (await db(e).container.findUniqueOrThrow({ where: { id: e.s.customer.container.id } })).netMode !== e.memo.mode,
    check: async (r, e) => {
      expect(r.netMode).toBe("none");
      expect(await db(e).ipAddress.count({ where: { containerId: e.s.customer.container.id } })).toBe(0);
      // back to venet: the plan's one address again
      const back = await caller(e.w.db, e.actor).containers.setNetMode({
        containerId: e.s.customer.container.id,
        mode: "venet",
      });
      expect(back.addresses).toHaveLength(1);
    },
  },

  // IP pools, traffic
  "pools.list": {
    allow: ADMIN,
    kind: "self",
    check: (r, e) =>
      expect(r.find((p: { id: string }) => p.id === e.w.pool.id)).toMatchObject({ name: "public-v4", total: 90 }),
  },
  "pools.create": {
    allow: ADMIN,
    kind: "self",
    input: (e) => {
      const k = Number(e.uniq.replace(/\D/g, "")) % 250;
      return {
        nodeId: e.w.node.id,
        name: `m-${e.uniq}`,
        kind: "venet",
        cidr: `10.77.${k}.0/24`,
        rangeStart: `10.77.${k}.10`,
        rangeEnd: `10.77.${k}.20`,
      };
    },
    fuzz: () => ({ gateway: "10.77.0.1", network: undefined }),
    effect: async (e) => (await db(e).ipPool.count({ where: { name: `m-${e.uniq}` } })) === 1,
    check: (r) => expect(r).toMatchObject({ family: 4, used: 0, total: 11 }),
  },
  "pools.delete": {
    allow: ADMIN,
    kind: "self",
    input: async (e) => {
      const k = Number(e.uniq.replace(/\D/g, "")) % 250;
      const p = await db(e).ipPool.create({
        data: {
          nodeId: e.w.node.id,
          name: `d-${e.uniq}`,
          kind: "venet",
          family: 4,
          cidr: `10.88.${k}.0/24`,
          rangeStart: `10.88.${k}.1`,
          rangeEnd: `10.88.${k}.2`,
        },
      });
      return { poolId: p.id };
    },
    effect: async (e) => (await db(e).ipPool.count({ where: { name: `d-${e.uniq}` } })) === 0,
    cleanup: async (e) => void (await db(e).ipPool.deleteMany({ where: { name: `d-${e.uniq}` } })),
  },
  "traffic.container": {
    allow: AUTHED,
    kind: "target",
    input: (e) => ({ containerId: e.s.customer.container.id }),
    fuzz: () => ({ days: 7 }),
    check: (r) => {
      expect(r.days).toHaveLength(30);
      expect(r.month.totalBytes).toBe(r.month.rxBytes + r.month.txBytes);
    },
  },
  "traffic.tenant": {
    allow: AUTHED,
    kind: "list",
    rows: (r) => (r as { tenants: { tenantId: string }[] }).tenants.map((t) => t.tenantId),
    fuzz: () => ({ month: "2026-11" }),
  },
  "usage.container": {
    allow: AUTHED,
    kind: "target",
    input: (e) => ({ containerId: e.s.customer.container.id, range: "24h" }),
    check: (r) => expect(r).toMatchObject({ range: "24h", tier: 10, points: [] }),
  },
  "usage.tenants": {
    allow: AUTHED,
    kind: "list",
    rows: (r) => (r as { tenants: { tenantId: string }[] }).tenants.map((t) => t.tenantId),
    fuzz: () => ({ month: "2026-11" }),
  },

  // operations, audit
  "operations.list": {
    allow: AUTHED,
    kind: "list",
    input: (e) => (e.target === "own" ? undefined : { containerId: e.s.customer.container.id }),
    rows: tenantRows,
    fuzz: (e) => ({ containerId: e.s.customer.container.id, take: 10 }),
  },
  "operations.table": {
    allow: AUTHED,
    kind: "list",
    input: (e) => (e.target === "own" ? {} : { containerId: e.s.customer.container.id }),
    rows: (r) => tenantRows((r as { rows: unknown }).rows),
    fuzz: (e) => ({ containerId: e.s.customer.container.id, sort: "status", dir: "asc", q: "st", pageSize: 10 }),
  },
  "operations.get": {
    allow: AUTHED,
    kind: "target",
    input: (e) => ({ operationId: e.w.opOf[e.s.customer.container.id] }),
    fuzz: () => ({ afterLine: 0 }),
    check: (r, e) => expect(r.id).toBe(e.w.opOf[e.s.customer.container.id]),
  },
  "audit.list": {
    allow: SELLERS,
    kind: "list",
    input: () => ({ take: 500 }),
    rows: tenantRows,
    fuzz: () => ({ beforeId: 1000, action: "container" }),
  },

  "audit.table": {
    allow: SELLERS,
    kind: "list",
    input: () => ({ pageSize: 100 }),
    rows: (r) => tenantRows((r as { rows: unknown }).rows),
    fuzz: () => ({ sort: "actor", dir: "asc", q: "container", page: 2 }),
  },

  // nodes, templates (not tenant-bound)
  "nodes.list": {
    allow: ADMIN,
    kind: "self",
    check: (r, e) => expect(r.map((n: { id: string }) => n.id)).toContain(e.w.node.id),
  },
  "nodes.create": {
    allow: ADMIN,
    kind: "self",
    sqliteRefusal: "CONFLICT",
    input: (e) => ({ name: `node-${e.uniq}`, endpoint: `/run/ovz/${e.uniq}.sock` }),
    effect: async (e) => (await db(e).node.count({ where: { name: `node-${e.uniq}` } })) === 1,
  },
  "nodes.delete": {
    allow: ADMIN,
    kind: "self",
    input: async (e) => ({
      nodeId: (await db(e).node.create({ data: { name: `gone-${e.uniq}`, endpoint: `/run/ovz/gone-${e.uniq}.sock` } }))
        .id,
    }),
    effect: async (e) => (await db(e).node.count({ where: { name: `gone-${e.uniq}` } })) === 0,
    cleanup: async (e) => void (await db(e).node.deleteMany({ where: { name: `gone-${e.uniq}` } })),
  },
  "nodes.createJoinToken": {
    allow: ADMIN,
    kind: "self",
    sqliteRefusal: "CONFLICT",
    input: (e) => ({ nodeName: `join-${e.uniq}`, listen: "198.18.250.2:7443", panelUrl: "http://198.18.250.1:3000" }),
    effect: async (e) => (await db(e).nodeJoinToken.count({ where: { nodeName: `join-${e.uniq}` } })) === 1,
    check: (r) =>
      expect(r.command).toBe(
        `OVZ_JOIN_TOKEN=${r.token} ovz-node join --panel http://198.18.250.1:3000 --ca-sha256 ${r.caSha256} --listen 198.18.250.2:7443`,
      ),
  },
  "nodes.joinTokens": { allow: ADMIN, kind: "self", check: (r) => expect(Array.isArray(r)).toBe(true) },
  "nodes.revokeJoinToken": {
    allow: ADMIN,
    kind: "self",
    input: async (e) => ({
      id: (
        await db(e).nodeJoinToken.create({
          data: {
            nodeName: `rev-${e.uniq}`,
            listen: "198.18.250.2:7443",
            tokenHash: `${e.uniq}`.padEnd(64, "0"),
            expiresAt: new Date(Date.now() + 3_600_000),
            createdBy: "seed",
          },
        })
      ).id,
    }),
    effect: async (e) =>
      (await db(e).nodeJoinToken.findFirstOrThrow({ where: { nodeName: `rev-${e.uniq}` } })).revokedAt !== null,
    cleanup: async (e) => void (await db(e).nodeJoinToken.deleteMany({ where: { nodeName: `rev-${e.uniq}` } })),
  },
  "nodes.info": {
    allow: ADMIN,
    kind: "self",
    input: (e) => ({ nodeId: e.w.node.id }),
    check: (r) => expect(r.hostname).toBe("fake-node"),
  },
  "nodes.stats": {
    allow: ADMIN,
    kind: "self",
    input: (e) => ({ nodeId: e.w.node.id, hours: 1 }),
    check: (r) => expect(r.current.cpus).toBe(2),
  },
  "nodes.networks": {
    allow: ADMIN,
    kind: "self",
    input: (e) => {
      fakeEngine().networks.set("lan", { name: "lan", bridge: "br-lan", hostCidr: "198.18.9.1/24", dhcp: false });
      return { nodeId: e.w.node.id };
    },
    check: (r) => expect(r.map((n: { name: string }) => n.name)).toContain("lan"),
  },
  "nodes.createNetwork": {
    allow: ADMIN,
    kind: "self",
    input: (e) => ({ nodeId: e.w.node.id, name: `net-${e.uniq}`, bridge: `br-${e.uniq}` }),
    fuzz: () => ({ hostCidr: "198.18.7.1/24", gateway: "198.18.7.1", dhcp: false }),
    effect: (e) => fakeEngine().networks.has(`net-${e.uniq}`),
    check: (r, e) => expect(r).toMatchObject({ name: `net-${e.uniq}`, bridge: `br-${e.uniq}`, exists: true }),
  },
  "nodes.deleteNetwork": {
    allow: ADMIN,
    kind: "self",
    input: (e) => {
      fakeEngine().networks.set(`gone-${e.uniq}`, { name: `gone-${e.uniq}`, bridge: `brg-${e.uniq}`, dhcp: false });
      return { nodeId: e.w.node.id, name: `gone-${e.uniq}` };
    },
    effect: (e) => !fakeEngine().networks.has(`gone-${e.uniq}`),
    cleanup: async (e) => void fakeEngine().networks.delete(`gone-${e.uniq}`),
  },
  "templates.list": {
    allow: AUTHED,
    kind: "self",
    check: (r) => expect(r.map((x: { name: string }) => x.name)).toContain("busybox"),
  },
  "templates.onNode": {
    allow: ADMIN,
    kind: "self",
    input: (e) => ({ nodeId: e.w.node.id }),
    check: (r) => expect(r.map((x: { name: string }) => x.name)).toContain("busybox"),
  },
  "templates.build": {
    allow: ADMIN,
    kind: "self",
    input: async (e) => {
      e.memo.ops = await db(e).operation.count({ where: { type: "template" } });
      return { nodeId: e.w.node.id, kind: "busybox", name: `b-${e.uniq}` };
    },
    effect: async (e) => (await db(e).operation.count({ where: { type: "template" } })) === (e.memo.ops as number) + 1,
  },
  "templates.delete": {
    allow: ADMIN,
    kind: "self",
    input: (e) => {
      fakeEngine().templates.push(`gone-${e.uniq}`);
      return { nodeId: e.w.node.id, name: `gone-${e.uniq}` };
    },
    effect: (e) => !fakeEngine().templates.includes(`gone-${e.uniq}`),
    cleanup: async (e) => {
      const t = fakeEngine().templates;
      if (t.includes(`gone-${e.uniq}`)) t.splice(t.indexOf(`gone-${e.uniq}`), 1);
    },
  },
  // snapshots, backups, SSH keys (server/routers/backups.ts)
  "snapshots.list": {
    allow: AUTHED,
    kind: "target",
    input: (e) => ({ containerId: e.s.customer.container.id }),
    check: (r) => expect(Array.isArray(r.snapshots)).toBe(true),
  },
  "snapshots.create": {
    allow: AUTHED,
    kind: "target",
    input: async (e) => {
      await db(e).plan.update({ where: { id: e.s.reseller.plan.id }, data: { maxSnapshots: 1000 } });
      return { containerId: e.s.customer.container.id, name: `s${e.uniq.replace(/[^A-Za-z0-9]/g, "")}` };
    },
    effect: (e) =>
      (fakeEngine().snapshots.get(e.s.customer.container.ctid) ?? []).some(
        (x) => x.name === `s${e.uniq.replace(/[^A-Za-z0-9]/g, "")}`,
      ),
  },
  "snapshots.rollback": {
    allow: AUTHED,
    kind: "target",
    input: async (e) => {
      const c = e.s.customer.container;
      const name = `r${e.uniq.replace(/[^A-Za-z0-9]/g, "")}`;
      await fakeEngine().call("snapshot.create", { ctid: c.ctid, name });
      e.memo.n = await db(e).auditLog.count({ where: { action: "container.snapshotSwitch" } });
      return { containerId: c.id, name };
    },
    effect: async (e) =>
      (await db(e).auditLog.count({ where: { action: "container.snapshotSwitch" } })) === (e.memo.n as number) + 1,
  },
  "snapshots.delete": {
    allow: AUTHED,
    kind: "target",
    input: async (e) => {
      const c = e.s.customer.container;
      const name = `d${e.uniq.replace(/[^A-Za-z0-9]/g, "")}`;
      await fakeEngine().call("snapshot.create", { ctid: c.ctid, name });
      e.memo.name = name;
      return { containerId: c.id, name };
    },
    effect: (e) => !(fakeEngine().snapshots.get(e.s.customer.container.ctid) ?? []).some((x) => x.name === e.memo.name),
  },
  "backups.list": {
    allow: AUTHED,
    kind: "target",
    input: (e) => ({ containerId: e.s.customer.container.id }),
    check: (r) => expect(Array.isArray(r.backups)).toBe(true),
  },
  "backups.all": {
    allow: AUTHED,
    kind: "list",
    rows: tenantRows,
    input: async (e) => {
      e.memo.backup = (await backupRow(e, { attached: false })).id;
      return undefined;
    },
    cleanup: async (e) => void (await db(e).backup.deleteMany({ where: { id: e.memo.backup as string } })),
  },
  "backups.create": {
    allow: AUTHED,
    kind: "target",
    input: async (e) => {
      await db(e).plan.update({ where: { id: e.s.reseller.plan.id }, data: { maxBackups: 1000 } });
      return containerOp("backup").input!(e);
    },
    effect: containerOp("backup").effect,
    check: (r) => expect(r.type).toBe("backup"),
  },
  "backups.delete": {
    allow: AUTHED,
    kind: "target",
    input: async (e) => {
      const b = await backupRow(e, { attached: false });
      e.memo.backup = b.id;
      return { backupId: b.id };
    },
    effect: async (e) => (await db(e).backup.count({ where: { id: e.memo.backup as string } })) === 0,
    cleanup: async (e) => void (await db(e).backup.deleteMany({ where: { id: e.memo.backup as string } })),
  },
  "backups.restore": {
    allow: AUTHED,
    kind: "target",
    input: async (e) => {
      const c = e.s.customer.container;
      Object.assign(fakeEngine().containers.get(c.ctid)!, { state: "stopped", initPid: null });
      const b = await backupRow(e, { attached: true });
      e.memo.backup = b.id;
      e.memo.ops = await opCount(e, "restore");
      return { containerId: c.id, backupId: b.id };
    },
    effect: async (e) => (await opCount(e, "restore")) === (e.memo.ops as number) + 1,
    cleanup: async (e) => void (await db(e).backup.deleteMany({ where: { id: e.memo.backup as string } })),
  },
  "backups.restoreAsNew": {
    // customers too, of a self-service plan within its quota (server/test/db/customer-quota.db.test.ts)
    allow: AUTHED,
    kind: "target",
    input: async (e) => {
      await selfService(e, 10);
      const b = await backupRow(e, { attached: false });
      e.memo.backup = b.id;
      return { backupId: b.id, hostname: `new-${e.uniq}.test` };
    },
    effect: async (e) => (await db(e).container.count({ where: { hostname: `new-${e.uniq}.test` } })) === 1,
    // the new container is removed again: it would count against the reseller's allocation in later calls
    check: async (r, e) => {
      expect(r.type).toBe("restore");
      const c = await db(e).container.findUniqueOrThrow({ where: { id: r.containerId } });
      expect(c).toMatchObject({ tenantId: e.s.customer.tenant.id, hostname: `new-${e.uniq}.test`, state: "stopped" });
      await fakeEngine().call("container.destroy", { ctid: c.ctid, force: true });
      await db(e).container.delete({ where: { id: c.id } });
      await db(e).backup.deleteMany({ where: { id: e.memo.backup as string } });
      await selfService(e, 0);
    },
    cleanup: async (e) => {
      await db(e).backup.deleteMany({ where: { id: e.memo.backup as string } });
      await selfService(e, 0);
    },
  },
  // backup policies (server/routers/backup-policies.ts)
  "backupPolicies.list": {
    allow: AUTHED,
    kind: "list",
    rows: tenantRows,
    input: async (e) => {
      e.memo.policy = (await policyRow(e)).id;
      return undefined;
    },
    cleanup: async (e) => void (await db(e).backupPolicy.deleteMany({ where: { id: e.memo.policy as string } })),
  },
  "backupPolicies.create": {
    allow: AUTHED,
    kind: "self",
    input: (e) => ({ name: `new-${e.uniq}`, kind: "backup", schedule: "daily 03:00", keepDaily: 2 }),
    fuzz: () => ({ keepWeekly: 1, keepMonthly: 1 }),
    effect: async (e) => (await db(e).backupPolicy.count({ where: { name: `new-${e.uniq}` } })) === 1,
    check: (r, e) => expect(r).toMatchObject({ tenantId: e.actor!.tenantId, schedule: "daily 03:00", keepDaily: 2 }),
  },
  "backupPolicies.update": {
    allow: AUTHED,
    kind: "target",
    input: async (e) => {
      const p = await policyRow(e);
      e.memo.policy = p.id;
      return { policyId: p.id, schedule: "weekly sun 04:00" };
    },
    fuzz: (e) => ({ name: `renamed-${e.uniq}`, kind: "snapshot", keepDaily: 1, keepWeekly: 1, keepMonthly: 1 }),
    effect: async (e) =>
      (await db(e).backupPolicy.findUniqueOrThrow({ where: { id: e.memo.policy as string } })).schedule ===
      "weekly sun 04:00",
    cleanup: async (e) => void (await db(e).backupPolicy.deleteMany({ where: { id: e.memo.policy as string } })),
  },
  "backupPolicies.delete": {
    allow: AUTHED,
    kind: "target",
    input: async (e) => {
      const p = await policyRow(e);
      e.memo.policy = p.id;
      return { policyId: p.id };
    },
    effect: async (e) => (await db(e).backupPolicy.count({ where: { id: e.memo.policy as string } })) === 0,
    cleanup: async (e) => void (await db(e).backupPolicy.deleteMany({ where: { id: e.memo.policy as string } })),
  },
  "backupPolicies.setForPlan": {
    allow: SELLERS,
    kind: "target",
    input: async (e) => {
      const p = await policyRow(e, e.s.reseller.tenant.id);
      e.memo.policy = p.id;
      return { planId: e.s.reseller.plan.id, policyId: p.id };
    },
    effect: async (e) =>
      (await db(e).plan.findUniqueOrThrow({ where: { id: e.s.reseller.plan.id } })).backupPolicyId === e.memo.policy,
    cleanup: async (e) => void (await db(e).backupPolicy.deleteMany({ where: { id: e.memo.policy as string } })),
  },
  "backupPolicies.forContainer": {
    allow: AUTHED,
    kind: "target",
    input: (e) => ({ containerId: e.s.customer.container.id }),
    check: (r) => expect(r).toHaveProperty("nextRunAt"),
  },
  "backupPolicies.setForContainer": {
    allow: AUTHED,
    kind: "target",
    input: async (e) => {
      const p = await policyRow(e);
      e.memo.policy = p.id;
      return { containerId: e.s.customer.container.id, policyId: p.id };
    },
    effect: async (e) =>
      (await db(e).container.findUniqueOrThrow({ where: { id: e.s.customer.container.id } })).backupPolicyId ===
      e.memo.policy,
    cleanup: async (e) => void (await db(e).backupPolicy.deleteMany({ where: { id: e.memo.policy as string } })),
  },
  "sshKeys.get": {
    allow: AUTHED,
    kind: "target",
    input: (e) => ({ containerId: e.s.customer.container.id }),
    check: (r) => expect(typeof r.keys).toBe("string"),
  },
  "sshKeys.set": {
    allow: AUTHED,
    kind: "target",
    input: (e) => ({ containerId: e.s.customer.container.id, keys: `${ED_KEY}-${e.uniq}` }),
    effect: async (e) =>
      (await db(e).container.findUniqueOrThrow({ where: { id: e.s.customer.container.id } })).sshKeys ===
      `${ED_KEY}-${e.uniq}`,
  },
};

const PATHS = Object.keys(
  (appRouter as unknown as { _def: { procedures: Record<string, unknown> } })._def.procedures,
).sort();

function expectation(spec: Spec, role: Role, target: Target, provider: string): "ok" | Code {
  if (spec.alwaysDenied) return spec.alwaysDenied;
  if (!spec.allow.includes(role)) return role === "anonymous" ? "UNAUTHORIZED" : "FORBIDDEN";
  if (spec.kind === "target" && target !== "own") return "NOT_FOUND";
  if (spec.sqliteRefusal && provider === "sqlite") return spec.sqliteRefusal;
  return "ok";
}

function call(c: Caller, path: string, input: unknown): Promise<unknown> {
  const fn = path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], c);
  return (fn as (i: unknown) => Promise<unknown>)(input);
}

async function matrixWorld(t: TestDb): Promise<MatrixWorld> {
  await waitForAllOperations(); // a previous world's operations must not reach this world's engine
  const w = await buildWorld(t.db);
  const opOf: Record<string, string> = {};
  for (const c of await t.db.container.findMany()) {
    const op = await t.db.operation.create({
      data: {
        type: "start",
        status: "succeeded",
        progress: 100,
        tenantId: c.tenantId,
        containerId: c.id,
        actor: "seed",
        message: "seed",
        startedAt: new Date(),
        finishedAt: new Date(),
      },
    });
    await t.db.operationLine.create({ data: { operationId: op.id, line: "seeded" } });
    opOf[c.id] = op.id;
  }
  for (const tn of await t.db.tenant.findMany())
    await t.db.auditLog.create({ data: { actor: "seed", tenantId: tn.id, action: "seed.tenant", target: tn.name } });
  await t.db.auditLog.create({ data: { actor: "seed", tenantId: null, action: "seed.global", target: "none" } });
  for (const u of await t.db.user.findMany()) {
    await t.db.apiToken.create({
      data: { name: `seed ${u.email}`, secretHash: "f".repeat(64), role: u.role, tenantId: u.tenantId, userId: u.id },
    });
  }
  return Object.assign(w, { opOf });
}

function envFor(w: MatrixWorld, role: Role, target: Target, uniq: string): Env {
  const s =
    target === "own"
      ? { reseller: w.a, customer: w.a.customers[0]! }
      : target === "sibling"
        ? { reseller: w.a, customer: w.a.customers[1]! }
        : { reseller: w.b, customer: w.b.customers[0]! };
  return { w, role, target, actor: role === "anonymous" ? null : w.actors[ACTOR_OF[role]], s, uniq, memo: {} };
}

/** Tenants the caller may see, computed from the rows (not with the code under test). */
async function visibleTenants(e: Env): Promise<Set<string> | null> {
  if (e.role === "admin") return null;
  if (e.role === "customer") return new Set([e.actor!.tenantId]);
  const kids = await e.w.db.tenant.findMany({ where: { parentId: e.actor!.tenantId }, select: { id: true } });
  return new Set([e.actor!.tenantId, ...kids.map((k) => k.id)]);
}

describe("access matrix: coverage", () => {
  it("classifies every procedure of appRouter (add new procedures to MATRIX)", () => {
    expect(PATHS.length).toBeGreaterThan(40);
    const missing = PATHS.filter((p) => !(p in MATRIX));
    const stale = Object.keys(MATRIX).filter((p) => !PATHS.includes(p));
    expect(missing, "procedures without an access rule in the matrix").toEqual([]);
    expect(stale, "matrix rows for procedures that no longer exist").toEqual([]);
  });
});

// --- Malformed input: never a 500 -------------------------------------------------------------------

const HUGE = "x".repeat(100_000);
const BAD_VALUES: [string, unknown][] = [
  ["undefined", undefined],
  ["null", null],
  ["-1", -1],
  ["2^31", 2_147_483_648],
  ["1e20", 1e20],
  ["1.5", 1.5],
  ["NaN", NaN],
  ["empty", ""],
  ["blank", "   "],
  ["huge", HUGE],
  ["inner NUL", "a\u0000b"],
  ["lone surrogate", "\ud800x"],
  ["sql", '\'; DROP TABLE "User"; --'],
  ["emoji", "💥".repeat(300)],
  ["object", {}],
  ["array", [1, 2]],
  ["true", true],
  ["random id", "clxxxxxxxxxxxxxxxxxxxxxxx"],
];
const WHOLE: [string, unknown][] = [
  ["undefined", undefined],
  ["null", null],
  ["{}", {}],
  ["[]", []],
  ["42", 42],
  ["huge string", HUGE],
];

function variants(valid: unknown): [string, unknown][] {
  const out: [string, unknown][] = [...WHOLE];
  if (!valid || typeof valid !== "object") return out;
  const v = valid as Record<string, unknown>;
  out.push(["extra keys", { ...v, extra: "x", constructor: "y", tenantId_: 1 }]);
  for (const k of Object.keys(v)) {
    for (const [label, bad] of BAD_VALUES) out.push([`${k}=${label}`, { ...v, [k]: bad }]);
    const inner = v[k];
    if (inner && typeof inner === "object" && !Array.isArray(inner)) {
      out.push([`${k}+extra`, { ...v, [k]: { ...(inner as object), bogus: 1 } }]);
      for (const ik of Object.keys(inner))
        for (const [label, bad] of BAD_VALUES)
          out.push([`${k}.${ik}=${label}`, { ...v, [k]: { ...(inner as object), [ik]: bad } }]);
    }
  }
  return out;
}

// Generated boundary inputs (server/test/helpers/boundary.ts), per procedure from its zod input schema.
// Seeded, so a failure reproduces: OVZ_FUZZ_SEED=<seed> (printed with the counterexample); OVZ_FUZZ_RUNS
// raises the number of inputs per procedure for a longer hunt.
const FUZZ_SEED = Number(process.env.OVZ_FUZZ_SEED ?? 20261206);
const FUZZ_RUNS = Number(process.env.OVZ_FUZZ_RUNS ?? 25);
const PROCEDURES = (
  appRouter as unknown as { _def: { procedures: Record<string, { _def: { inputs: ZodTypeAny[] } }> } }
)._def.procedures;
/** One seed per procedure (from the run's seed and its path), so each reproduces on its own. */
function seedOf(path: string): number {
  let h = FUZZ_SEED | 0;
  for (const ch of path) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return h | 0;
}

/*
 * One world per database for all groups (a fresh PostgreSQL database costs ~1 s on a small host). This is
 * safe because refused calls are checked to change no row, and the allowed calls only touch what later
 * groups do not depend on: targets are never deleted (destroy/plan delete/token revoke get their own
 * disposable rows), renames and new rows use unique names, and every operation is awaited.
 */
describe.each(PROVIDERS)("access matrix on %s", (provider) => {
  let t: TestDb;
  let w: MatrixWorld;
  let n = 0;
  beforeAll(async () => {
    t = await freshDb(provider);
    w = await matrixWorld(t);
  });
  afterAll(async () => {
    await waitForAllOperations();
    await t?.drop();
  });

  describe.each(GROUPS)("%s caller, %s target", (role, target) => {
    it.each(Object.keys(MATRIX))("%s", async (path) => {
      const spec = MATRIX[path]!;
      const e = envFor(w, role, target, `${role[0]}${target[0]}${++n}`);
      const input = spec.input ? await spec.input(e) : undefined;
      const want = expectation(spec, role, target, provider);
      const before = want === "ok" ? null : await rowCounts(w.db);
      let result: unknown;
      let error: unknown = null;
      try {
        result = await call(caller(w.db, e.actor), path, input);
      } catch (err) {
        error = err;
      }
      await waitForAllOperations();
      if (want === "ok") {
        if (error)
          throw new Error(
            `${role} on ${target} target: ${path} should succeed but failed: ${(error as Error).message}`,
            { cause: error },
          );
        if (spec.kind === "list") {
          const visible = await visibleTenants(e);
          const extra = new Set(spec.alsoVisible?.(e) ?? []);
          const tenants = await spec.rows!(result, e);
          if (target === "own" && path !== "tokens.list")
            expect(tenants.length, `${path} returned nothing to check`).toBeGreaterThan(0);
          if (visible)
            for (const tid of tenants)
              expect(
                tid !== null && (visible.has(tid) || extra.has(tid)),
                `${path} leaked a row of tenant ${tid}`,
              ).toBe(true);
        }
        if (spec.effect) expect(await spec.effect(e), `${path}: its effect is missing after success`).toBe(true);
        await spec.check?.(result, e);
      } else {
        expect(
          error,
          `${role} on ${target} target: ${path} must be refused with ${want}, but it succeeded`,
        ).toBeInstanceOf(TRPCError);
        expect((error as TRPCError).code, (error as Error).message).toBe(want);
        expect([
          "UNAUTHORIZED",
          "FORBIDDEN",
          "NOT_FOUND",
          ...(provider === "sqlite" && spec.sqliteRefusal ? [spec.sqliteRefusal] : []),
        ]).toContain((error as TRPCError).code);
        expect(await rowCounts(w.db), "a refused call changed the database").toEqual(before);
        if (spec.effect) expect(await spec.effect(e), `${path}: a refused call still took effect`).toBe(false);
        await spec.cleanup?.(e);
      }
    });
  });

  // Last, on the same world: malformed input as admin. Only the absence of 500s is asserted, so the
  // changes these calls make (some variants are valid and succeed) cannot mislead a later check.
  describe("malformed input as admin: never INTERNAL_SERVER_ERROR", () => {
    it.each(Object.keys(MATRIX))("%s", async (path) => {
      const spec = MATRIX[path]!;
      const e = envFor(w, "admin", "own", `bad${++n}`);
      const given = spec.input ? await spec.input(e) : undefined;
      const valid = spec.fuzz ? { ...(given as object | undefined), ...spec.fuzz(e) } : given;
      const problems: string[] = [];
      let refused = 0;
      for (const [label, input] of variants(valid)) {
        try {
          await call(caller(w.db, w.actors.admin), path, input);
        } catch (err) {
          refused++;
          if (!(err instanceof TRPCError)) problems.push(`${label}: threw a non-tRPC error ${String(err)}`);
          else if (err.code === "INTERNAL_SERVER_ERROR")
            problems.push(
              `${label}: ${err.code} (${String((err.cause as Error | undefined)?.message ?? err.message).slice(0, 200)})`,
            );
        }
        await waitForAllOperations();
      }
      expect(problems).toEqual([]);
      // Sanity: the bad inputs were really tried (procedures with an input refuse most of them).
      if (spec.input && valid !== undefined) expect(refused).toBeGreaterThan(5);
    });
  });

  // Then generated boundary values of every field (fast-check): at and around each schema's limits,
  // mixed with the valid input so calls reach the services and the database. Shrunk on failure.
  describe("generated boundary inputs as admin: never INTERNAL_SERVER_ERROR", () => {
    const fuzzStats = { calls: 0, reached: 0 };
    afterAll(() =>
      console.log(
        `generated inputs on ${provider}: ${fuzzStats.calls} calls, ${fuzzStats.reached} past the schema (seed ${FUZZ_SEED})`,
      ),
    );
    it.each(Object.keys(MATRIX))("%s", async (path) => {
      const spec = MATRIX[path]!;
      const e = envFor(w, "admin", "own", `gen${++n}`);
      const given = spec.input ? await spec.input(e) : undefined;
      const valid = spec.fuzz ? { ...(given as object | undefined), ...spec.fuzz(e) } : given;
      const seed = seedOf(path);
      let reached = 0;
      const details = await fc.check(
        fc.asyncProperty(procedureInputArb(PROCEDURES[path]!._def.inputs, valid), async (input) => {
          try {
            await call(caller(w.db, w.actors.admin), path, input);
            reached++;
          } catch (err) {
            if (!(err instanceof TRPCError)) throw new Error(`threw a non-tRPC error: ${String(err)}`);
            if (!(err.cause instanceof ZodError)) reached++;
            if (err.code === "INTERNAL_SERVER_ERROR")
              throw new Error(
                `INTERNAL_SERVER_ERROR: ${String((err.cause as Error | undefined)?.message ?? err.message)
                  .replace(/\s+/g, " ")
                  .trim()
                  .slice(0, 300)}`,
              );
          } finally {
            await waitForAllOperations();
          }
        }),
        { seed, numRuns: FUZZ_RUNS },
      );
      if (details.failed) {
        const why =
          details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
        expect.fail(
          `${path} on ${provider} (OVZ_FUZZ_SEED=${FUZZ_SEED}, procedure seed ${seed}): ${why}\n${fc.defaultReportMessage(details)}`,
        );
      }
      fuzzStats.calls += details.numRuns;
      fuzzStats.reached += reached;
      // Sanity: generated inputs get past the schema into the handler (they are mostly valid on purpose).
      if (PROCEDURES[path]!._def.inputs.length)
        expect(reached, `${path}: the schema refused every generated input`).toBeGreaterThan(0);
    });
  });
});
