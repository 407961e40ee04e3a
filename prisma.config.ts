/**
 * Prisma CLI configuration (migrate deploy / migrate diff / generate). Uses the wasm ("js") schema
 * engine through driver adapters, so nothing is downloaded. The database is chosen from DATABASE_URL
 * (server/db/provider.ts): SQLite by default, PostgreSQL for production.
 */
import { defineConfig } from "prisma/config";
import { databaseUrl, providerOf, sqlitePath } from "./server/db/provider.js";

const url = databaseUrl();
process.env.DATABASE_URL = url; // the schema's datasource reads it
const provider = providerOf(url);

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: `prisma/${provider}`,
  migrations: { path: `prisma/${provider}/migrations` },
  async adapter() {
    if (provider === "sqlite") {
      const { PrismaBetterSQLite3 } = await import("@prisma/adapter-better-sqlite3");
      return new PrismaBetterSQLite3({ url: `file:${sqlitePath(url)}` });
    }
    const { PrismaPg } = await import("@prisma/adapter-pg");
    return new PrismaPg({ connectionString: url });
  },
});
