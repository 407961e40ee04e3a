/** The identity fields declared once (native/src/identity.ts): their bounds and patterns at the edges. */
import { describe, expect, it } from "vitest";
import {
  containerNameSchema,
  CTID_MAX,
  ctidSchema,
  hostnameSchema,
  isCtid,
  newCtidSchema,
  templateNameSchema,
} from "../../src/identity.js";

const ok = (s: { safeParse(v: unknown): { success: boolean } }, v: unknown) => s.safeParse(v).success;

describe("identity fields", () => {
  it("ctid: 1 to 2,000,000,000 for the engine, from 100 for a new container; whole numbers only", () => {
    expect([0, 1, CTID_MAX, CTID_MAX + 1, 1.5, "101"].map((v) => ok(ctidSchema, v))).toEqual([
      false,
      true,
      true,
      false,
      false,
      false,
    ]);
    expect([99, 100, CTID_MAX, CTID_MAX + 1].map((v) => ok(newCtidSchema, v))).toEqual([false, true, true, false]);
    expect([1, CTID_MAX, 0, NaN, "1"].map(isCtid)).toEqual([true, true, false, false, false]);
  });

  it("hostname: RFC 1123 labels, 253 characters at most, no trailing dot or underscore", () => {
    const label63 = "a".repeat(63);
    const long = [label63, label63, label63, "a".repeat(61)].join("."); // 253
    expect(["ct101.example.com", "a", "a-b.c", long].every((h) => ok(hostnameSchema, h))).toBe(true);
    const bad = ["", "-a", "a-", "a..b", "a.", `${long}a`, "a".repeat(64), "a_b", "a b", "a/b"];
    expect(bad.filter((h) => ok(hostnameSchema, h))).toEqual([]);
  });

  it("container name: not all digits (those are ctids), 64 characters at most, no shell characters", () => {
    expect(["web", "web-1.a_b", "1web", "a".repeat(64)].every((n) => ok(containerNameSchema, n))).toBe(true);
    expect(["101", "", "a".repeat(65), "-a", "a b", "a;b", "a/b"].filter((n) => ok(containerNameSchema, n))).toEqual(
      [],
    );
  });

  it("template name: lower case, no path characters", () => {
    expect(["debian-12", "busybox", "ubuntu-24.04_x"].every((n) => ok(templateNameSchema, n))).toBe(true);
    expect(["Debian", "../x", ".x", "a/b", "", "a".repeat(65)].filter((n) => ok(templateNameSchema, n))).toEqual([]);
  });
});
