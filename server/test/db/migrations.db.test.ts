/**
 * The committed migrations must create exactly what prisma/models.prisma describes, on both databases.
 * (With one migration this compares it to `prisma migrate diff --from-empty`; when a second migration
 * is added, compare the schema of a migrated database instead.)
 */
import { describe, expect, it } from "vitest";
import { schemaSql } from "../../../scripts/db-schema-sql.js";
import { migrationsFor } from "../../db/migrate.js";
import { freshDb, PROVIDERS } from "../helpers/db.js";

describe.each(PROVIDERS)("migrations for %s", (provider) => {
  it("match the Prisma models", async () => {
    const committed = migrationsFor(provider);
    expect(committed.length).toBe(1);
    // the wasm schema engine needs a live PostgreSQL: reuse the run's cluster (any database will do)
    const t = provider === "postgresql" ? await freshDb(provider) : null;
    try {
      expect(committed[0]!.sql.trim()).toBe((await schemaSql(provider, t?.url)).trim());
    } finally {
      await t?.drop();
    }
  });
});
