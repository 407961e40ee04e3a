import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { EngineError } from "../../../native/src/errors.js";
import { dialEngine } from "../../../native/src/protocol/dial.js";
import { defaultLimits } from "../../../native/src/settings.js";
import { readCookie, sessionCookie } from "../../auth/session.js";
import { roleAtMost } from "../../auth/roles.js";
import { checkTotp, newTotpSecret } from "../../auth/totp.js";
import { providerOf, sqlitePath } from "../../db/provider.js";
import { unavailableError } from "../../engine/unavailable.js";
import { MappedError, PanelError, toTRPCError } from "../../errors.js";
import { costOf, effectiveLimits } from "../../services/limits.js";
import { generateTOTP } from "@oslojs/otp";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";

describe("database URL", () => {
  it("picks the provider from the URL and explains unsupported ones", () => {
    expect(providerOf("file:/var/lib/ovz-panel/panel.db")).toBe("sqlite");
    expect(providerOf("postgresql://u:p@h:5432/db")).toBe("postgresql");
    expect(providerOf("postgres://u@h/db")).toBe("postgresql");
    expect(() => providerOf("mysql://root:secret@h/db")).toThrow(/not supported.*file:.*postgresql/);
    expect(() => providerOf("mysql://root:secret@h/db")).not.toThrow(/secret/);
    expect(sqlitePath("file:./x.db?connection_limit=1")).toBe("./x.db");
  });
});

describe("error mapping (one place)", () => {
  it("maps domain and engine errors to tRPC codes with a domain code", async () => {
    const q = toTRPCError(new PanelError("QUOTA_EXCEEDED", "too much", { ram: "over" })) as MappedError;
    expect(q.code).toBe("FORBIDDEN");
    expect(q.data).toEqual({ domainCode: "QUOTA_EXCEEDED", fields: { ram: "over" } });
    expect(toTRPCError(new PanelError("RATE_LIMITED", "slow down")).code).toBe("TOO_MANY_REQUESTS");
    const e = toTRPCError(new EngineError("RUNNING", "container 101 is running; stop it first")) as MappedError;
    expect([e.code, e.message, e.data.domainCode]).toEqual([
      "CONFLICT",
      "container 101 is running; stop it first",
      "ENGINE_RUNNING",
    ]);
    // what the panel's engine client (server/engine/unavailable.ts) makes of a failed connection
    const refused = (await dialEngine("/nonexistent/x.sock").catch((e: unknown) => e)) as EngineError;
    expect(refused.message).toMatch(/^cannot reach the host engine at \/nonexistent\/x\.sock: /);
    const down = toTRPCError(unavailableError(refused)) as MappedError;
    expect([down.code, down.data.domainCode]).toEqual(["SERVICE_UNAVAILABLE", "ENGINE_UNAVAILABLE"]);
    expect(down.message).toBe(refused.message);
    // any other engine failure keeps its own code
    expect(
      unavailableError(new EngineError("INTERNAL", "connection to the host engine closed during container.start")),
    ).toBeNull();
  });

  it("hides unexpected errors behind a generic sentence", () => {
    const spy = console.error;
    console.error = () => {};
    try {
      const e = toTRPCError(new Error("SQLITE_CORRUPT at /var/lib/secret/path"));
      expect(e.code).toBe("INTERNAL_SERVER_ERROR");
      expect(e.message).not.toMatch(/secret|SQLITE/);
    } finally {
      console.error = spy;
    }
    const zodLike = new TRPCError({ code: "BAD_REQUEST", message: "bad" });
    expect(toTRPCError(zodLike)).toBe(zodLike);
  });
});

describe("cookies and roles", () => {
  it("session cookie is HttpOnly, SameSite=Lax, Secure by default", () => {
    const c = sessionCookie("abc");
    expect(c).toMatch(/^ovz_session=abc;/);
    expect(c).toContain("HttpOnly");
    expect(c).toContain("SameSite=Lax");
    expect(c).toContain("Secure");
    expect(readCookie("a=1; ovz_session=tok; b=2", "ovz_session")).toBe("tok");
    expect(readCookie("xovz_session=tok", "ovz_session")).toBeNull();
  });
  it("orders roles", () => {
    expect(roleAtMost("customer", "reseller")).toBe(true);
    expect(roleAtMost("admin", "reseller")).toBe(false);
  });
});

describe("TOTP", () => {
  it("accepts the current code and rejects others", () => {
    const s = newTotpSecret();
    const code = generateTOTP(decodeBase32IgnorePadding(s), 30, 6);
    expect(checkTotp(s, code)).toBe(true);
    expect(checkTotp(s, code === "000000" ? "111111" : "000000")).toBe(false);
    expect(checkTotp(s, "12345")).toBe(false);
  });
});

describe("allocation cost", () => {
  it("counts a container's effective limits (plan + overrides) in MiB", () => {
    const plan = { limits: JSON.stringify({ ...defaultLimits(), ram: 256 * 2 ** 20, cpus: 2, diskspace: 2 ** 30 }) };
    const l = effectiveLimits(plan, JSON.stringify({ ram: 512 * 2 ** 20 }));
    expect(costOf(l, 3)).toEqual({ containers: 1, cpus: 2, ramMb: 512, swapMb: 0, diskMb: 1024, ipCount: 3 });
    expect(effectiveLimits(plan, "not json").ram).toBe(256 * 2 ** 20);
  });
});
