/**
 * The panel's database client. One generated Prisma client per provider (the provider is baked into the
 * generated code); both come from the same models (prisma/models.prisma), so their types are the same
 * and the SQLite one is used as the canonical `Db` type.
 */
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient as SqliteClient } from "./generated/sqlite/client.js";
import { PrismaClient as PgClient } from "./generated/postgresql/client.js";
import { databaseUrl, providerOf, sqlitePath, type DbProvider } from "./provider.js";

export type Db = SqliteClient;
export type { Prisma } from "./generated/sqlite/client.js";
export type {
  Tenant,
  User,
  Session,
  ApiToken,
  Plan,
  Allocation,
  Node,
  NodeJoinToken,
  Container,
  Operation,
  OperationLine,
  AuditLog,
  Backup,
  BackupPolicy,
  NotifyDelivery,
} from "./generated/sqlite/client.js";

// on globalThis: Next bundles the instrumentation hook apart from the route handlers, each with its own
// copy of this module, and the process-wide client (db()) may come from either copy
const gp = globalThis as unknown as { __ovzDbProviders?: WeakMap<object, DbProvider> };
const providers = (gp.__ovzDbProviders ??= new WeakMap<object, DbProvider>());

export function createDb(url = databaseUrl()): Db {
  const provider = providerOf(url);
  let d: Db;
  if (provider === "sqlite") {
    const adapter = new PrismaBetterSQLite3({ url: `file:${sqlitePath(url)}` });
    d = new SqliteClient({ adapter });
  } else {
    const adapter = new PrismaPg({ connectionString: url });
    d = new PgClient({ adapter }) as unknown as Db;
  }
  providers.set(d, provider);
  return d;
}

/** Which database a client made by createDb talks to (a transaction client: pass the outer one). */
export function providerOfDb(d: Db): DbProvider {
  const p = providers.get(d);
  if (!p) throw new Error("providerOfDb: this client was not made by createDb");
  return p;
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
