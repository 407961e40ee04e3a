/**
 * Write-ahead journal for multi-step host changes. Before an operation touches the host it opens an
 * entry (fsync'd); each step is appended before it is done; `commit()` marks the point after which the
 * operation counts as done; `close()` removes the entry. On engine start, `pending()` returns entries of
 * operations that did not close, and the engine undoes (uncommitted create, clone, rollback, restore, backup) or
 * finishes (destroy, committed rollback/restore) them.
 * Every undo/finish step is idempotent, so a crash during recovery is recovered again at the next start.
 */
import { mkdir, open, readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { fsyncDir } from "./fsutil.js";

export type JournalOp =
  | "create"
  | "destroy"
  | "reinstall"
  | "rollback"
  | "restore"
  | "backup"
  | "checkpoint"
  | "resume"
  | "migrate-in"
  | "clone";

export interface JournalHeader {
  op: JournalOp;
  ctid: number;
  at: string;
  /** op-specific data needed to undo/finish (e.g. the idmap slot, template) */
  data: Record<string, unknown>;
}

export interface PendingEntry {
  id: string;
  header: JournalHeader;
  steps: string[];
  committed: boolean;
}

export class Journal {
  constructor(private readonly dir: string) {}

  async begin(op: JournalOp, ctid: number, data: Record<string, unknown> = {}): Promise<JournalEntry> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const id = `${Date.now()}-${op}-${ctid}-${process.pid}`;
    const file = path.join(this.dir, `${id}.jsonl`);
    const header: JournalHeader = { op, ctid, at: new Date().toISOString(), data };
    const fh = await open(file, "wx", 0o600);
    try {
      await fh.writeFile(JSON.stringify({ header }) + "\n");
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsyncDir(this.dir);
    return new JournalEntry(file, header);
  }

  async pending(): Promise<PendingEntry[]> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((n) => n.endsWith(".jsonl")).sort();
    } catch {
      return [];
    }
    const out: PendingEntry[] = [];
    for (const n of names) {
      const text = await readFile(path.join(this.dir, n), "utf8");
      let header: JournalHeader | undefined;
      const steps: string[] = [];
      let committed = false;
      for (const line of text.split("\n")) {
        if (!line.trim()) continue;
        let rec: { header?: JournalHeader; step?: string; commit?: boolean };
        try {
          rec = JSON.parse(line);
        } catch {
          break; // torn last line from a crash mid-append: everything before it is valid
        }
        if (rec.header) header = rec.header;
        if (rec.step) steps.push(rec.step);
        if (rec.commit) committed = true;
      }
      if (!header) {
        // Crash between creating the file and writing its header: nothing was done yet.
        await rm(path.join(this.dir, n), { force: true });
        continue;
      }
      out.push({ id: n.replace(/\.jsonl$/, ""), header, steps, committed });
    }
    return out;
  }

  async remove(id: string): Promise<void> {
    await rm(path.join(this.dir, `${id}.jsonl`), { force: true });
  }
}

export class JournalEntry {
  constructor(
    private readonly file: string,
    readonly header: JournalHeader,
  ) {}

  private async append(rec: object): Promise<void> {
    const fh = await open(this.file, "a");
    try {
      await fh.writeFile(JSON.stringify(rec) + "\n");
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  /** Record intent to perform a step (before doing it). */
  step(name: string): Promise<void> {
    return this.append({ step: name });
  }

  commit(): Promise<void> {
    return this.append({ commit: true });
  }

  async close(): Promise<void> {
    await rm(this.file, { force: true });
  }
}
