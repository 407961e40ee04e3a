/**
 * First-run seed (idempotent): the platform tenant, the first admin, the local node, a starter plan and a
 * default venet pool (198.18.100.10–250 from the benchmark range, so a fresh install can create
 * containers at once; admins add real pools on the IP pools page).
 *   tsx server/seed.ts [--email admin@example.com] [--password '…']
 * Without --password (or OVZ_ADMIN_PASSWORD) a random password is generated and printed once. An
 * existing admin's password is only changed when a password is given explicitly.
 */
import { parseArgs } from "node:util";
import { hashPassword, randomToken } from "./auth/crypto.js";
import { createDb, type Db } from "./db/client.js";
import { defaultLimits } from "../native/src/settings.js";

export async function seed(
  db: Db,
  opts: { email: string; password?: string; socket: string; defaultPool?: boolean },
): Promise<{ email: string; password: string | null; created: boolean }> {
  let platform = await db.tenant.findFirst({ where: { kind: "platform" } });
  platform ??= await db.tenant.create({ data: { name: "Platform", kind: "platform" } });
  const existing = await db.user.findUnique({ where: { email: opts.email } });
  let password: string | null = null;
  if (!existing) {
    password = opts.password ?? randomToken(12);
    await db.user.create({
      data: {
        email: opts.email,
        name: "Administrator",
        role: "admin",
        tenantId: platform.id,
        passwordHash: await hashPassword(password),
      },
    });
  } else if (opts.password) {
    password = opts.password;
    await db.user.update({
      where: { id: existing.id },
      data: { passwordHash: await hashPassword(password), disabled: false },
    });
  }
  let node = await db.node.findFirst();
  node ??= await db.node.create({ data: { name: "local", endpoint: opts.socket } });
  if (opts.defaultPool !== false && !(await db.ipPool.findFirst())) {
    await db.ipPool.create({
      data: {
        nodeId: node.id,
        name: "default-v4",
        kind: "venet",
        family: 4,
        cidr: "198.18.100.0/24",
        rangeStart: "198.18.100.10",
        rangeEnd: "198.18.100.250",
      },
    });
  }
  if (!(await db.plan.findFirst({ where: { tenantId: platform.id } }))) {
    const limits = { ...defaultLimits(), ram: 512 * 1024 ** 2, diskspace: 2 * 1024 ** 3, cpus: 1, cpulimit: 100 };
    await db.plan.create({
      data: {
        tenantId: platform.id,
        name: "starter",
        limits: JSON.stringify(limits),
        ipCount: 1,
        templates: JSON.stringify(["busybox", "debian-12"]),
      },
    });
  }
  return { email: opts.email, password, created: !existing };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { email: { type: "string" }, password: { type: "string" } } });
  const email = (values.email ?? process.env.OVZ_ADMIN_EMAIL ?? "admin@localhost").toLowerCase();
  const db = createDb();
  const r = await seed(db, {
    email,
    password: values.password ?? process.env.OVZ_ADMIN_PASSWORD,
    socket: process.env.OVZ_SOCKET ?? "/run/ovz/engine.sock",
  });
  await db.$disconnect();
  if (r.password) console.log(`admin login: ${r.email}  password: ${r.password}${r.created ? "" : " (reset)"}`);
  else console.log(`admin ${r.email} already exists (password unchanged; pass --password to reset it)`);
}
