/**
 * The template store: `<dir>/<name>.tar.zst` (or .tar.gz/.tar.xz/.tar as imported) + `<dir>/<name>.json`,
 * unpacked on demand into a sealed storage volume that containers snapshot.
 *
 * Crash safety: every file is produced under a temp name in the same directory
 * (`.tmp.<pid>.<rand>.<kind>.<name>`) and renamed into place; the metadata JSON is the commit point
 * (written last on create, removed before the tarball on delete). Leftovers of a crashed process — temp
 * files, half-built trees (with anything still mounted under them), half-unpacked volumes (an "unpack"
 * marker), tarballs without metadata — are removed at the next operation (or by cleanupTemp()).
 * Operations on one name are serialised inside the process.
 */
import { copyFile, mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { join, resolve as resolvePath } from "node:path";
import { EngineError, wrapError } from "../errors.js";
import type { StorageDriver } from "../drivers/storage/types.js";
import { buildBusyboxRootfs } from "./busybox.js";
import { buildDebianRootfs, DEFAULT_MIRROR, DEFAULT_SUITE } from "./debian-build.js";
import {
  COMPRESSION_EXT,
  detectCompression,
  HALT_SIGNAL,
  hostArch,
  inspectTarball,
  packRootfs,
  sha256File,
  templateNameFromFile,
  unpackTarball,
  type Compression,
} from "./import.js";
import type { InitKind, LogFn, TemplateMeta, TemplateStoreApi } from "./types.js";
import {
  EXTS,
  findTarball,
  nameBusy,
  readMeta,
  removeOrphanTarballs,
  TEMPLATE_NAME_RE,
  TEMPLATE_NAME_RULE,
  validateTemplateName,
  withNameLock,
  writeFileAtomicRaw,
} from "./store-files.js";
import { fsyncPath, releaseTemp, removeTree, staleTemps, tempPath, writeFileAtomic } from "./temp-files.js";

export { TEMPLATE_NAME_RE, TEMPLATE_NAME_RULE, validateTemplateName } from "./store-files.js";

export interface TemplateStoreOptions {
  /** Holds `<name>.tar.zst` (or as imported) + `<name>.json`. Created (0700) if missing. */
  dir: string;
  storage: StorageDriver;
  /** Debian mirror for buildDebian (default http://deb.debian.org/debian). */
  mirror?: string;
}

interface Produced {
  compression: Compression;
  distro: string;
  release: string;
  arch: string;
  init: InitKind;
  haltSignal: string;
}

const noLog: LogFn = () => {};

export class TemplateStore implements TemplateStoreApi {
  readonly dir: string;
  readonly storage: StorageDriver;
  readonly mirror: string;
  private dirReady: Promise<void> | null = null;

  constructor(opts: TemplateStoreOptions) {
    this.dir = resolvePath(opts.dir);
    this.storage = opts.storage;
    this.mirror = opts.mirror ?? DEFAULT_MIRROR;
  }

  // ----------------------------------------------------------------------------------------------------
  // reading

  async list(): Promise<TemplateMeta[]> {
    await this.prepare();
    const out: TemplateMeta[] = [];
    for (const f of await readdir(this.dir)) {
      if (!f.endsWith(".json") || f.startsWith(".")) continue;
      const name = f.slice(0, -5);
      if (!TEMPLATE_NAME_RE.test(name)) continue;
      const m = await readMeta(this.dir, name).catch(() => null); // a corrupt file is reported by get()
      if (m) out.push(m);
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(name: string): Promise<TemplateMeta> {
    validateTemplateName(name);
    await this.prepare();
    const m = await readMeta(this.dir, name);
    if (m) return m;
    const names = (await this.list()).map((t) => t.name);
    throw new EngineError(
      "TEMPLATE_NOT_FOUND",
      `Template ${name} not found. Available templates: ${names.length > 0 ? names.join(", ") : "none (build or import one first)"}`,
      { details: { name, available: names } },
    );
  }

  /** Path of the template's tarball. Throws TEMPLATE_NOT_FOUND / TEMPLATE_INVALID (metadata without tarball). */
  async tarballPath(name: string): Promise<string> {
    await this.get(name);
    const p = await findTarball(this.dir, name);
    if (!p) {
      throw new EngineError(
        "TEMPLATE_INVALID",
        `The tarball of template ${name} is missing from ${this.dir}; delete the template and build or import it again`,
      );
    }
    return p;
  }

  // ----------------------------------------------------------------------------------------------------
  // creating

  async buildBusybox(name = "busybox", log: LogFn = noLog): Promise<TemplateMeta> {
    return this.create(name, "built", log, async (tmpTar) => {
      const build = this.temp("build", name);
      try {
        const t0 = Date.now();
        const { version } = await buildBusyboxRootfs(build, {}, log);
        await packRootfs(build, tmpTar, { forceRoot: true });
        log(`built and packed busybox ${version} in ${Date.now() - t0} ms`);
        return {
          compression: "zstd",
          distro: "busybox",
          release: version,
          arch: hostArch(),
          init: "busybox",
          haltSignal: HALT_SIGNAL.busybox,
        };
      } finally {
        await this.removeTemp(build, log);
      }
    });
  }

  async buildDebian(
    opts: { name?: string; suite?: string; mirror?: string } = {},
    log: LogFn = noLog,
  ): Promise<TemplateMeta> {
    const suite = opts.suite ?? DEFAULT_SUITE;
    const name = opts.name ?? (suite === DEFAULT_SUITE ? "debian-12" : `debian-${suite}`);
    return this.create(name, "built", log, async (tmpTar) => {
      const build = this.temp("build", name);
      try {
        const { distro, release } = await buildDebianRootfs(build, { suite, mirror: opts.mirror ?? this.mirror }, log);
        const t0 = Date.now();
        await packRootfs(build, tmpTar);
        log(`packed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        return {
          compression: "zstd",
          distro,
          release,
          arch: hostArch(),
          init: "systemd",
          haltSignal: HALT_SIGNAL.systemd,
        };
      } finally {
        await this.removeTemp(build, log);
      }
    });
  }

  async importTarball(file: string, opts: { name?: string } = {}, log: LogFn = noLog): Promise<TemplateMeta> {
    const name = opts.name ?? templateNameFromFile(file);
    if (opts.name === undefined && !TEMPLATE_NAME_RE.test(name)) {
      throw new EngineError(
        "TEMPLATE_INVALID",
        `Cannot derive a template name from ${JSON.stringify(file)} (got ${JSON.stringify(name)}); pass a name: ${TEMPLATE_NAME_RULE}`,
      );
    }
    try {
      await stat(file);
    } catch (e) {
      throw new EngineError("TEMPLATE_INVALID", `Cannot read ${file}: ${(e as Error).message}`, { cause: e });
    }
    return this.create(name, "imported", log, async (tmpTar) => {
      // Copy first, then inspect the copy: what is validated is exactly what is stored.
      await copyFile(file, tmpTar);
      const info = await inspectTarball(tmpTar, log);
      log(
        `import ${name}: ${info.distro} ${info.release} ${info.arch}, init ${info.init} (${info.haltSignal}), ${info.entries} entries`,
      );
      return info;
    });
  }

  /** An upload: `receive` writes the bytes into our temp path once the name is known to be free. */
  async importReceived(name: string, receive: (tmpTar: string) => Promise<void>, log = noLog): Promise<TemplateMeta> {
    return this.create(name, "imported", log, async (tmpTar) => {
      await receive(tmpTar);
      const info = await inspectTarball(tmpTar, log).catch((e: unknown) => {
        if (!(e instanceof EngineError) || e.code !== "TEMPLATE_INVALID") throw e;
        const why = e.message.split(tmpTar).join("the uploaded file");
        throw new EngineError("TEMPLATE_INVALID", `The upload is not a container root filesystem: ${why}`);
      });
      return (log(`import ${name}: ${info.distro} ${info.release} ${info.arch}, init ${info.init}`), info);
    });
  }

  // ----------------------------------------------------------------------------------------------------
  // volumes

  async ensureVolume(name: string, log: LogFn = noLog): Promise<void> {
    validateTemplateName(name);
    await this.prepare();
    await withNameLock(this.dir, name, async () => {
      await this.get(name);
      if (await this.storage.templateVolumeExists(name)) {
        log(`template volume ${name} already present`);
        return;
      }
      const tar = await this.tarballPath(name);
      // The marker says "a volume is being unpacked": if we crash, the next run deletes the half volume.
      const marker = this.temp("unpack", name);
      await writeFileAtomicRaw(marker, name);
      let created = false;
      try {
        const t0 = Date.now();
        // A half-made volume (crash, failed unpack) reports "missing" but blocks create: clear it first.
        await this.storage.deleteTemplateVolume(name);
        const path = await this.storage.createTemplateVolume(name);
        created = true;
        try {
          await unpackTarball(tar, path);
        } catch (e) {
          const msg = e instanceof Error ? e.message : String(e);
          if (/No space left on device|Disk quota exceeded/i.test(msg)) {
            throw new EngineError(
              "NO_SPACE",
              `Not enough space in the ${this.storage.name} pool to unpack template ${name}`,
              { cause: e },
            );
          }
          throw wrapError(e, `Could not unpack template ${name} into ${path}`, "HOST_TOOL_FAILED");
        }
        await this.storage.sealTemplateVolume(name);
        log(`unpacked template ${name} into ${path} in ${Date.now() - t0} ms`);
      } catch (e) {
        if (created) {
          await this.storage
            .deleteTemplateVolume(name)
            .catch((d) => log(`could not delete half-made volume ${name}: ${(d as Error).message}`));
        }
        throw e;
      } finally {
        await rm(marker, { force: true });
        releaseTemp(marker);
      }
    });
  }

  async delete(name: string, inUseBy: number[]): Promise<void> {
    validateTemplateName(name);
    if (inUseBy.length > 0) {
      const ids = [...inUseBy].sort((a, b) => a - b);
      throw new EngineError(
        "TEMPLATE_IN_USE",
        `template ${name} is used by ${ids.length === 1 ? "container" : "containers"} ${ids.join(", ")}; destroy or reinstall ${ids.length === 1 ? "it" : "them"} first`,
        { details: { name, ctids: ids } },
      );
    }
    await this.prepare();
    await withNameLock(this.dir, name, async () => {
      // Order: volume, metadata (the commit point), tarball. A crash in between leaves either a
      // template whose volume is re-made on demand, or an orphan tarball that cleanup removes.
      await this.storage.deleteTemplateVolume(name);
      await rm(join(this.dir, `${name}.json`), { force: true });
      await fsyncPath(this.dir);
      for (const ext of EXTS) await rm(join(this.dir, name + ext), { force: true });
    });
  }

  // ----------------------------------------------------------------------------------------------------
  // leftovers

  /**
   * Remove leftovers of crashed operations: temp files/trees (unmounting anything under them), volumes
   * whose unpacking never finished, and tarballs without metadata. Returns what was removed.
   */
  async cleanupTemp(log: LogFn = noLog): Promise<string[]> {
    await this.ensureDir();
    const removed: string[] = [];
    for (const t of await staleTemps(this.dir)) {
      // temps of an operation in progress here (the metadata temp is named "<name>.json")
      if (nameBusy(this.dir, t.kind === "json" ? t.name.replace(/\.json$/, "") : t.name)) continue;
      try {
        if (t.kind === "unpack") {
          log(`deleting half-unpacked template volume ${t.name}`);
          await this.storage.deleteTemplateVolume(t.name);
        }
        await removeTree(t.path, log);
        removed.push(t.path);
      } catch (e) {
        log(`could not remove leftover ${t.path}: ${(e as Error).message}`);
      }
    }
    removed.push(...(await removeOrphanTarballs(this.dir, log)));
    return removed;
  }

  // ----------------------------------------------------------------------------------------------------
  // internals

  private ensureDir(): Promise<void> {
    if (!this.dirReady) {
      this.dirReady = mkdir(this.dir, { recursive: true, mode: 0o700 }).then(
        () => undefined,
        (e: unknown) => {
          this.dirReady = null;
          throw wrapError(e, `Cannot create the template directory ${this.dir}`);
        },
      );
    }
    return this.dirReady;
  }

  /** Directory exists and crash leftovers are gone. */
  private async prepare(): Promise<void> {
    await this.ensureDir();
    await this.cleanupTemp();
  }

  private temp(kind: "tar" | "build" | "unpack", name: string): string {
    return tempPath(this.dir, kind, name);
  }

  private async removeTemp(p: string, log: LogFn): Promise<void> {
    try {
      await removeTree(p, log);
      releaseTemp(p);
    } catch (e) {
      // stays in `active` only until this process exits; the next process cleans it up
      log(`could not remove ${p}: ${(e as Error).message}`);
    }
  }

  /**
   * Shared create path: refuse an existing name, let `produce` write the tarball to a temp path, then
   * rename it into place and write the metadata last.
   */
  private async create(
    name: string,
    source: TemplateMeta["source"],
    log: LogFn,
    produce: (tmpTar: string) => Promise<Produced>,
  ): Promise<TemplateMeta> {
    validateTemplateName(name);
    await this.prepare();
    return withNameLock(this.dir, name, async () => {
      if (await readMeta(this.dir, name).catch(() => true)) {
        throw new EngineError(
          "TEMPLATE_EXISTS",
          `Template ${name} already exists; delete it first (or use another name)`,
          { details: { name } },
        );
      }
      const tmpTar = this.temp("tar", name);
      try {
        const info = await produce(tmpTar);
        // the produced file's real format decides the extension (an import keeps its compression)
        const compression = await detectCompression(tmpTar);
        await fsyncPath(tmpTar);
        const [sha256, st] = await Promise.all([sha256File(tmpTar), stat(tmpTar)]);
        // a volume left from an earlier template of the same name would be stale
        if (await this.storage.templateVolumeExists(name)) {
          log(`deleting stale template volume ${name}`);
          await this.storage.deleteTemplateVolume(name);
        }
        for (const ext of EXTS) await rm(join(this.dir, name + ext), { force: true });
        await rename(tmpTar, join(this.dir, name + COMPRESSION_EXT[compression]));
        await fsyncPath(this.dir);
        const meta: TemplateMeta = {
          name,
          distro: info.distro,
          release: info.release,
          arch: info.arch,
          init: info.init,
          haltSignal: info.haltSignal,
          source,
          sizeBytes: st.size,
          sha256,
          createdAt: new Date().toISOString(),
        };
        await writeFileAtomic(this.dir, `${name}.json`, JSON.stringify(meta, null, 2) + "\n", 0o600);
        log(`template ${name}: ${(st.size / 1024 / 1024).toFixed(1)} MiB, sha256 ${sha256.slice(0, 12)}…`);
        return meta;
      } finally {
        await rm(tmpTar, { force: true });
        releaseTemp(tmpTar);
      }
    });
  }
}
