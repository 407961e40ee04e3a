/**
 * What every benchmark shares: `--name N` / `--name=N` integer flags, and where the numbers go:
 * bench/results/<name>-<ISO date>.json (all data),
 * bench/results/<name>-latest.md (the table) and the <!-- bench:<name> --> block of README.md.
 * Returns the JSON path, relative to the repository.
 */
import fs from "node:fs";
import path from "node:path";

const REPO = path.resolve(import.meta.dirname, "..");

// `--help` / `-h` on any benchmark prints its header comment (what it measures, its flags) and runs nothing:
// a benchmark is a long root run that makes engines, namespaces and containers.
if (process.argv.includes("--help") || process.argv.includes("-h")) {
  const script = process.argv[1] ?? "";
  const header = fs.existsSync(script) ? /\/\*\*([\s\S]*?)\*\//.exec(fs.readFileSync(script, "utf8"))?.[1] : undefined;
  console.log((header ?? "see the benchmark's header comment").replace(/^ ?\* ?/gm, "").trim());
  process.exit(0);
}

export function publishResults(opts: {
  name: string;
  title: string;
  date: string;
  result: unknown;
  md: string;
  log: (m: string) => void;
}): string {
  const { name, title, date, result, md } = opts;
  const resultsDir = path.join(REPO, "bench", "results");
  fs.mkdirSync(resultsDir, { recursive: true });
  const jsonPath = path.join(resultsDir, `${name}-${date.replace(/:/g, "-")}.json`);
  fs.writeFileSync(jsonPath, JSON.stringify(result, null, 2) + "\n");
  fs.writeFileSync(path.join(resultsDir, `${name}-latest.md`), `# ${title}\n\n${md}\n`);
  const readmePath = path.join(REPO, "README.md");
  const readme = fs.readFileSync(readmePath, "utf8");
  const re = new RegExp(`(<!-- bench:${name} -->)[\\s\\S]*?(<!-- /bench:${name} -->)`);
  if (re.test(readme))
    fs.writeFileSync(
      readmePath,
      readme.replace(re, (_m, a: string, b: string) => `${a}\n${md}\n${b}`),
    );
  else opts.log(`README.md has no <!-- bench:${name} --> markers; not updated`);
  return path.relative(REPO, jsonPath);
}

/** A positive integer command-line flag: `--reps 5` or `--reps=5`. */
export function argValue(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  const raw = eq ? eq.slice(name.length + 3) : i >= 0 ? process.argv[i + 1] : undefined;
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${raw}`);
  return n;
}
