/**
 * The boundary-input generator of the malformed-input test (server/test/helpers/boundary.ts): it really
 * produces the edges it promises, and it has a generator for every procedure's input schema.
 */
import fc from "fast-check";
import { z, type ZodTypeAny } from "zod";
import { describe, expect, it } from "vitest";
import { appRouter } from "../../routers/index.js";
import { boundaryArb, extremize, procedureInputArb } from "../helpers/boundary.js";

const sample = (s: ZodTypeAny, base?: unknown, n = 400) => fc.sample(boundaryArb(s, base), { numRuns: n, seed: 42 });

describe("boundary inputs from zod schemas", () => {
  it("numbers: min/max and ±1, 0, MAX_SAFE_INTEGER, non-finite values", () => {
    const got = new Set(sample(z.number().int().min(1).max(500)));
    for (const v of [0, 1, 2, 499, 500, 501, Number.MAX_SAFE_INTEGER, NaN, Infinity, -Infinity])
      expect(got.has(v), String(v)).toBe(true);
    expect([...got].every((v) => typeof v === "number")).toBe(true);
  });

  it("strings: at and beyond the length limits; regex matches pushed to the pattern's edges", () => {
    const lengths = new Set(sample(z.string().min(1).max(64)).map((s) => (s as string).length));
    for (const n of [0, 1, 2, 63, 64, 65]) expect(lengths.has(n), `length ${n}`).toBe(true);
    const month = /^\d{4}-(0[1-9]|1[0-2])$/;
    expect([extremize("2026-11", month, "max"), extremize("2026-11", month, "min")]).toEqual(["9999-12", "0000-01"]);
    const months = sample(z.string().regex(month)) as string[];
    expect(months).toContain("9999-12");
    expect(months).toContain("0000-01");
    expect(months.filter((m) => month.test(m)).length, "mostly valid").toBeGreaterThan(months.length / 2);
  });

  it("enums, optional/nullable, objects: members, absent and null; one to three odd fields, ids kept", () => {
    expect(new Set(sample(z.enum(["a", "b"])))).toEqual(new Set(["a", "b", "not-a-member"]));
    const opt = sample(z.number().nullable().optional());
    expect(opt).toContain(undefined);
    expect(opt).toContain(null);
    const schema = z.object({
      containerId: z.string().max(64),
      a: z.number(),
      b: z.number(),
      c: z.number(),
      d: z.number(),
      e: z.number().optional(),
    });
    const base = { containerId: "c1", a: 1, b: 1, c: 1, d: 1 };
    for (const v of sample(schema, base, 200) as Record<string, unknown>[]) {
      expect(v.containerId).toBe("c1");
      const odd = ["a", "b", "c", "d", "e"].filter((k) => v[k] !== (base as Record<string, unknown>)[k]);
      expect(odd.length).toBeLessThanOrEqual(3);
    }
  });

  it("arrays at their length limits", () => {
    const lengths = new Set(sample(z.array(z.string()).min(1).max(10)).map((a) => (a as unknown[]).length));
    for (const n of [0, 1, 2, 10, 11]) expect(lengths.has(n), `length ${n}`).toBe(true);
  });

  it("every procedure of appRouter has a generator for its input", () => {
    const procs = (appRouter as unknown as { _def: { procedures: Record<string, { _def: { inputs: ZodTypeAny[] } }> } })
      ._def.procedures;
    for (const [path, p] of Object.entries(procs))
      expect(
        () => fc.sample(procedureInputArb(p._def.inputs, undefined), { numRuns: 20, seed: 1 }),
        path,
      ).not.toThrow();
    // about 1,600 generated inputs: 1–2 s on an idle 2-core host, over vitest's 5 s default when the host is loaded
  }, 60_000);
});
