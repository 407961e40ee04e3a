/**
 * Templates page: the admin uploads a small busybox rootfs (.tar.gz, made here with the engine's own busybox
 * builder and tar) to the local node; the browser's upload progress, then the import operation, then the template
 * in the node's list as "imported". A tarball that is not a root filesystem is refused with a sentence. The
 * admin deletes the template again (the confirm names it). Nothing else is created: no container, no plan.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { EngineClient } from "../native/src/protocol/client.js";
import { buildBusyboxRootfs } from "../native/src/templates/busybox.js";
import { goto, login, shot, uniq } from "./helpers.js";
import { ADMIN, readState } from "./stack.js";

test.describe.configure({ mode: "serial" });

let tmp = "";
const name = uniq("e2e-up");

test.beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), "ovz-e2e-tpl-"));
  await buildBusyboxRootfs(path.join(tmp, "rootfs"));
  execFileSync("tar", [
    "--numeric-owner",
    "-czf",
    path.join(tmp, `${name}.tar.gz`),
    "-C",
    path.join(tmp, "rootfs"),
    ".",
  ]);
  mkdirSync(path.join(tmp, "docs"));
  writeFileSync(path.join(tmp, "docs", "README"), "not a root filesystem\n");
  execFileSync("tar", ["-cJf", path.join(tmp, "docs.tar.xz"), "-C", path.join(tmp, "docs"), "."]);
});

test.afterAll(async () => {
  // the story deletes its template; if it stopped half-way, remove it on the engine directly
  const engine = new EngineClient(readState().engine.socket);
  try {
    const left = (await engine.call("template.list", {})).some((t) => t.name === name);
    if (left) await engine.call("template.delete", { name });
  } finally {
    engine.close();
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test("the admin uploads a rootfs tarball with progress, sees it imported on the node, and deletes it", async ({
  page,
}) => {
  await login(page, ADMIN.email, ADMIN.password);
  await goto(page, "/templates");
  await expect(page.getByLabel("Node")).toHaveValue(/.+/);
  const rows = page.getByRole("table", { name: "Templates" });
  await expect(rows.getByRole("cell", { name: "busybox", exact: true }).first()).toBeVisible();

  const upload = page.getByRole("form", { name: "Upload a template" });
  // not a root filesystem: the operation fails with the engine's sentence, and nothing is listed
  await upload.getByLabel(/^Tarball/).setInputFiles(path.join(tmp, "docs.tar.xz"));
  await expect(upload.getByLabel("Template name")).toHaveValue("docs");
  await upload.getByRole("button", { name: "Upload" }).click();
  const failed = page.locator('[data-testid="operation"][data-operation-type="template"]').first();
  await expect(failed.getByTestId("operation-status")).toHaveText(/failed/, { timeout: 120_000 });
  await expect(failed.getByRole("alert")).toContainText("The upload is not a container root filesystem");
  await expect(rows.getByRole("cell", { name: "docs", exact: true })).toHaveCount(0);

  await upload.getByLabel(/^Tarball/).setInputFiles(path.join(tmp, `${name}.tar.gz`));
  await expect(upload.getByLabel("Template name")).toHaveValue(name);
  // a slow uplink, so that the browser's upload progress can be seen
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  const slow = { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 256 * 1024 };
  await cdp.send("Network.emulateNetworkConditions", slow);
  await upload.getByRole("button", { name: "Upload" }).click();
  const bar = upload.getByRole("progressbar", { name: "Upload progress" });
  await expect(bar).toBeVisible();
  await expect(upload.getByText(/ of /)).toBeVisible();
  await cdp.send("Network.emulateNetworkConditions", { ...slow, uploadThroughput: -1 });
  const op = page.locator('[data-testid="operation"][data-operation-type="template"]').first();
  await expect(op.getByLabel("Operation log")).toContainText(`uploading template ${name}`);
  await expect(op.getByTestId("operation-status")).toHaveText(/succeeded/, { timeout: 120_000 });
  await expect(bar).toHaveCount(0);
  const row = rows.getByRole("row").filter({ has: page.getByRole("cell", { name, exact: true }) });
  await expect(row).toBeVisible();
  await expect(row.getByRole("cell", { name: "imported", exact: true })).toBeVisible();
  // distribution and init, as the engine detected them in the tarball
  await expect(row.getByRole("cell", { name: "busybox", exact: true })).toHaveCount(2);
  await shot(page, "templates-uploaded");

  await row.getByRole("button", { name: `Delete template ${name}` }).click();
  await row.getByRole("button", { name: `Delete ${name} from local` }).click();
  await expect(rows.getByRole("cell", { name, exact: true })).toHaveCount(0);
});
