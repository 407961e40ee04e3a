/**
 * Listing a template tarball WITHOUT extracting to the host: member names are taken from tar's own listing
 * (`tar -tP`, so tar's view of the names is what we check), and symlinks are resolved inside the archive's
 * own namespace. Reading a single member to memory (`tar -xO`).
 */
import { spawn } from "node:child_process";
import { EngineError } from "../errors.js";
import { run } from "../exec.js";
import { type Compression, detectCompression, tarCompressionArgs } from "./tarball.js";

export type TarEntryType = "file" | "dir" | "symlink" | "hardlink" | "char" | "block" | "fifo" | "other";

export interface TarEntry {
  /** Normalised path relative to the archive root: no leading "./" or "/", no trailing "/". */
  path: string;
  /** The member name exactly as stored (unescaped), e.g. "./usr/sbin/init" — what `tar -x` wants. */
  raw: string;
  type: TarEntryType;
  uid: number;
  gid: number;
  /** Symlink target / hard link target (unescaped). */
  target?: string;
}

const TYPE_CHARS: Record<string, TarEntryType> = {
  "-": "file",
  d: "dir",
  l: "symlink",
  h: "hardlink",
  c: "char",
  b: "block",
  p: "fifo",
};

/** Undo GNU tar's "escape" quoting style (the default for listings). */
export function unescapeTarName(s: string): string {
  if (!s.includes("\\")) return s;
  const bytes: number[] = [];
  const map: Record<string, number> = {
    "\\": 0x5c,
    n: 0x0a,
    t: 0x09,
    r: 0x0d,
    a: 0x07,
    b: 0x08,
    f: 0x0c,
    v: 0x0b,
    "?": 0x3f,
    '"': 0x22,
    "'": 0x27,
  };
  const src = Buffer.from(s, "utf8");
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c !== 0x5c || i + 1 >= src.length) {
      bytes.push(c);
      continue;
    }
    const n = String.fromCharCode(src[i + 1]!);
    if (/[0-7]/.test(n)) {
      let j = i + 1;
      let oct = "";
      while (j < src.length && oct.length < 3 && /[0-7]/.test(String.fromCharCode(src[j]!)))
        oct += String.fromCharCode(src[j++]!);
      bytes.push(parseInt(oct, 8) & 0xff);
      i = j - 1;
    } else if (map[n] !== undefined) {
      bytes.push(map[n]);
      i++;
    } else {
      bytes.push(c);
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

/** Split a path into components, dropping "", "." (keeps ".."). */
function components(p: string): string[] {
  return p.split("/").filter((c) => c !== "" && c !== ".");
}

export function normaliseMemberName(raw: string): string {
  return components(raw).join("/");
}

/** A tarball's listing with symlink resolution inside the archive's own namespace (never the host's). */
export class TarListing {
  readonly entries = new Map<string, TarEntry>();
  constructor(list: TarEntry[]) {
    for (const e of list) if (e.path !== "") this.entries.set(e.path, e);
  }

  /**
   * Resolve a path the way the kernel would inside the unpacked rootfs: symlinks anywhere in the path are
   * followed (absolute targets from the archive root). Returns the final entry and every path visited
   * (after each hop), or null if missing / a loop.
   */
  resolve(path: string): { entry: TarEntry; chain: string[] } | null {
    let queue = components(path);
    let cur: string[] = [];
    const chain: string[] = [];
    let hops = 0;
    let last: TarEntry | undefined;
    while (queue.length > 0) {
      const c = queue.shift()!;
      if (c === "..") {
        cur.pop();
        last = undefined;
        continue;
      }
      const candidate = [...cur, c].join("/");
      const e = this.entries.get(candidate);
      if (e?.type === "symlink" && e.target !== undefined) {
        if (++hops > 40) return null;
        const t = e.target;
        if (t.startsWith("/")) cur = [];
        queue = [...components(t), ...queue];
        chain.push(candidate);
        last = undefined;
        continue;
      }
      if (e === undefined && queue.length === 0) return null;
      // Intermediate directories need not be listed explicitly (archives made from file lists).
      cur.push(c);
      last = e;
    }
    if (last === undefined) {
      const e = this.entries.get(cur.join("/"));
      if (!e) return null;
      last = e;
    }
    chain.push(cur.join("/"));
    // A hard link is the same file as its target (busybox applets are often packed as hard links, and
    // which name tar stores as the file depends on the directory order): add every name of the file.
    if (last.type === "hardlink" && last.target !== undefined) {
      const t = this.entries.get(normaliseMemberName(last.target));
      if (t) last = t;
    }
    for (const alias of this.hardlinkNames(last.path)) if (!chain.includes(alias)) chain.push(alias);
    return { entry: last, chain };
  }

  private links: Map<string, string[]> | null = null;

  /** All names of a regular file: itself and the hard links to it. */
  hardlinkNames(path: string): string[] {
    if (!this.links) {
      this.links = new Map();
      for (const e of this.entries.values()) {
        if (e.type !== "hardlink" || e.target === undefined) continue;
        const t = normaliseMemberName(e.target);
        const l = this.links.get(t) ?? [];
        l.push(e.path);
        this.links.set(t, l);
      }
    }
    return [path, ...(this.links.get(path) ?? [])];
  }

  exists(path: string): boolean {
    return this.resolve(path) !== null;
  }

  /** Paths (normalised) of all entries, in archive order. */
  paths(): string[] {
    return [...this.entries.keys()];
  }
}

const VERBOSE_RE = /^(\S)\S* (\d+)\/(\d+) +\S+ \S+ \S+ /;

/**
 * List a tarball with GNU tar (no extraction). Runs `tar -tP` for the exact names and `tar -tvP` for types,
 * owners and link targets (matched line by line, so a name containing " -> " cannot confuse the parser).
 */
export async function listTarball(file: string, compression?: Compression): Promise<TarListing> {
  const c = compression ?? (await detectCompression(file));
  const common = ["-P", "--quoting-style=escape", "--numeric-owner", ...tarCompressionArgs(c), "-f", file];
  const max = 256 * 1024 * 1024;
  let names: string[];
  let verbose: string[];
  try {
    const [a, b] = await Promise.all([
      run("tar", ["-t", ...common], { maxOutput: max }),
      run("tar", ["-tv", ...common], { maxOutput: max }),
    ]);
    names = a.stdout.split("\n").filter((l) => l !== "");
    verbose = b.stdout.split("\n").filter((l) => l !== "");
  } catch (e) {
    throw new EngineError("TEMPLATE_INVALID", `${file} is not a readable tar archive: ${(e as Error).message}`, {
      cause: e,
    });
  }
  if (names.length !== verbose.length) {
    throw new EngineError(
      "TEMPLATE_INVALID",
      `Could not parse the listing of ${file} (${names.length} names vs ${verbose.length} entries)`,
    );
  }
  const out: TarEntry[] = [];
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const line = verbose[i]!;
    const m = VERBOSE_RE.exec(line);
    if (!m || !line.slice(m[0].length).startsWith(name)) {
      throw new EngineError(
        "TEMPLATE_INVALID",
        `Could not parse the listing of ${file} at entry ${JSON.stringify(name)}`,
      );
    }
    const type = TYPE_CHARS[m[1]!] ?? "other";
    const rest = line.slice(m[0].length + name.length);
    let target: string | undefined;
    if (type === "symlink" && rest.startsWith(" -> ")) target = unescapeTarName(rest.slice(4));
    if (type === "hardlink" && rest.startsWith(" link to ")) target = unescapeTarName(rest.slice(9));
    const raw = unescapeTarName(name);
    out.push({ path: normaliseMemberName(raw), raw, type, uid: Number(m[2]), gid: Number(m[3]), target });
  }
  return new TarListing(out);
}

/** Extract one member (by its raw name) to memory, reading at most `max` bytes. */
export async function readMember(
  file: string,
  compression: Compression,
  raw: string,
  max = 1024 * 1024,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      "tar",
      ["-x", "-O", ...tarCompressionArgs(compression), "-f", file, "--occurrence=1", "--", raw],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const chunks: Buffer[] = [];
    let len = 0;
    let err = "";
    let done = false;
    child.stdout.on("data", (d: Buffer) => {
      if (len < max) chunks.push(d);
      len += d.length;
      if (len >= max && !done) {
        done = true;
        child.kill("SIGKILL");
      }
    });
    child.stderr.on("data", (d: Buffer) => {
      if (err.length < 4096) err += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0 && !done) {
        reject(new EngineError("HOST_TOOL_FAILED", `tar could not read ${raw} from ${file}: ${err.trim()}`));
        return;
      }
      resolve(Buffer.concat(chunks).subarray(0, max));
    });
  });
}
