/** fnmatch(3) with flags 0, as vzlist's -h/-N/-d filters use it. */

const CHAR_CLASSES: Record<string, (c: string) => boolean> = {
  alnum: (c) => /^[A-Za-z0-9]$/.test(c),
  alpha: (c) => /^[A-Za-z]$/.test(c),
  blank: (c) => c === " " || c === "\t",
  cntrl: (c) => /^[\x00-\x1f\x7f]$/.test(c),
  digit: (c) => /^[0-9]$/.test(c),
  graph: (c) => /^[\x21-\x7e]$/.test(c),
  lower: (c) => /^[a-z]$/.test(c),
  print: (c) => /^[\x20-\x7e]$/.test(c),
  punct: (c) => /^[!-/:-@[-`{-~]$/.test(c),
  space: (c) => /^[ \t\n\v\f\r]$/.test(c),
  upper: (c) => /^[A-Z]$/.test(c),
  xdigit: (c) => /^[0-9A-Fa-f]$/.test(c),
};

/** Parse a bracket expression at p[i] === "["; null when it is not a valid one ("[" is then literal). */
function parseBracket(p: string[], i: number): { test: (c: string) => boolean; next: number } | null {
  let j = i + 1;
  let negate = false;
  if (p[j] === "!" || p[j] === "^") {
    negate = true;
    j++;
  }
  const tests: Array<(c: string) => boolean> = [];
  let first = true;
  while (j < p.length) {
    let c = p[j]!;
    if (c === "]" && !first) {
      const t = (ch: string) => tests.some((f) => f(ch)) !== negate;
      return { test: t, next: j + 1 };
    }
    first = false;
    if (c === "[" && p[j + 1] === ":") {
      const end = p.indexOf(":", j + 2);
      if (end > 0 && p[end + 1] === "]") {
        const name = p.slice(j + 2, end).join("");
        const cls = CHAR_CLASSES[name];
        if (!cls) return null;
        tests.push(cls);
        j = end + 2;
        continue;
      }
    }
    if (c === "\\" && j + 1 < p.length) {
      j++;
      c = p[j]!;
    }
    if (p[j + 1] === "-" && p[j + 2] !== undefined && p[j + 2] !== "]") {
      let hi = p[j + 2]!;
      let k = j + 3;
      if (hi === "\\" && p[j + 3] !== undefined) {
        hi = p[j + 3]!;
        k = j + 4;
      }
      const lo = c.codePointAt(0)!;
      const h = hi.codePointAt(0)!;
      tests.push((ch) => {
        const v = ch.codePointAt(0)!;
        return v >= lo && v <= h;
      });
      j = k;
      continue;
    }
    const lit = c;
    tests.push((ch) => ch === lit);
    j++;
  }
  return null;
}

/** fnmatch(pattern, string, 0) — shell wildcards `*`, `?`, `[...]`, backslash escapes (vzlist -h/-N/-d). */
export function fnmatch(pattern: string, str: string): boolean {
  const p = [...pattern];
  const s = [...str];
  const match = (pi: number, si: number): boolean => {
    while (pi < p.length) {
      const c = p[pi]!;
      if (c === "*") {
        while (p[pi] === "*") pi++;
        if (pi === p.length) return true;
        for (let k = si; k <= s.length; k++) if (match(pi, k)) return true;
        return false;
      }
      if (si >= s.length) return false;
      if (c === "?") {
        pi++;
        si++;
        continue;
      }
      if (c === "[") {
        const br = parseBracket(p, pi);
        if (br) {
          if (!br.test(s[si]!)) return false;
          pi = br.next;
          si++;
          continue;
        }
      }
      let lit = c;
      if (c === "\\" && pi + 1 < p.length) {
        pi++;
        lit = p[pi]!;
      }
      if (s[si] !== lit) return false;
      pi++;
      si++;
    }
    return si === s.length;
  };
  return match(0, 0);
}
