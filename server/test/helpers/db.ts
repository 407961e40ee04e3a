/**
 * A fresh, migrated database for one test file, on SQLite or PostgreSQL (both are always tested).
 */
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { inject } from "vitest";
import { createDb, type Db } from "../../db/client.js";

export const PROVIDERS = ["sqlite", "postgresql"] as const;
export type Provider = (typeof PROVIDERS)[number];

export interface TestDb {
  db: Db;
  url: string;
  drop(): Promise<void>;
}

export async function freshDb(provider: Provider): Promise<TestDb> {
  if (provider === "sqlite") {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ovz-db-"));
    const file = path.join(dir, "panel.db");
    fs.copyFileSync(inject("sqliteTemplate"), file);
    const url = `file:${file}`;
    const db = createDb(url);
    return {
      db,
      url,
      drop: async () => {
        await db.$disconnect();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const name = `t_${crypto.randomBytes(6).toString("hex")}`;
  const base = inject("pgBaseUrl");
  const u = new URL(base + "postgres");
  const psql = (sql: string) =>
    execFileSync(
      "psql",
      ["-h", u.hostname, "-p", u.port, "-U", u.username, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql],
      { stdio: "pipe" },
    );
  psql(`CREATE DATABASE ${name} TEMPLATE ${inject("pgTemplateDb")}`);
  const url = base + name;
  const db = createDb(url);
  return {
    db,
    url,
    drop: async () => {
      await db.$disconnect();
      psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}
