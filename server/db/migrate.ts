/**
 * Applies the committed migrations (prisma/<provider>/migrations/<name>/migration.sql, written with
 * `prisma migrate diff`) in name order, each in a transaction, and records them in _ovz_migrations with a
 * checksum. Why not `prisma migrate deploy`: with the wasm schema engine, @prisma/adapter-pg 6.19 cannot
 * read PostgreSQL's `name` columns (prisma/orm#27403), so deploy fails on PostgreSQL; this runner applies
 * the very same files on both databases and refuses a migration edited after it was applied.
 *   tsx server/db/migrate.ts            (uses DATABASE_URL; default file:/var/lib/ovz/panel.db)
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { databaseUrl, providerOf, sqlitePath, type DbProvider } from "./provider.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export function migrationsFor(provider: DbProvider): Migration[] {
  const dir = path.join(ROOT, "prisma", provider, "migrations");
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = fs.readFileSync(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: crypto.createHash("sha256").update(sql).digest("hex") };
    });
}

const TABLE = `CREATE TABLE IF NOT EXISTS "_ovz_migrations" ("name" TEXT PRIMARY KEY, "checksum" TEXT NOT NULL, "appliedAt" TEXT NOT NULL)`;

function check(applied: Map<string, string>, m: Migration): boolean {
  const sum = applied.get(m.name);
  if (sum === undefined) return false;
  if (sum !== m.checksum)
    throw new Error(
      `migration ${m.name} was changed after it was applied (checksum differs); restore the file and add a new migration instead`,
    );
  return true;
}

export async function migrate(url = databaseUrl()): Promise<string[]> {
  const provider = providerOf(url);
  const done: string[] = [];
  if (provider === "sqlite") {
    const { default: Database } = await import("better-sqlite3");
    const file = sqlitePath(url);
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const db = new Database(file);
    try {
      db.pragma("journal_mode = WAL");
      // A table rebuild (DROP TABLE inside a migration) must not fire ON DELETE actions on other tables;
      // SQLite ignores this pragma inside a transaction, so it is set here, and every migration must
      // leave no dangling reference (foreign_key_check) or it is rolled back.
      db.pragma("foreign_keys = OFF");
      db.exec(TABLE);
      const applied = new Map(
        (db.prepare(`SELECT name, checksum FROM _ovz_migrations`).all() as { name: string; checksum: string }[]).map(
          (r) => [r.name, r.checksum],
        ),
      );
      for (const m of migrationsFor(provider)) {
        if (check(applied, m)) continue;
        db.transaction(() => {
          db.exec(m.sql);
          const dangling = db.pragma("foreign_key_check") as unknown[];
          if (dangling.length)
            throw new Error(
              `migration ${m.name} leaves ${dangling.length} dangling foreign key(s); it was rolled back`,
            );
          db.prepare(`INSERT INTO _ovz_migrations (name, checksum, "appliedAt") VALUES (?, ?, ?)`).run(
            m.name,
            m.checksum,
            new Date().toISOString(),
          );
        })();
        done.push(m.name);
      }
    } finally {
      db.close();
    }
    return done;
  }
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(TABLE);
    const r = await client.query<{ name: string; checksum: string }>(`SELECT name, checksum FROM _ovz_migrations`);
    const applied = new Map(r.rows.map((x) => [x.name, x.checksum]));
    for (const m of migrationsFor(provider)) {
      if (check(applied, m)) continue;
      await client.query("BEGIN");
      try {
        await client.query(m.sql);
        await client.query(`INSERT INTO _ovz_migrations (name, checksum, "appliedAt") VALUES ($1, $2, $3)`, [
          m.name,
          m.checksum,
          new Date().toISOString(),
        ]);
        await client.query("COMMIT");
      } catch (e) {
        await client.query("ROLLBACK");
        throw new Error(`migration ${m.name} failed and was rolled back: ${(e as Error).message}`);
      }
      done.push(m.name);
    }
  } finally {
    await client.end();
  }
  return done;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const names = await migrate();
  console.log(names.length ? `applied migrations: ${names.join(", ")}` : "database is up to date");
}
