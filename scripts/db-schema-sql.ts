/**
 * Print the SQL that creates the whole schema for one database, from prisma/<provider>/:
 *   npx tsx scripts/db-schema-sql.ts sqlite|postgresql
 * Used to write a new migration (diff it against the previous one) and by the test that checks the
 * committed migrations still match the models. PostgreSQL needs a live server for the wasm schema engine,
 * so a private throwaway cluster is started for it.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startPgCluster } from "../server/test/helpers/pg-cluster.js";

/** `pgUrl`: an existing empty PostgreSQL database to use instead of a throwaway cluster. */
export async function schemaSql(provider: "sqlite" | "postgresql", pgUrl?: string): Promise<string> {
  const run = (url: string) =>
    execFileSync(
      path.resolve("node_modules/.bin/prisma"),
      ["migrate", "diff", "--from-empty", "--to-schema-datamodel", `prisma/${provider}`, "--script"],
      {
        env: { ...process.env, DATABASE_URL: url, CHECKPOINT_DISABLE: "1" },
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
  if (provider === "sqlite") {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ovz-sql-"));
    try {
      return run(`file:${dir}/x.db`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  if (pgUrl) return run(pgUrl);
  const c = await startPgCluster();
  try {
    return run(c.url());
  } finally {
    c.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const p = process.argv[2];
  if (p !== "sqlite" && p !== "postgresql") {
    console.error("usage: tsx scripts/db-schema-sql.ts sqlite|postgresql");
    process.exit(2);
  }
  process.stdout.write(await schemaSql(p));
}
