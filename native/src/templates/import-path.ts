/**
 * Where `template.import` may read a tarball from: the node's template cache directory only (OVZ_TEMPLATE_IMPORT_DIR,
 * default <state dir>/template-cache, created 0700 for root), never any path of the host. The engine runs as root
 * and the socket's other end (the panel, as ovz-panel) does not: an arbitrary path would let it have the engine
 * read any host file — another container's backup, a key — into a template a container then unpacks.
 *
 * The check is on the real path (symlinks resolved), so a link in the directory that points out of it is refused
 * too; the file must be a regular file. Uploads (template.upload) do not go through here: their bytes arrive on
 * the socket.
 */
import { mkdir, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { EngineError } from "../errors.js";

/** Creates the import directory (0700) if it is missing; returns its real path. */
export async function prepareImportDir(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return realpath(dir);
}

/**
 * The real path of `file` if it is a regular file inside `dir` (a relative `file` is taken relative to `dir`);
 * TEMPLATE_INVALID otherwise, with what to do.
 */
export async function importablePath(file: string, dir: string): Promise<string> {
  const root = await prepareImportDir(dir);
  const outside = () =>
    new EngineError(
      "TEMPLATE_INVALID",
      `template.import reads tarballs only from the node's template cache ${root}; ${JSON.stringify(file)} is not ` +
        "a file there. Copy the tarball into that directory and import it by its name, or upload it (the panel's " +
        "Templates page).",
    );
  let real: string;
  try {
    real = await realpath(path.resolve(root, file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") {
      if (!path.resolve(root, file).startsWith(root + path.sep)) throw outside();
      throw new EngineError(
        "TEMPLATE_INVALID",
        `There is no file ${JSON.stringify(file)} in the template cache ${root}`,
      );
    }
    throw outside();
  }
  if (!real.startsWith(root + path.sep)) throw outside();
  if (!(await stat(real)).isFile()) throw outside();
  return real;
}
