/**
 * Snapshots, backups, SSH keys end to end, in Chromium against the real engine:
 * the customer takes a snapshot, a file is deleted inside the container, the customer rolls back in the
 * UI and the file is back → files are written, the customer makes a backup (operation progress shown),
 * the admin destroys the container, the customer sees the backup but no way to make a container from it,
 * the admin restores it as a new container of the customer's from the Backups page and the files inside
 * have the same sha256 → root's SSH key set in the UI is in
 * /root/.ssh/authorized_keys → clean-up (container, backup, pool).
 */
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { EngineClient } from "../native/src/protocol/client.js";
import {
  createContainer,
  createCustomer,
  createPlan,
  createPool,
  deleteBackupOf,
  deletePool,
  destroyContainer,
  login,
  shot,
  tabUrl,
  uniq,
  waitForOperation,
} from "./helpers.js";
import { ADMIN, readState } from "./stack.js";

test.describe.configure({ mode: "serial" });

const customer = {
  name: uniq("SnapCustomer"),
  email: `${uniq("snapcust")}@e2e.test`,
  password: "snap-customer-password-1",
};
const planName = uniq("snapplan");
const poolName = uniq("snappool");
const POOL = { cidr: "198.18.204.0/24", first: "198.18.204.10", last: "198.18.204.19" };
const hostname = `${uniq("snap")}.e2e.test`;
const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIP7coomf1uTnwiIkXa4Sajst7lh2/P6IKu6SeRACWttd e2e@laptop";
const FILES = "/srv/f1 /srv/f2 /srv/sub/f3";
let containerUrl = "";
let restoredUrl = "";
let ctid = 0;
let sums = "";

async function newPage(browser: Browser): Promise<Page> {
  return (await browser.newContext()).newPage();
}
async function inside(id: number, script: string) {
  const engine = new EngineClient(readState().engine.socket);
  try {
    const r = await engine.call("container.exec", { ctid: id, argv: ["/bin/sh", "-c", script] });
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  } finally {
    engine.close();
  }
}

test("the admin makes a plan, a pool and a customer's running container", async ({ browser }) => {
  const page = await newPage(browser);
  await login(page, ADMIN.email, ADMIN.password);
  await createPlan(page, planName);
  await createPool(page, poolName, POOL, 10);
  await createCustomer(page, { ...customer, userName: "Snap Customer" });
  ({ url: containerUrl, ctid } = await createContainer(page, { customer: customer.name, plan: planName, hostname }));
  await page.getByRole("button", { name: "Start", exact: true }).click();
  await waitForOperation(page, "start");
});

test("the customer takes a snapshot; a deleted file is back after a roll back in the UI", async ({ browser }) => {
  await inside(ctid, "echo keep-me > /root/marker.txt");
  const page = await newPage(browser);
  await login(page, customer.email, customer.password);
  await page.goto(tabUrl(containerUrl, "Snapshots"));
  const card = page.getByTestId("snapshots-card");
  await card.getByLabel("Name (optional)").fill("before-delete");
  await card.getByLabel("Description (optional)").fill("marker present");
  const t0 = Date.now();
  await card.getByRole("button", { name: "Take snapshot" }).click();
  await expect(card.getByText('Snapshot "before-delete" taken.')).toBeVisible();
  console.log(`snapshot through the UI: ${Date.now() - t0} ms`);
  await expect(card.getByTestId("snapshot-before-delete")).toContainText("marker present");

  await inside(ctid, "rm /root/marker.txt && test ! -e /root/marker.txt");
  await card.getByRole("button", { name: "Roll back to snapshot before-delete" }).click();
  const t1 = Date.now();
  await card.getByRole("button", { name: "Roll back to before-delete" }).click();
  await expect(card.getByText('Rolled back to "before-delete".')).toBeVisible({ timeout: 60_000 });
  console.log(`rollback (stop + rollback + start) through the UI: ${Date.now() - t1} ms`);
  await expect(page.getByTestId("container-state")).toContainText(/running/i, { timeout: 20_000 });
  expect(await inside(ctid, "cat /root/marker.txt")).toBe("keep-me\n");
  await shot(page, "customer-snapshots");
});

