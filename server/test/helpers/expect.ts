/**
 * Small helpers for handler tests: catching tRPC errors, TOTP codes, holding the fake engine inside a
 * method (to keep an operation "running"), and disposable rows.
 */
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP, generateTOTP } from "@oslojs/otp";
import { TRPCError } from "@trpc/server";
import { expect } from "vitest";
import type { MethodName } from "../../../native/src/protocol/schema.js";
import type { Db } from "../../db/client.js";
import { fakeEngine } from "./world.js";

/** Runs the call and returns the TRPCError it threw; fails the test if it succeeded or threw something else. */
export async function trpcError(p: Promise<unknown> | (() => Promise<unknown>)): Promise<TRPCError> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    expect(e, `expected a TRPCError, got ${String(e)}`).toBeInstanceOf(TRPCError);
    return e as TRPCError;
  }
  throw new Error("expected the call to fail, but it succeeded");
}

/** The domain code a client reads from error.data (what errorFormatter sends). */
export function domainCode(e: TRPCError): string | undefined {
  return (e as TRPCError & { data?: { domainCode?: string } }).data?.domainCode;
}

export async function expectCode(
  p: Promise<unknown> | (() => Promise<unknown>),
  code: TRPCError["code"],
  domain?: string,
): Promise<TRPCError> {
  const e = await trpcError(p);
  expect(e.code, e.message).toBe(code);
  if (domain) expect(domainCode(e)).toBe(domain);
  return e;
}

/** The TOTP code of the current 30 s step, or of a neighbouring one (still accepted: ±30 s grace). */
export function totpCode(secret: string, stepOffset: -1 | 0 | 1 = 0): string {
  const key = decodeBase32IgnorePadding(secret);
  if (stepOffset === 0) return generateTOTP(key, 30, 6);
  return generateHOTP(key, BigInt(Math.floor(Date.now() / 30_000) + stepOffset), 6);
}

/**
 * Holds every fake-engine call of `method` until release() (the operation stays "running").
 * restore() puts the engine back.
 */
export function holdEngine(method: MethodName) {
  const eng = fakeEngine();
  const original = eng.call.bind(eng);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let entered = 0;
  (eng as { call: typeof eng.call }).call = (async (m: MethodName, params: never, opts?: never) => {
    if (m === method) {
      entered++;
      await gate;
    }
    return original(m, params, opts);
  }) as typeof eng.call;
  return {
    release,
    get entered() {
      return entered;
    },
    restore() {
      release();
      (eng as { call: typeof eng.call }).call = original;
    },
  };
}

/** A container row plus its fake-engine twin, outside every quota check (test setup only). */
export async function disposableContainer(
  db: Db,
  o: { tenantId: string; planId: string; nodeId: string; hostname: string; state?: "stopped" | "running" },
) {
  const top = await db.container.findFirst({
    where: { nodeId: o.nodeId },
    orderBy: { ctid: "desc" },
    select: { ctid: true },
  });
  const ctid = Math.max(101, (top?.ctid ?? 0) + 1);
  const info = await fakeEngine().call("container.create", { ctid, template: "busybox", hostname: o.hostname });
  if (o.state === "running") await fakeEngine().call("container.start", { ctid });
  return db.container.create({
    data: {
      ctid,
      nodeId: o.nodeId,
      tenantId: o.tenantId,
      planId: o.planId,
      hostname: o.hostname,
      template: "busybox",
      state: o.state ?? info.state,
    },
  });
}

const COUNTED = [
  "Tenant",
  "User",
  "Plan",
  "Allocation",
  "Container",
  "Operation",
  "OperationLine",
  "AuditLog",
  "ApiToken",
  "Node",
  "Session",
  "LoginAttempt",
  "IpPool",
  "IpAddress",
  "TrafficDaily",
  "TrafficCounter",
  "BackupPolicy",
] as const;

/** Row counts of the tables a refused call must not change (one round trip; same SQL on both databases). */
export async function rowCounts(db: Db): Promise<Record<(typeof COUNTED)[number], number>> {
  const sql = `SELECT ${COUNTED.map((t) => `(SELECT COUNT(*) FROM "${t}") AS "${t}"`).join(", ")}`;
  const [row] = await db.$queryRawUnsafe<Record<string, bigint | number>[]>(sql);
  return Object.fromEntries(COUNTED.map((t) => [t, Number(row![t])])) as Record<(typeof COUNTED)[number], number>;
}
