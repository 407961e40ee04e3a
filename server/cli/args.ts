/**
 * getopt_long-style parsing for vzctl and prlctl: `--opt value`, `--opt=value`, repeatable options,
 * flags, and positional arguments; unknown options and missing values are usage errors with the
 * originals' wording and exit codes.
 */
import { parseSize } from "../../native/src/settings.js";

/** An error the originals report with this message and exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** vzctl's exit codes (include/vzerror.h) this product uses. */
export const VZ = {
  SYSTEM_ERROR: 3,
  RESOURCE_ERROR: 6,
  COMMAND_EXECUTION_ERROR: 8,
  LOCKED: 9,
  NOVECONFIG: 14,
  INVALID_PARAMETER_SYNTAX: 20,
  INVALID_PARAMETER_VALUE: 21,
  VE_OSTEMPLATE_NOTSET: 29,
  VE_NOT_RUNNING: 31,
  VE_RUNNING: 32,
  STOP_ERROR: 33,
  CANT_ADDIP: 34,
  FS_PRVT_AREA_EXIST: 44,
  BADHOSTNAME: 70,
  BADIP: 71,
  BADDNSSRV: 72,
  CHANGEPASS: 74,
  IP_INUSE: 78,
  SET_NAME_ERROR: 131,
} as const;

export interface OptSpec {
  /** takes a value */
  arg: boolean;
  /** may be given more than once (values are collected) */
  multi?: boolean;
  /** other spellings, e.g. "-n" */
  aliases?: string[];
}

export interface Parsed {
  opts: Map<string, string[]>;
  positional: string[];
}

/**
 * Parses `argv` against `spec` (keys are long names without dashes). Everything after `--` and every
 * non-option word is positional. `stopAtPositional` keeps the rest verbatim once the first positional
 * word is seen (for `exec CTID command args…`).
 */
export function parseOpts(
  argv: string[],
  spec: Record<string, OptSpec>,
  tool: string,
  opts: { stopAtPositional?: boolean } = {},
): Parsed {
  const byName = new Map<string, string>();
  for (const [name, s] of Object.entries(spec)) {
    byName.set(`--${name}`, name);
    for (const a of s.aliases ?? []) byName.set(a, name);
  }
  const out: Parsed = { opts: new Map(), positional: [] };
  for (let i = 0; i < argv.length; i++) {
    const w = argv[i]!;
    if (w === "--") {
      out.positional.push(...argv.slice(i + 1));
      break;
    }
    if (!w.startsWith("-") || w === "-") {
      if (opts.stopAtPositional) {
        out.positional.push(...argv.slice(i));
        break;
      }
      out.positional.push(w);
      continue;
    }
    const eq = w.startsWith("--") ? w.indexOf("=") : -1;
    const key = eq > 0 ? w.slice(0, eq) : w;
    const name = byName.get(key);
    if (!name)
      throw new CliError(
        `${tool}: unrecognized option '${key}'\nInvalid option; see ${tool} --help`,
        VZ.INVALID_PARAMETER_SYNTAX,
      );
    const s = spec[name]!;
    let value = "";
    if (s.arg) {
      if (eq > 0) value = w.slice(eq + 1);
      else if (i + 1 < argv.length) value = argv[++i]!;
      else throw new CliError(`${tool}: option '${key}' requires an argument`, VZ.INVALID_PARAMETER_SYNTAX);
    } else if (eq > 0) {
      throw new CliError(`${tool}: option '${key}' doesn't allow an argument`, VZ.INVALID_PARAMETER_SYNTAX);
    }
    const list = out.opts.get(name) ?? [];
    if (!s.multi) list.length = 0;
    list.push(value);
    out.opts.set(name, list);
  }
  return out;
}

export const one = (p: Parsed, name: string): string | undefined => p.opts.get(name)?.at(-1);
export const all = (p: Parsed, name: string): string[] => p.opts.get(name) ?? [];
export const has = (p: Parsed, name: string): boolean => p.opts.has(name);

export function badParam(flag: string, value: string, why?: string): CliError {
  return new CliError(`Bad parameter for --${flag}: ${value}${why ? ` (${why})` : ""}`, VZ.INVALID_PARAMETER_VALUE);
}

/** "yes"/"no" (vzctl), also "on"/"off" (prlctl). */
export function yesNo(flag: string, v: string): boolean {
  if (/^(yes|on)$/i.test(v)) return true;
  if (/^(no|off)$/i.test(v)) return false;
  throw badParam(flag, v, "use yes or no");
}

/**
 * A size with an optional K/M/G/T suffix (binary; a plain number is `unit` bytes: vzctl takes --diskspace
 * in 1K blocks, --ram in bytes unless suffixed). barrier:limit pairs give both values.
 */
export function sizePair(flag: string, v: string, unit = 1): { barrier: number; limit: number } {
  const parts = v.split(":");
  if (parts.length > 2 || parts.some((p) => p === ""))
    throw badParam(flag, v, "use SIZE or BARRIER:LIMIT with an optional K, M, G or T suffix");
  const conv = (p: string) => {
    if (/^unlimited$/i.test(p)) return Number.MAX_SAFE_INTEGER;
    try {
      return /^\d+(\.\d+)?$/.test(p) ? Math.round(Number(p) * unit) : parseSize(p);
    } catch {
      throw badParam(flag, v, "use a number with an optional K, M, G or T suffix");
    }
  };
  const barrier = conv(parts[0]!);
  const limit = parts[1] !== undefined ? conv(parts[1]) : barrier;
  if (limit < barrier) throw badParam(flag, v, "the barrier must not be above the limit");
  return { barrier, limit };
}

/** A count, or barrier:limit of counts ("unlimited" allowed). */
export function countPair(flag: string, v: string): { barrier: number; limit: number } {
  const parts = v.split(":");
  if (parts.length > 2 || !parts.every((p) => /^(\d+|unlimited)$/i.test(p)))
    throw badParam(flag, v, "use N or BARRIER:LIMIT");
  const conv = (p: string) => (/^unlimited$/i.test(p) ? Number.MAX_SAFE_INTEGER : Number(p));
  const barrier = conv(parts[0]!);
  const limit = parts[1] !== undefined ? conv(parts[1]) : barrier;
  if (limit < barrier) throw badParam(flag, v, "the barrier must not be above the limit");
  return { barrier, limit };
}
