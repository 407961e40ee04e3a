/**
 * The command line and the panel are one system: a container made with vzctl shows in the browser, a
 * start and a RAM change made in the browser show in vzlist, a hostname changed with vzctl shows in the
 * browser, the audit log names the command line, and vzctl destroy removes it from the panel. The
 * commands run as root through the wrappers scripts/install-cli.sh installs, on the stack's database
 * (PostgreSQL). On an SQLite database, which the panel user owns, they switch to that user
 * (server/cli/env.ts) and reach the engine through its socket group, as on a single-node install: the
 * last test checks that on an SQLite database of its own.
 */
import { execFile, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { createDb } from "../server/db/client.js";
import { migrate } from "../server/db/migrate.js";
import { seed } from "../server/seed.js";
import { createPool, deletePool, login, openTab, shot, uniq, waitForOperation } from "./helpers.js";
import { ADMIN, readState } from "./stack.js";

test.describe.configure({ mode: "serial" });

const POOL = { cidr: "198.18.202.0/24", first: "198.18.202.10", last: "198.18.202.19" };
const poolName = uniq("clipool");
const CTID = 150;
const MiB = 1024 * 1024;
let bin = "";

async function newPage(browser: Browser): Promise<Page> {
  return (await browser.newContext()).newPage();
}

function cli(
  script: string,
  databaseUrl = readState().databaseUrl,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      "bash",
      ["-c", script],
      {
        cwd: os.tmpdir(),
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, DATABASE_URL: databaseUrl, OVZ_CONF: "/dev/null" },
        timeout: 120_000,
      },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function ok(script: string, databaseUrl?: string): Promise<string> {
  const r = await cli(script, databaseUrl);
  expect(r.code, `${script}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

test.beforeAll(() => {
  bin = fs.mkdtempSync(path.join(os.tmpdir(), "ovz-e2e-bin-"));
  execFileSync("bash", [path.resolve("scripts/install-cli.sh"), bin]);
});
test.afterAll(() => {
  if (bin) fs.rmSync(bin, { recursive: true, force: true });
});

test("a container created with vzctl appears in the panel; the panel's start and RAM change show in vzlist", async ({
  browser,
}) => {
  const page = await newPage(browser);
  await login(page, ADMIN.email, ADMIN.password);
  await createPool(page, poolName, POOL, 10);

  const created = await ok(
    `vzctl create ${CTID} --ostemplate busybox --config starter --hostname cli150.e2e.test --name clitest`,
  );
  expect(created).toContain("Container private area was created");

  await page.goto("/containers");
  const row = page.getByRole("row").filter({ hasText: "cli150.e2e.test" });
  await expect(row).toContainText("clitest");
  await expect(row).toContainText(POOL.first);
  await row.getByRole("link", { name: "cli150.e2e.test" }).click();
  await expect(page.getByTestId("container-name")).toHaveText("clitest");
  await page.getByRole("button", { name: "Start", exact: true }).click();
  await waitForOperation(page, "start");
  await expect(page.getByTestId("container-state")).toHaveText(/running/);

  await openTab(page, "Resources");
  const form = page.getByTestId("live-limits");
  await form.getByLabel("RAM", { exact: true }).fill("192M");
  await form.getByRole("button", { name: "Apply limits" }).click();
  await expect(form.getByText(/applied live/i)).toBeVisible();
  await shot(page, "cli-container-in-panel");

  // vzlist: running, its address, RAM limit in 4 KiB pages
  expect((await ok(`vzlist -H -o ctid,name,status,ip,physpages.l ${CTID}`)).trim().split(/\s+/)).toEqual([
    String(CTID),
    "clitest",
    "running",
    POOL.first,
    String((192 * MiB) / 4096),
  ]);
});

test("a hostname changed with vzctl shows in the browser; the audit log names the command line; vzctl destroy removes it", async ({
  browser,
}) => {
  await ok("vzctl set clitest --hostname renamed150.e2e.test --save");
  const page = await newPage(browser);
  await login(page, ADMIN.email, ADMIN.password);
  await page.goto("/containers");
  await page.getByRole("link", { name: "renamed150.e2e.test" }).click();
  await expect(page.getByRole("heading", { name: /renamed150\.e2e\.test/ })).toBeVisible();
  expect((await ok(`vzctl exec ${CTID} hostname`)).trim()).toBe("renamed150.e2e.test");

  await page.goto("/audit");
  await expect(page.getByRole("cell", { name: /\(vzctl\)$/ }).first()).toBeVisible();
  await shot(page, "cli-audit");

  const refused = await cli(`vzctl destroy ${CTID}`);
  expect(refused.code).toBe(32);
  expect(refused.stderr).toContain("Stop it first");
  await ok(`vzctl stop clitest && vzctl destroy clitest`);
  await page.goto("/containers");
  await expect(page.getByRole("link", { name: "renamed150.e2e.test" })).toHaveCount(0);
  expect((await cli(`vzctl status ${CTID}`)).stdout.trim()).toBe(`CTID ${CTID} deleted unmounted down`);

  await deletePool(page, poolName);
});

test("on an SQLite database owned by the panel user, vzctl as root works as that user and leaves no root-owned file", async () => {
  const s = readState();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ovz-e2e-sqlite-"));
  try {
    const url = `file:${dir}/panel.db`;
    await migrate(url);
    const db = createDb(url);
    try {
      await seed(db, {
        email: "admin@sqlite.e2e.test",
        password: "sqlite-e2e-password",
        socket: s.engine.socket,
        defaultPool: false,
      });
      const node = await db.node.findFirstOrThrow();
      await db.ipPool.create({
        data: {
          nodeId: node.id,
          name: "sqlite-v4",
          kind: "venet",
          family: 4,
          cidr: "198.18.207.0/24",
          rangeStart: "198.18.207.10",
          rangeEnd: "198.18.207.19",
        },
      });
    } finally {
      await db.$disconnect();
    }
    execFileSync("chown", ["-R", "ovz-panel:ovz", dir]);
    expect(
      await ok(`vzctl create 152 --ostemplate busybox --config starter --hostname sqlite152.e2e.test`, url),
    ).toContain("Container private area was created");
    expect((await ok("vzlist -H -o ctid,ip 152", url)).trim().split(/\s+/)).toEqual(["152", "198.18.207.10"]);
    const files = fs.readdirSync(dir).filter((f) => f.startsWith("panel.db"));
    expect(files).toContain("panel.db");
    for (const f of files) expect(fs.statSync(path.join(dir, f)).uid, f).not.toBe(0);
    await ok("vzctl destroy 152", url);
    expect((await cli("vzctl status 152", url)).stdout.trim()).toBe("CTID 152 deleted unmounted down");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
