/**
 * The panel's database client. One generated Prisma client per provider (the provider is baked into the
 * generated code); both come from the same models (prisma/models.prisma), so their types are the same
 * and the SQLite one is used as the canonical `Db` type.
 */
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient as SqliteClient } from "./generated/sqlite/client.js";
import { PrismaClient as PgClient } from "./generated/postgresql/client.js";
import { databaseUrl, providerOf, sqlitePath } from "./provider.js";

export type Db = SqliteClient;
export type { Prisma } from "./generated/sqlite/client.js";
export type { Tenant, User, Session, ApiToken, Plan, Allocation, Node, Container, Operation, OperationLine, AuditLog, Backup } from "./generated/sqlite/client.js";

export function createDb(url = databaseUrl()): Db {
  if (providerOf(url) === "sqlite") {
    const adapter = new PrismaBetterSQLite3({ url: `file:${sqlitePath(url)}` });
    return new SqliteClient({ adapter });
  }
  const adapter = new PrismaPg({ connectionString: url });
  return new PgClient({ adapter }) as unknown as Db;
}

const g = globalThis as unknown as { __ovzDb?: Db };

/** The process-wide client (survives Next's dev reloads). */
export function db(): Db {
  g.__ovzDb ??= createDb();
  return g.__ovzDb;
}

/** Tests swap in their own database. */
export function setDb(d: Db | undefined): void {
  g.__ovzDb = d;
}
