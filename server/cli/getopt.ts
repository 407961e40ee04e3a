/** Command-line parsers of the originals: GNU getopt_long() (vzlist) and prlctl's own GetOpt.cpp. */
import { CliUsageError } from "./errors.js";

export interface LongOpt {
  name: string;
  hasArg: boolean;
  key: string;
}

export type GetoptEvent = { key: string; arg: string | null } | { error: string };

/**
 * GNU getopt_long(), as far as vzlist uses it: short clusters ("-aH", "-octid"), long options with
 * unique-prefix abbreviation ("--no-h"), "--opt=value" / "--opt value", permutation (operands may come
 * before options) and "--". Error texts are glibc's; `operands` receives the non-option arguments.
 */
export function* gnuGetopt(
  prog: string,
  argv: readonly string[],
  shortSpec: string,
  longs: readonly LongOpt[],
  operands: string[],
): Generator<GetoptEvent> {
  const shortArg = new Map<string, boolean>();
  for (let k = 0; k < shortSpec.length; k++) {
    const c = shortSpec[k]!;
    if (c === ":") continue;
    shortArg.set(c, shortSpec[k + 1] === ":");
  }
  let i = 0;
  while (i < argv.length) {
    const a = argv[i]!;
    if (a === "--") {
      operands.push(...argv.slice(i + 1));
      return;
    }
    if (a.startsWith("--")) {
      const body = a.slice(2);
      const eq = body.indexOf("=");
      const name = eq < 0 ? body : body.slice(0, eq);
      let opt = longs.find((l) => l.name === name);
      if (!opt) {
        const cands = longs.filter((l) => l.name.startsWith(name));
        if (cands.length > 1) {
          const names = cands.map((c) => ` '--${c.name}'`).join("");
          yield { error: `${prog}: option '--${body}' is ambiguous; possibilities:${names}` };
          return;
        }
        opt = cands[0];
      }
      if (!opt) {
        yield { error: `${prog}: unrecognized option '--${body}'` };
        return;
      }
      i++;
      let arg: string | null = null;
      if (opt.hasArg) {
        if (eq >= 0) arg = body.slice(eq + 1);
        else if (i < argv.length) arg = argv[i++]!;
        else {
          yield { error: `${prog}: option '--${opt.name}' requires an argument` };
          return;
        }
      } else if (eq >= 0) {
        yield { error: `${prog}: option '--${opt.name}' doesn't allow an argument` };
        return;
      }
      yield { key: opt.key, arg };
      continue;
    }
    if (a.startsWith("-") && a.length > 1) {
      i++;
      const chars = [...a.slice(1)];
      for (let j = 0; j < chars.length; j++) {
        const c = chars[j]!;
        const takesArg = shortArg.get(c);
        if (takesArg === undefined) {
          yield { error: `${prog}: invalid option -- '${c}'` };
          return;
        }
        if (!takesArg) {
          yield { key: c, arg: null };
          continue;
        }
        let arg: string;
        if (j + 1 < chars.length) arg = chars.slice(j + 1).join("");
        else if (i < argv.length) arg = argv[i++]!;
        else {
          yield { error: `${prog}: option requires an argument -- '${c}'` };
          return;
        }
        yield { key: c, arg };
        break;
      }
      continue;
    }
    operands.push(a);
    i++;
  }
}

/** One option of prlctl's parser: "--long", "-s" (short may be "" for long-only options). */
export interface PrlOpt {
  long: string;
  short: string;
  hasArg: boolean;
}

export type PrlGetoptEvent<O extends PrlOpt> = { opt: O; val: string } | { operand: string };

/**
 * prlctl's own parser (GetOpt.cpp): no long-option abbreviations; "--opt=value" / "--opt value" /
 * "-ovalue" / "-o value"; an argument that is not a known option — including an unknown "-x" — is an
 * operand. A missing option argument throws CliUsageError with prlctl's text.
 */
export function* prlGetopt<O extends PrlOpt>(
  argv: readonly string[],
  opts: readonly O[],
): Generator<PrlGetoptEvent<O>> {
  let i = 0;
  while (i < argv.length) {
    const a = argv[i]!;
    const long = a.startsWith("--");
    // "--name[=value]" or a single "-x": the value (if any) is after "=" or the next argument
    if (long || (a.startsWith("-") && [...a].length === 2)) {
      const eq = long ? a.indexOf("=") : -1;
      const opt = long
        ? opts.find((x) => x.long === a.slice(2, eq < 0 ? undefined : eq))
        : opts.find((x) => x.short === a.slice(1));
      i++;
      if (!opt) {
        yield { operand: a };
        continue;
      }
      let val = "";
      if (opt.hasArg) {
        if (eq >= 0) val = a.slice(eq + 1);
        else if (i >= argv.length) throw new CliUsageError(`The \`${a}' option requires an argument.`);
        else val = argv[i++]!;
      }
      yield { opt, val };
      continue;
    }
    if (a.startsWith("-") && a.length > 1) {
      const chars = [...a.slice(1)];
      // a cluster: -aH, -octid, -Ho name
      i++;
      for (let j = 0; j < chars.length; j++) {
        const opt = opts.find((x) => x.short !== "" && x.short === chars[j]);
        if (!opt) {
          yield { operand: a };
          break;
        }
        if (!opt.hasArg) {
          yield { opt, val: "" };
          continue;
        }
        let val: string;
        if (j + 1 < chars.length) val = chars.slice(j + 1).join("");
        else if (i >= argv.length) {
          throw new CliUsageError(`The \`${chars.slice(j).join("")}' option requires an argument.`);
        } else val = argv[i++]!;
        yield { opt, val };
        break;
      }
      continue;
    }
    i++;
    yield { operand: a };
  }
}
