/**
 * The directory scheme every storage driver's pool follows, and what is read from it alone: templates/,
 * containers/ and snapshots/ under the pool's root; a container's staging, previous and incoming volumes next to
 * its own; the listings of each; and the volume swap (swap.ts) over those paths. A driver extends this and
 * supplies how one of its volumes is removed; drivers never import each other (incus' driver_common.go role).
 */
import fs from "node:fs/promises";
import path from "node:path";
import { EngineError } from "../../errors.js";
import { SNAPSHOT_NAME_RE } from "../../snapshot-names.js";
import { checkCtid, checkSnapshotPathName, checkTemplateName, CTID_DIR_RE, TEMPLATE_NAME_RE } from "./common.js";
import * as swap from "./swap.js";

export abstract class PoolLayout {
  readonly root: string;
  protected readonly templatesDir: string;
  protected readonly containersDir: string;
  protected readonly snapshotsDir: string;

  /** `what` names the driver and its root in the error for a missing root, e.g. "btrfs storage: pool root". */
  constructor(root: string | undefined, what: string) {
    if (!root) throw new EngineError("BAD_REQUEST", `${what} not configured`);
    this.root = path.resolve(root);
    this.templatesDir = path.join(this.root, "templates");
    this.containersDir = path.join(this.root, "containers");
    this.snapshotsDir = path.join(this.root, "snapshots");
  }

  /** Removes a volume or a directory tree of this driver (idempotent). */
  protected abstract removeVolume(p: string): Promise<void>;

  templatePath(name: string): string {
    return path.join(this.templatesDir, checkTemplateName(name));
  }

  async listTemplateVolumes(): Promise<string[]> {
    return listNames(this.templatesDir, TEMPLATE_NAME_RE);
  }

  containerPath(ctid: number): string {
    return path.join(this.containersDir, String(checkCtid(ctid)));
  }

  async listContainerVolumes(): Promise<number[]> {
    return (await listNames(this.containersDir, CTID_DIR_RE)).map(Number).sort((a, b) => a - b);
  }

  protected snapshotDir(ctid: number): string {
    return path.join(this.snapshotsDir, String(checkCtid(ctid)));
  }

  snapshotPath(ctid: number, name: string): string {
    return path.join(this.snapshotDir(ctid), checkSnapshotPathName(name));
  }

  async listSnapshots(ctid: number): Promise<string[]> {
    return listNames(this.snapshotDir(ctid), SNAPSHOT_NAME_RE);
  }

  // ------------------------------------------------------------------------ volume replacement (swap.ts)

  stagingPath(ctid: number): string {
    return path.join(this.containersDir, `.staging-${checkCtid(ctid)}`);
  }

  protected swapPaths(ctid: number): swap.SwapPaths {
    return {
      ctid,
      current: this.containerPath(ctid),
      staging: this.stagingPath(ctid),
      previous: path.join(this.containersDir, `.previous-${checkCtid(ctid)}`),
      remove: (p) => this.removeVolume(p),
    };
  }

  retireCurrent(ctid: number): Promise<void> {
    return swap.retireCurrent(this.swapPaths(ctid));
  }
  promoteStaging(ctid: number): Promise<void> {
    return swap.promoteStaging(this.swapPaths(ctid));
  }
  revertStaging(ctid: number): Promise<void> {
    return swap.revertStaging(this.swapPaths(ctid));
  }
  discardStaging(ctid: number): Promise<void> {
    return swap.discardStaging(this.swapPaths(ctid));
  }

  /** Where a migration's received volumes wait until adopted. */
  protected incomingDir(ctid: number): string {
    return path.join(this.containersDir, `.incoming-${checkCtid(ctid)}`);
  }
}

/** The directory names in `dir` that match `re`, sorted; none when `dir` does not exist. */
async function listNames(dir: string, re: RegExp): Promise<string[]> {
  const ents = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  return ents
    .filter((e) => e.isDirectory() && re.test(e.name))
    .map((e) => e.name)
    .sort();
}
