/**
 * A second process for the cross-process lock test: holds `key` for `ms` milliseconds and prints
 * "held" when it has it and "released" after.  tsx lock-holder.ts DATABASE_URL KEY MS
 */
import { createDb } from "../../db/client.js";
import { withLock } from "../../services/locks.js";

const [url, key, ms] = process.argv.slice(2);
const db = createDb(url);
await withLock(db, key!, async () => {
  process.stdout.write("held\n");
  await new Promise((r) => setTimeout(r, Number(ms)));
  process.stdout.write("released\n");
});
await db.$disconnect();
