/**
 * The command line's environment: which database and engine (the panel's, from /etc/ovz/ovz.conf),
 * which identity (root on the node, as an administrator), and the database file's owner (an SQLite
 * database stays owned by the panel's user: a root process would leave root-owned journal files the
 * unprivileged panel then cannot write).
 */
import fs from "node:fs";
import os from "node:os";
import type { Actor } from "../auth/roles.js";
import { createDb, type Db } from "../db/client.js";
import { providerOf, sqlitePath } from "../db/provider.js";
import { setDb } from "../db/client.js";

export const CONF_FILE = process.env.OVZ_CONF ?? "/etc/ovz/ovz.conf";

export const DEFAULTS: Record<string, string> = {
  DATABASE_URL: "file:/var/lib/ovz-panel/panel.db",
  OVZ_SOCKET: "/run/ovz/engine.sock",
  /** the plan `vzctl create` uses without --config */
  OVZ_DEFAULT_PLAN: "starter",
};

/** KEY=VALUE lines (# comments, optional quotes), as /etc/vz/vz.conf. */
export function parseConf(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    out[m[1]!] = m[2]!.replace(/^"(.*)"$/, "$1").replace(/^'(.*)'$/, "$1");
  }
  return out;
}

/** The environment wins, then the config file, then the defaults. */
export function loadConfig(): void {
  let file: Record<string, string> = {};
  try {
    file = parseConf(fs.readFileSync(CONF_FILE, "utf8"));
  } catch {
    // no config file: defaults
  }
  for (const [k, v] of Object.entries({ ...DEFAULTS, ...file })) if (process.env[k] === undefined) process.env[k] = v;
}

/** As root on an SQLite database owned by another user: become that user (its groups include the engine socket's). */
export function dropToDatabaseOwner(url: string): void {
  if (process.getuid?.() !== 0 || providerOf(url) !== "sqlite") return;
  let st: fs.Stats;
  try {
    st = fs.statSync(sqlitePath(url));
  } catch {
    return;
  }
  if (st.uid === 0) return;
  const pw = fs
    .readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .map((l) => l.split(":"))
    .find((f) => Number(f[2]) === st.uid);
  const proc = process as NodeJS.Process & {
    initgroups(user: string | number, extraGroup: number): void;
    setgid(id: number): void;
    setuid(id: number): void;
  };
  proc.initgroups(pw?.[0] ?? st.uid, st.gid);
  proc.setgid(st.gid);
  proc.setuid(st.uid);
}

let opened: Db | null = null;

export function openDb(): Db {
  if (opened) return opened;
  const url = process.env.DATABASE_URL!;
  dropToDatabaseOwner(url);
  opened = createDb(url);
  setDb(opened);
  return opened;
}

export async function closeDb(): Promise<void> {
  await opened?.$disconnect().catch(() => {});
  opened = null;
}

/** Root on the node: an administrator of the platform tenant, audited as "root@host (tool)". */
export async function cliActor(db: Db, tool: string): Promise<Actor> {
  const platform = await db.tenant.findFirst({ where: { kind: "platform" }, orderBy: { createdAt: "asc" } });
  if (!platform)
    throw new Error(
      "the panel's database has no platform tenant: run the README's run command (it migrates and seeds) first",
    );
  const who = process.env.SUDO_USER ? `${process.env.SUDO_USER} via sudo` : "root";
  return { userId: "", role: "admin", tenantId: platform.id, label: `${who}@${os.hostname()} (${tool})`, via: "cli" };
}
