/**
 * Generated boundary inputs for tRPC procedures (fast-check), derived from their zod 3 input schemas:
 * numbers at min/max/±1/0/huge/MAX_SAFE_INTEGER (and NaN, ±Infinity, fractions for integers), strings at
 * their length limits and just beyond, strings matching the schema's regexes (fc.stringMatching: months
 * like 9999-12 or 0000-01), generic "interesting" strings where a schema checks text in code (sizes,
 * addresses, ports, CIDRs), enum members and a stranger, absent/null optionals, nested objects and arrays
 * at their length limits. Mostly values the schema accepts (so the calls reach services and the
 * database), some just outside it.
 *
 * `base` is a valid input (from the access matrix): objects keep all but one to three fields valid, so
 * ids stay real and the odd fields are tried deep in the handler.
 */
import fc from "fast-check";
import type { ZodTypeAny } from "zod";

type Arb = fc.Arbitrary<unknown>;
interface Check {
  kind: string;
  value?: number | string;
  inclusive?: boolean;
  regex?: RegExp;
}

const BIG = [
  0,
  1,
  -1,
  -0,
  0.5,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 2,
  Number.MIN_SAFE_INTEGER,
  1e21,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
];
const NON_FINITE = [NaN, Infinity, -Infinity];

/** Text that code (not the schema) interprets: sizes, numbers, addresses, CIDRs, ports, URLs, masks. */
export const INTERESTING_STRINGS = [
  "",
  " ",
  "0",
  "-1",
  "1.5",
  "1e309",
  "9007199254740993",
  "18446744073709551616",
  "0x10",
  "NaN",
  "Infinity",
  "16M",
  "1G",
  "0M",
  "4096T",
  "8E",
  "1.5G",
  "99999999999999999999K",
  "-1G",
  "1 G",
  "1g",
  "1Ki",
  "0.0.0.0",
  "255.255.255.255",
  "198.18.0.1",
  "198.18.0.256",
  "198.18.0.0/15",
  "198.18.0.0/0",
  "198.18.0.0/33",
  "::",
  "::1",
  "fe80::1",
  "fe80::1%eth0",
  "2001:db8::/128",
  "2001:db8::/129",
  "::ffff:198.18.0.1",
  "1.2.3",
  "0",
  "65535",
  "65536",
  "1-65535",
  "65535-1",
  "0-0",
  "22",
  "http://198.18.0.1:65535",
  "http://[::1]:0/",
  "https://x",
  "ftp://x",
  "0-1023",
  "1023-0",
  "0,1",
  "0-",
  ",",
  "-",
  ".",
  "..",
  "a".repeat(64),
  "\u00e9",
  "💥",
];

const checksOf = (s: ZodTypeAny): Check[] => (s._def as { checks?: Check[] }).checks ?? [];
const typeOf = (s: ZodTypeAny): string => (s._def as { typeName: string }).typeName;

