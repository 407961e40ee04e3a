/**
 * Which database the panel uses, decided in one place from DATABASE_URL: `file:` → the embedded SQLite
 * default, `postgres://`/`postgresql://` → PostgreSQL. Shared by prisma.config.ts (migrations) and the
 * runtime client (server/db/client.ts).
 */
export type DbProvider = "sqlite" | "postgresql";

export const DEFAULT_DATABASE_URL = "file:/var/lib/ovz/panel.db";

export function databaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.DATABASE_URL?.trim() || DEFAULT_DATABASE_URL;
}

export function providerOf(url: string): DbProvider {
  if (url.startsWith("file:")) return "sqlite";
  if (/^postgres(ql)?:\/\//.test(url)) return "postgresql";
  throw new Error(
    `DATABASE_URL "${url.replace(/\/\/[^@]*@/, "//***@")}" is not supported: use file:/path/panel.db (SQLite) or postgresql://user:pass@host:port/db`,
  );
}

/** Path of a `file:` URL (relative paths are taken from the working directory, as Prisma does). */
export function sqlitePath(url: string): string {
  return url.slice("file:".length).replace(/\?.*$/, "");
}
