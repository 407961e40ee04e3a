/**
 * C printf/string helpers shared by the `vzlist` and `prlctl list` columns: byte widths (C counts bytes),
 * "%-Ns" formats, strcmp order and glibc's "%.Nf" rounding.
 */

/** C's printf counts bytes, not characters; widths are applied to the UTF-8 length like the originals. */
export function byteLen(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

/** `%-Ns` / `%Ns`: pad with spaces to `width` bytes; never cuts. */
export function pad(s: string, width: number, left: boolean): string {
  const n = width - byteLen(s);
  if (n <= 0) return s;
  return left ? s + " ".repeat(n) : " ".repeat(n) + s;
}

/** The first `width` bytes of `s`, backing off to a character boundary (and space-filling to `width`). */
export function cutBytes(s: string, width: number): string {
  if (byteLen(s) <= width) return s;
  let out = "";
  let used = 0;
  for (const ch of s) {
    const b = byteLen(ch);
    if (used + b > width) break;
    out += ch;
    used += b;
  }
  return out + " ".repeat(width - used);
}

/** A printf string format like "%-32s", "%10s", "%-39s " (trailing literal kept). */
export interface StrFmt {
  width: number;
  left: boolean;
  suffix: string;
}

export function parseFmt(fmt: string): StrFmt {
  const m = /^%(-?)(\d*)s(.*)$/.exec(fmt);
  if (!m) throw new Error(`unsupported format ${fmt}`);
  return { left: m[1] === "-", width: m[2] === "" ? 0 : Number(m[2]), suffix: m[3]! };
}

export function applyFmt(f: StrFmt, s: string): string {
  return pad(s, f.width, f.left) + f.suffix;
}

/** strcmp(): byte order of the UTF-8 encodings. */
export function strcmp(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** vzlist's check_empty_param(): a missing value sorts first; `null` = both present, compare further. */
export function nullsFirst(a: unknown, b: unknown): number | null {
  if (a == null && b == null) return 0;
  if (a == null) return -1;
  if (b == null) return 1;
  return null;
}

export function cmpBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * printf("%.Nf") as glibc does it: the exact binary value rounded to N decimals, ties to even
 * (JavaScript's toFixed rounds ties up). `toFixed(100)` is the exact expansion for the magnitudes here.
 */
export function cFixed(x: number, digits: number): string {
  const neg = x < 0;
  const exact = Math.abs(x).toFixed(100);
  const [ip, fp = ""] = exact.split(".");
  const keep = fp.slice(0, digits);
  const rest = fp.slice(digits);
  let digitsStr = ip! + keep;
  const first = rest.charCodeAt(0) - 48;
  let up = first > 5;
  if (first === 5) {
    const tail = rest.slice(1);
    up = /[1-9]/.test(tail) || (digitsStr.charCodeAt(digitsStr.length - 1) - 48) % 2 === 1;
  }
  if (up) digitsStr = (BigInt(digitsStr) + 1n).toString().padStart(digitsStr.length, "0");
  const intPart = digitsStr.slice(0, digitsStr.length - digits) || "0";
  const frac = digits > 0 ? `.${digitsStr.slice(digitsStr.length - digits)}` : "";
  return `${neg ? "-" : ""}${intPart}${frac}`;
}

export type Cmp<T> = (a: T, b: T) => number;

/** A C string that is empty counts as unset. */
export const nonEmpty = (s: string | null | undefined): string | null => (s == null || s === "" ? null : s);

/** trim_eol_space(): drop trailing whitespace of the line. */
export const trimEol = (s: string) => s.replace(/[ \t\n\v\f\r]+$/, "");