function numberArb(s: ZodTypeAny): Arb {
  const checks = checksOf(s);
  const isInt = checks.some((c) => c.kind === "int");
  const min = checks.find((c) => c.kind === "min");
  const max = checks.find((c) => c.kind === "max");
  const lo =
    typeof min?.value === "number"
      ? min.value + (min.inclusive === false ? (isInt ? 1 : Number.EPSILON) : 0)
      : undefined;
  const hi =
    typeof max?.value === "number"
      ? max.value - (max.inclusive === false ? (isInt ? 1 : Number.EPSILON) : 0)
      : undefined;
  const edges = [lo, hi].filter((x): x is number => x !== undefined).flatMap((x) => [x - 1, x, x + 1, x + 0.5]);
  const from = Math.max(lo ?? Number.MIN_SAFE_INTEGER, Number.MIN_SAFE_INTEGER);
  const to = Math.min(hi ?? Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const inRange = isInt
    ? fc.integer({ min: Math.ceil(from), max: Math.floor(to) })
    : fc.double({ min: from, max: to, noNaN: true });
  return fc.oneof(
    {
      arbitrary: fc.constantFrom(
        ...edges.filter((x) => !isInt || Number.isInteger(x)),
        ...((lo ?? 0) <= 0 && 0 <= (hi ?? 0) ? [0] : []),
      ),
      weight: 4,
    },
    { arbitrary: inRange, weight: 2 },
    { arbitrary: fc.constantFrom(...BIG, ...edges), weight: 1 },
    { arbitrary: fc.constantFrom(...NON_FINITE), weight: 1 },
  );
}

/** fast-check's regex support has no lookaround: strip it (the length checks stay in the schema). */
function matching(re: RegExp, maxLength?: number): Arb | null {
  for (const source of [re.source, re.source.replace(/\(\?<?[=!](?:[^()\\]|\\.)*\)/g, "")]) {
    try {
      const r = new RegExp(source, re.flags.replace("g", ""));
      const arb = fc.stringMatching(r, maxLength === undefined ? {} : { maxLength: maxLength + 2 });
      fc.sample(arb, { numRuns: 1, seed: 1 }); // unsupported syntax throws here, not at build time
      return arb;
    } catch {
      /* try without lookarounds */
    }
  }
  return null;
}

const LADDERS = ["0123456789", "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"];

/**
 * A regex match pushed to the edge of its pattern: left to right, each digit or letter becomes the
 * highest (or lowest) one that still matches: 2026-11 → 9999-12 / 0000-01 for a month pattern.
 */
export function extremize(x: string, re: RegExp, dir: "max" | "min"): string {
  const chars = [...x];
  for (let i = 0; i < chars.length; i++) {
    const ladder = LADDERS.find((l) => l.includes(chars[i]!));
    if (!ladder) continue;
    const order = dir === "max" ? [...ladder].reverse() : [...ladder];
    for (const c of order) {
      const next = [...chars.slice(0, i), c, ...chars.slice(i + 1)].join("");
      if (re.test(next)) {
        chars[i] = c;
        break;
      }
    }
  }
  return chars.join("");
}

function stringArb(s: ZodTypeAny): Arb {
  const checks = checksOf(s);
  const len = checks.find((c) => c.kind === "length")?.value as number | undefined;
  const min = (checks.find((c) => c.kind === "min")?.value as number | undefined) ?? len ?? 0;
  const max = (checks.find((c) => c.kind === "max")?.value as number | undefined) ?? len;
  const unit = fc.oneof(
    { arbitrary: fc.constantFrom("a", "z", "0", "9", "-", ".", "_"), weight: 6 },
    { arbitrary: fc.constantFrom(" ", "'", "%", "\\", "/", "é", "Ω", "💥", "\u200b"), weight: 1 },
  );
  const lengths = [
    ...new Set([
      0,
      min,
      min + 1,
      Math.max(min - 1, 0),
      ...(max === undefined ? [256, 70_000] : [max - 1, max, max + 1]),
    ]),
  ].filter((n) => n >= 0);
  // long strings repeat a short ASCII pattern: generating a million units one by one takes seconds
  const atLength = fc
    .constantFrom(...lengths)
    .chain((n) =>
      n <= 512
        ? fc.string({ unit, minLength: n, maxLength: n })
        : fc
            .string({ unit: "grapheme-ascii", minLength: 8, maxLength: 8 })
            .map((p) => p.repeat(Math.ceil(n / 8)).slice(0, n)),
    );
  const options: fc.WeightedArbitrary<unknown>[] = [
    { arbitrary: atLength, weight: 2 },
    { arbitrary: fc.constantFrom(...INTERESTING_STRINGS), weight: 2 },
  ];
  for (const c of checks) {
    if (c.kind === "regex" && c.regex) {
      const m = matching(c.regex, max);
      // mostly matches (these pass the schema), at the pattern's edges too, sometimes one character more
      const re = new RegExp(c.regex.source, c.regex.flags.replace("g", ""));
      if (m) {
        options.push({ arbitrary: m, weight: 4 }, { arbitrary: m.map((x) => `${x as string}x`), weight: 1 });
        options.push({
          arbitrary: fc
            .tuple(m, fc.constantFrom<"max" | "min">("max", "min"))
            .map(([x, dir]) => extremize(x as string, re, dir)),
          weight: 3,
        });
      }
    }
    if ((c.kind === "includes" || c.kind === "startsWith" || c.kind === "endsWith") && typeof c.value === "string") {
      options.push({ arbitrary: fc.constant(c.value), weight: 1 });
    }
  }
  return fc.oneof(...options);
}

const isOptional = (v: ZodTypeAny) => ["ZodOptional", "ZodDefault"].includes(typeOf(v));
const isIdKey = (k: string) => /^id$|Id$/.test(k);

/**
 * An object with one to three of its fields at a boundary and the others valid (the valid input's value,
 * or absent when optional): one odd field at a time is what reaches deep into a handler; all fields odd
 * at once would almost always stop at the schema. Ids with a valid value are kept (a made-up id only
 * finds nothing; the malformed-input test covers odd ids).
 */
function objectArb(s: ZodTypeAny, base: unknown, depth: number): Arb {
  const shape = (s._def as { shape: () => Record<string, ZodTypeAny> }).shape();
  const b = base && typeof base === "object" && !Array.isArray(base) ? (base as Record<string, unknown>) : {};
  const entries = Object.entries(shape);
  const odd = entries.map(([k]) => k).filter((k) => !(isIdKey(k) && typeof b[k] === "string"));
  const fixed = (k: string, v: ZodTypeAny): Arb =>
    k in b || isOptional(v) ? fc.constant(b[k]) : boundaryArb(v, undefined, depth + 1);
  if (odd.length === 0) return fc.record(Object.fromEntries(entries.map(([k, v]) => [k, fixed(k, v)])));
  return fc
    .subarray(odd, { minLength: 1, maxLength: Math.min(3, odd.length) })
    .chain((chosen) =>
      fc.record(
        Object.fromEntries(
          entries.map(([k, v]) => [k, chosen.includes(k) ? boundaryArb(v, b[k], depth + 1) : fixed(k, v)]),
        ),
      ),
    );
}

/** Boundary values for one zod 3 schema (with an optional valid value to mix in). */
export function boundaryArb(s: ZodTypeAny, base?: unknown, depth = 0): Arb {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- zod 3's _def differs per schema kind, untyped here
  const d = s._def as Record<string, any>;
  if (depth > 8) return fc.constant(base);
  switch (typeOf(s)) {
    case "ZodString":
      return stringArb(s);
    case "ZodNumber":
      return numberArb(s);
    case "ZodBigInt":
      return fc.constantFrom(0n, -1n, 2n ** 63n, 2n ** 64n);
    case "ZodBoolean":
      return fc.boolean();
    case "ZodDate":
      return fc.constantFrom(
        new Date(0),
        new Date(8.64e15),
        new Date(-8.64e15),
        new Date(NaN),
        new Date(Date.UTC(9999, 11, 31)),
      );
    case "ZodEnum":
      return fc.oneof(
        { arbitrary: fc.constantFrom(...(d.values as string[])), weight: 9 },
        { arbitrary: fc.constant("not-a-member"), weight: 1 },
      );
    case "ZodNativeEnum":
      return fc.constantFrom(...Object.values(d.values as object));
    case "ZodLiteral":
      return fc.constant(d.value);
    case "ZodOptional":
      return fc.oneof(
        { arbitrary: fc.constant(undefined), weight: 1 },
        { arbitrary: boundaryArb(d.innerType, base, depth), weight: 3 },
      );
    case "ZodNullable":
      return fc.oneof(
        { arbitrary: fc.constant(null), weight: 1 },
        { arbitrary: boundaryArb(d.innerType, base, depth), weight: 3 },
      );
    case "ZodDefault":
      return fc.oneof(
        { arbitrary: fc.constant(undefined), weight: 1 },
        { arbitrary: boundaryArb(d.innerType, base, depth), weight: 3 },
      );
    case "ZodCatch":
    case "ZodReadonly":
      return boundaryArb(d.innerType, base, depth);
    case "ZodBranded":
      return boundaryArb(d.type, base, depth);
    case "ZodEffects":
      return boundaryArb(d.schema, base, depth);
    case "ZodPipeline":
      return boundaryArb(d.in, base, depth);
    case "ZodLazy":
      return boundaryArb(d.getter(), base, depth + 1);
    case "ZodObject":
      return objectArb(s, base, depth);
    case "ZodArray": {
      const item = boundaryArb(d.type, Array.isArray(base) ? base[0] : undefined, depth + 1);
      const max = (d.exactLength?.value ?? d.maxLength?.value) as number | undefined;
      const min = (d.exactLength?.value ?? d.minLength?.value ?? 0) as number;
      const sizes = [...new Set([0, min, min + 1, ...(max === undefined ? [64] : [max, max + 1])])].filter(
        (n) => n >= 0 && n <= 2000,
      );
      return fc.constantFrom(...sizes).chain((n) => fc.array(item, { minLength: n, maxLength: n }));
    }
    case "ZodTuple":
      return fc.tuple(
        ...(d.items as ZodTypeAny[]).map((x, i) =>
          boundaryArb(x, Array.isArray(base) ? base[i] : undefined, depth + 1),
        ),
      );
    case "ZodUnion":
    case "ZodDiscriminatedUnion": {
      const options = (Array.isArray(d.options) ? d.options : [...d.options.values()]) as ZodTypeAny[];
      return fc.oneof(...options.map((o) => boundaryArb(o, undefined, depth + 1)));
    }
    case "ZodIntersection":
      return fc
        .tuple(boundaryArb(d.left, base, depth + 1), boundaryArb(d.right, base, depth + 1))
        .map(([a, b]) => (a && b && typeof a === "object" && typeof b === "object" ? { ...a, ...b } : a));
    case "ZodRecord": {
      // the valid value's keys (e.g. limit names) plus a stranger, each with boundary values of the value type
      const b = base && typeof base === "object" ? (base as Record<string, unknown>) : {};
      const keys = [...Object.keys(b), "bogus"];
      const value = (k: string) =>
        fc.oneof(
          boundaryArb(d.valueType, b[k], depth + 1),
          fc.constantFrom<unknown>(...BIG, ...NON_FINITE, ...INTERESTING_STRINGS.slice(0, 24), null, true),
        );
      return fc
        .subarray(keys, { minLength: 1 })
        .chain((ks) => fc.record(Object.fromEntries(ks.map((k) => [k, value(k)]))));
    }
    case "ZodUnknown":
    case "ZodAny":
      return fc.oneof(
        fc.constantFrom<unknown>(null, true, 0, -1, 2 ** 53, NaN, "", "x"),
        fc.jsonValue({ maxDepth: 2 }),
      );
    case "ZodNull":
      return fc.constant(null);
    case "ZodUndefined":
    case "ZodVoid":
      return fc.constant(undefined);
    default:
      throw new Error(`boundaryArb: no generator for ${typeOf(s)}; add one`);
  }
}

/**
 * Boundary inputs of a procedure: its input parsers (a procedure builder's {containerId} plus the
 * procedure's own object) merged into one object; none = no input. Whole-input optional: sometimes absent.
 */
export function procedureInputArb(inputs: ZodTypeAny[], base: unknown): Arb {
  if (inputs.length === 0) return fc.constant(undefined);
  if (inputs.length === 1) return boundaryArb(inputs[0]!, base);
  return fc
    .tuple(...inputs.map((i) => boundaryArb(i, base)))
    .map((parts) => Object.assign({}, ...parts.map((p) => (p && typeof p === "object" ? p : {}))));
}