test("a backup, the container destroyed, restored as a new container: the files' sha256 are equal", async ({
  browser,
}) => {
  await inside(
    ctid,
    "mkdir -p /srv/sub && dd if=/dev/urandom of=/srv/f1 bs=1k count=700 2>/dev/null && echo hello > /srv/f2 && dd if=/dev/urandom of=/srv/sub/f3 bs=1k count=64 2>/dev/null && chmod 600 /srv/f2",
  );
  sums = await inside(ctid, `sha256sum ${FILES}; stat -c '%n %a %u:%g' ${FILES}`);
  const page = await newPage(browser);
  await login(page, customer.email, customer.password);
  await page.goto(tabUrl(containerUrl, "Backups"));
  const card = page.getByTestId("backups-card");
  await card.getByRole("button", { name: "Back up now" }).click();
  const op = page.locator('[data-testid="operation"][data-operation-type="backup"]');
  await expect(op).toBeVisible();
  await waitForOperation(page, "backup");
  await expect(card.locator("tbody tr")).toHaveCount(1);
  await shot(page, "customer-backup");

  // download: the archive streamed through the panel is the engine's, byte for byte, and holds the files
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    card.getByRole("link", { name: "Download" }).click(),
  ]);
  const file = await download.path();
  const engine = new EngineClient(readState().engine.socket);
  const [manifest] = await engine.call("backup.list", { ctid }).finally(() => engine.close());
  expect(crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex")).toBe(manifest!.archive.sha256);
  expect(fs.statSync(file).size).toBe(manifest!.archive.sizeBytes);
  const listing = execFileSync("sh", ["-c", `zstd -dc < "${file}" | tar -t`], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  expect(listing).toMatch(/(^|\/)srv\/f2$/m);

  const admin = await newPage(browser);
  await login(admin, ADMIN.email, ADMIN.password);
  await destroyContainer(admin, containerUrl, hostname);

  // the customer still sees its backup, but making a container from it is its provider's act
  await page.goto("/backups");
  const row = page.locator("tbody tr", { hasText: hostname });
  await expect(row).toContainText("destroyed");
  await expect(row.getByRole("link", { name: "Download" })).toBeVisible();
  await expect(row.getByRole("button", { name: "Restore as new container" })).toHaveCount(0);

  await admin.goto("/backups");
  const adminRow = admin.locator("tbody tr", { hasText: hostname });
  await adminRow.getByRole("button", { name: "Restore as new container" }).click();
  await waitForOperation(admin, "restore");
  await shot(admin, "admin-restore-as-new");
  await admin.getByTestId("restored-container-link").click();
  await expect(admin).toHaveURL(/\/containers\/[^/]+$/);
  restoredUrl = new URL(admin.url()).pathname;

  // the new container is the customer's own
  await page.goto(restoredUrl);
  const newCtid = Number(await page.getByTestId("container-ctid").innerText());
  await page.getByRole("button", { name: "Start", exact: true }).click();
  await waitForOperation(page, "start");
  expect(await inside(newCtid, `sha256sum ${FILES}; stat -c '%n %a %u:%g' ${FILES}`)).toBe(sums);
  ctid = newCtid;
});

test("an SSH key set in the UI is in root's authorized_keys; a bad one is a field error", async ({ browser }) => {
  const page = await newPage(browser);
  await login(page, customer.email, customer.password);
  await page.goto(tabUrl(restoredUrl, "Settings"));
  const card = page.getByTestId("sshkeys-card");
  await card.getByLabel("Authorized keys").fill("ssh-rsa not-a-key");
  await card.getByRole("button", { name: "Save keys" }).click();
  await expect(card.getByLabel("Authorized keys")).toHaveAttribute("aria-invalid", "true");
  await card.getByLabel("Authorized keys").fill(`# my laptop\n${KEY}\n`);
  await card.getByRole("button", { name: "Save keys" }).click();
  await expect(card.getByText("1 key(s) written to /root/.ssh/authorized_keys.")).toBeVisible();
  expect(
    await inside(ctid, "stat -c '%a %u' /root/.ssh /root/.ssh/authorized_keys; grep ssh- /root/.ssh/authorized_keys"),
  ).toBe(`700 0\n600 0\n${KEY}\n`);
  await shot(page, "customer-ssh-keys");
});

test("clean-up: the restored container, the backup and the pool go", async ({ browser }) => {
  const page = await newPage(browser);
  await login(page, ADMIN.email, ADMIN.password);
  await destroyContainer(page, restoredUrl, hostname);
  await deleteBackupOf(page, hostname);
  const engine = new EngineClient(readState().engine.socket);
  try {
    expect((await engine.call("backup.list", {})).filter((b) => b.container.hostname === hostname)).toEqual([]);
  } finally {
    engine.close();
  }
  await deletePool(page, poolName);
});
