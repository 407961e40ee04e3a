/**
 * The committed migrations must create exactly what prisma/models.prisma describes, on both databases.
 * A database migrated with every committed migration (what global-setup built, copied by freshDb) is
 * compared with an empty database given the full schema SQL of `prisma migrate diff --from-empty`:
 * tables, columns (type, nullability, default), keys, foreign keys (with their actions) and indexes, read
 * from each database's catalog. Column order is ignored (SQLite's ADD COLUMN appends).
 */
import Database from "better-sqlite3";
import crypto from "node:crypto";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { describe, expect, inject, it } from "vitest";
import { schemaSql } from "../../../scripts/db-schema-sql.js";
import { migrationsFor } from "../../db/migrate.js";
import { sqlitePath } from "../../db/provider.js";
import { freshDb, PROVIDERS } from "../helpers/db.js";

type Catalog = Record<string, unknown>;

function sqliteCatalog(file: string): Catalog {
  const db = new Database(file, { readonly: true });
  try {
    const tables = (
      db
        .prepare(
          `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_ovz_migrations' ORDER BY name`,
        )
        .all() as { name: string }[]
    ).map((t) => t.name);
    const out: Catalog = {};
    for (const t of tables) {
      const q = (sql: string) => db.prepare(sql).all() as Record<string, unknown>[];
      const columns = q(`PRAGMA table_info("${t}")`)
        .map(({ cid: _c, ...c }) => c)
        .sort((a, b) => String(a.name).localeCompare(String(b.name)));
      const fks = q(`PRAGMA foreign_key_list("${t}")`)
        .map(({ id: _i, seq: _s, ...f }) => f)
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
      const indexes = q(`PRAGMA index_list("${t}")`)
        .map((i) => ({
          name: i.name,
          unique: i.unique,
          origin: i.origin,
          partial: i.partial,
          columns: q(`PRAGMA index_info("${String(i.name)}")`).map((c) => c.name),
        }))
        .sort((a, b) => String(a.name).localeCompare(String(b.name)));
      out[t] = { columns, fks, indexes };
    }
    return out;
  } finally {
    db.close();
  }
}

async function pgCatalog(url: string): Promise<Catalog> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const q = async (sql: string) => (await c.query(sql)).rows as Record<string, unknown>[];
    return {
      columns:
        await q(`SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
                        WHERE table_schema = 'public' AND table_name <> '_ovz_migrations' ORDER BY table_name, column_name`),
      constraints:
        await q(`SELECT conrelid::regclass::text AS tbl, conname::text AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
                            WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> '_ovz_migrations' ORDER BY 1, 2`),
      indexes: await q(`SELECT tablename::text AS tbl, indexname::text AS name, indexdef AS def FROM pg_indexes
                        WHERE schemaname = 'public' AND tablename <> '_ovz_migrations' ORDER BY 1, 2`),
    };
  } finally {
    await c.end();
  }
}

describe.each(PROVIDERS)("migrations for %s", (provider) => {
  it("the first is the init migration, then the network migration, in name order", () => {
    expect(migrationsFor(provider).map((m) => m.name)).toEqual([
      "20261123000000_init",
      "20261123100000_network",
      "20261123200000_cli",
      "20261123300000_panel2",
      "20261123310000_backups",
      "20261124000000_nodes",
      "20261124100000_migrate",
      "20261207000000_bootorder",
      "20261208000000_billing",
      "20261209000000_notify",
      "20261209100000_backup_policies",
      "20261209200000_list_indexes",
      "20261209300000_features",
      "20261209400000_node_samples",
      "20261210200000_clone_panel",
      "20261210300000_impersonation",
      "20261210500000_limit_counters",
      "20261211000000_usage_ram_limit",
      "20261212000000_notify_defaults",
      "20261212100000_customer_quota",
      "20261212200000_traffic_overage",
      "20261212300000_log_parent_tenant",
    ]);
  });

  it("a database migrated with all of them matches the Prisma models", async () => {
    const migrated = await freshDb(provider);
    try {
      // the wasm schema engine needs a live PostgreSQL: any database of the run's cluster will do
      const full = await schemaSql(provider, provider === "postgresql" ? migrated.url : undefined);
      expect(full).toContain("CREATE TABLE");
      if (provider === "sqlite") {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ovz-schema-"));
        try {
          const file = path.join(dir, "expected.db");
          const db = new Database(file);
          db.exec(full);
          db.close();
          const want = sqliteCatalog(file);
          expect(Object.keys(want)).toContain("IpAddress");
          expect(sqliteCatalog(sqlitePath(migrated.url))).toEqual(want);
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
        return;
      }
      const base = inject("pgBaseUrl");
      const u = new URL(base + "postgres");
      const name = `schema_${crypto.randomBytes(5).toString("hex")}`;
      const psql = (sql: string) =>
        execFileSync(
          "psql",
          ["-h", u.hostname, "-p", u.port, "-U", u.username, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql],
          { stdio: "pipe" },
        );
      psql(`CREATE DATABASE ${name}`);
      try {
        const c = new pg.Client({ connectionString: base + name });
        await c.connect();
        await c.query(full);
        await c.end();
        const want = await pgCatalog(base + name);
        expect((want.indexes as unknown[]).length).toBeGreaterThan(10);
        expect(await pgCatalog(migrated.url)).toEqual(want);
      } finally {
        psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      }
    } finally {
      await migrated.drop();
    }
  });
});
