/**
 * The template store's files (store.ts): names, the `<name>.json` metadata and finding the tarball, and the
 * per-name lock that serialises operations on one name inside the process.
 */
import { open, readdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { EngineError, wrapError } from "../errors.js";
import type { InitKind, TemplateMeta } from "./types.js";
import { TEMPLATE_NAME_RE, TEMPLATE_NAME_RULE } from "../identity.js";

export { TEMPLATE_NAME_RE, TEMPLATE_NAME_RULE };

/** Throws TEMPLATE_INVALID unless `name` follows TEMPLATE_NAME_RULE. */
export function validateTemplateName(name: unknown): string {
  if (typeof name !== "string" || !TEMPLATE_NAME_RE.test(name)) {
    throw new EngineError(
      "TEMPLATE_INVALID",
      `Invalid template name ${JSON.stringify(name)}: use ${TEMPLATE_NAME_RULE} (e.g. "debian-12")`,
    );
  }
  return name;
}

/** Tarball extensions the store recognises, in lookup order. */
export const EXTS: readonly string[] = [".tar.zst", ".tar.gz", ".tar.xz", ".tar.bz2", ".tar"];

const INIT_KINDS: readonly InitKind[] = ["busybox", "systemd", "sysvinit", "unknown"];

function isMeta(v: unknown): v is TemplateMeta {
  if (typeof v !== "object" || v === null) return false;
  const m = v as Record<string, unknown>;
  return (
    typeof m.name === "string" &&
    typeof m.distro === "string" &&
    typeof m.release === "string" &&
    typeof m.arch === "string" &&
    INIT_KINDS.includes(m.init as InitKind) &&
    typeof m.haltSignal === "string" &&
    (m.source === "built" || m.source === "imported") &&
    typeof m.sizeBytes === "number" &&
    typeof m.sha256 === "string" &&
    typeof m.createdAt === "string"
  );
}

// Shared by every TemplateStore in this process, so two instances on the same directory never run two
// operations on one name at once (temp paths in use are tracked by tempPath/releaseTemp).
/** `<dir>\0<name>` → number of operations in progress */
const BUSY = new Map<string, number>();
const LOCKS = new Map<string, Promise<unknown>>();

/** Serialise operations on one name (of the store at `dir`) within this process. */
export async function withNameLock<T>(dir: string, name: string, fn: () => Promise<T>): Promise<T> {
  const key = `${dir}\0${name}`;
  const prev = LOCKS.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  const chained = prev.then(() => mine);
  LOCKS.set(key, chained);
  BUSY.set(key, (BUSY.get(key) ?? 0) + 1);
  try {
    await prev.catch(() => {});
    return await fn();
  } finally {
    const n = (BUSY.get(key) ?? 1) - 1;
    if (n <= 0) BUSY.delete(key);
    else BUSY.set(key, n);
    release();
    if (LOCKS.get(key) === chained) LOCKS.delete(key);
  }
}

/** Is an operation on this name of the store at `dir` in progress here? */
export function nameBusy(dir: string, name: string): boolean {
  return BUSY.has(`${dir}\0${name}`);
}

/** The metadata of template `name`, or null without one. Throws TEMPLATE_INVALID for a corrupt file. */
export async function readMeta(dir: string, name: string): Promise<TemplateMeta | null> {
  let text: string;
  try {
    text = await readFile(join(dir, `${name}.json`), "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw wrapError(e, `Cannot read the metadata of template ${name}`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new EngineError(
      "TEMPLATE_INVALID",
      `The metadata of template ${name} is corrupt (${(e as Error).message}); delete the template and build or import it again`,
    );
  }
  if (!isMeta(v) || v.name !== name) {
    throw new EngineError(
      "TEMPLATE_INVALID",
      `The metadata of template ${name} is incomplete; delete the template and build or import it again`,
    );
  }
  return v;
}

/** Path of the tarball of template `name` (any recognised extension), or null. */
export async function findTarball(dir: string, name: string): Promise<string | null> {
  for (const ext of EXTS) {
    const p = join(dir, name + ext);
    try {
      if ((await stat(p)).isFile()) return p;
    } catch {
      /* next */
    }
  }
  return null;
}

/** Small marker file, fsynced (its directory entry is synced by the following operations). */
export async function writeFileAtomicRaw(path: string, data: string): Promise<void> {
  const fh = await open(path, "wx", 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Remove tarballs without metadata (a crash between renaming the tarball and writing the metadata). */
export async function removeOrphanTarballs(dir: string, log: (line: string) => void): Promise<string[]> {
  const removed: string[] = [];
  for (const f of await readdir(dir)) {
    if (f.startsWith(".")) continue;
    const ext = EXTS.find((e) => f.endsWith(e));
    if (!ext) continue;
    const name = f.slice(0, -ext.length);
    if (!TEMPLATE_NAME_RE.test(name) || nameBusy(dir, name)) continue;
    try {
      await stat(join(dir, `${name}.json`));
    } catch {
      log(`removing orphan tarball ${f}`);
      await rm(join(dir, f), { force: true });
      removed.push(join(dir, f));
    }
  }
  return removed;
}
