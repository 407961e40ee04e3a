/**
 * The limit table (native/src/settings.ts) seen from forms: one text value per limit key, converted to
 * what the server accepts (bytes may stay strings like "2G": the server parses them).
 */
import { fmt, LIMIT_KEYS, LIMITS, type LimitDecl, type LimitKey, type Limits } from "../../native/src/settings.js";

export { fmt, LIMIT_KEYS, LIMITS };
export type { LimitDecl, LimitKey, Limits };

export type LimitTexts = Record<LimitKey, string>;

/** What 0 means for limits where it is special (see each limit's description). */
const ZERO: Partial<Record<LimitKey, string>> = {
  cpulimit: "no cap",
  cpus: "all",
  diskinodes: "not limited",
  iolimit: "no cap",
  iopslimit: "no cap",
};

/** A limit value for display: sizes via settings.fmt ("512M"), special zeros in words. */
export function showLimit(key: LimitKey, v: number | string | null | undefined): string {
  if (v === null || v === undefined || v === "") return LIMITS[key].kind === "cpuset" ? "all" : "—";
  if (typeof v === "string") return v;
  const d = LIMITS[key];
  if (v === 0) return ZERO[key] ?? "0";
  if (d.kind === "percent") return `${v}%`;
  return fmt(d, v);
}

/** settings.fmt, but "0" instead of "0 bytes" (for ranges in hints). */
export function fmtSize(d: LimitDecl, v: number): string {
  return v === 0 ? "0" : fmt(d, v);
}

/** Current values as form text (sizes formatted like "512M"). */
export function limitTexts(values: Partial<Record<LimitKey, number | string | null>>): LimitTexts {
  const out = {} as LimitTexts;
  for (const k of LIMIT_KEYS) {
    const v = values[k] ?? LIMITS[k].default;
    if (v === null || v === undefined) out[k] = "";
    else if (typeof v === "number" && LIMITS[k].kind === "bytes") out[k] = fmt(LIMITS[k], v).replace(/ bytes$/, "");
    else out[k] = String(v);
  }
  return out;
}

export function defaultTexts(): LimitTexts {
  return limitTexts({});
}

/** Form text → request value. Bad numbers are sent as typed so the server names the field. */
export function toValue(key: LimitKey, text: string): number | string | null {
  const t = text.trim();
  const d = LIMITS[key];
  if (d.kind === "cpuset") return t === "" ? null : t;
  if (d.kind === "bytes") return /^\d+$/.test(t) ? Number(t) : t;
  return /^-?\d+$/.test(t) ? Number(t) : t;
}

export function toPatch(texts: LimitTexts, only?: (k: LimitKey) => boolean): Record<string, number | string | null> {
  const out: Record<string, number | string | null> = {};
  for (const k of LIMIT_KEYS) if (!only || only(k)) out[k] = toValue(k, texts[k]);
  return out;
}
