/**
 * Live migration from the browser, against two real engines: a second engine (its own netns, state dir,
 * btrfs pool, a veth link to the panel's namespace) joins as a node with a one-time token from the Nodes
 * page and is reached over mutual TLS; the admin makes a customer's running container with a counter under
 * its init, migrates it live from the container page and sees it running on the new node — the operation
 * log shows the frozen time, the counter kept counting (same processes), the first node holds nothing of
 * it any more — then destroys it and removes the node.
 */
import { expect, test, type Browser, type Page } from "@playwright/test";
import { EngineClient } from "../native/src/protocol/client.js";
import {
  createContainer,
  createCustomer,
  createPlan,
  createPool,
  deletePool,
  destroyContainer,
  goto,
  login,
  shot,
  tabUrl,
  uniq,
  waitForOperation,
} from "./helpers.js";
import { joinNode, removeNode, startSecondNode, type SecondNode } from "./second-node.js";
import { ADMIN, readState } from "./stack.js";

test.describe.configure({ mode: "serial" });

const customer = {
  name: uniq("MigCustomer"),
  email: `${uniq("migcust")}@e2e.test`,
  password: "mig-customer-password-1",
};
const planName = uniq("migplan");
const poolName = uniq("migpool");
const POOL = { cidr: "198.18.206.0/24", first: "198.18.206.10", last: "198.18.206.19" };
const hostname = `${uniq("mig")}.e2e.test`;
let node2: SecondNode | null = null;
let containerUrl = "";
let ctid = 0;

async function newPage(browser: Browser): Promise<Page> {
  return (await browser.newContext()).newPage();
}
async function onEngine<T>(socket: string, f: (e: EngineClient) => Promise<T>): Promise<T> {
  const e = new EngineClient(socket);
  try {
    return await f(e);
  } finally {
    e.close();
  }
}
const counter = async (socket: string) =>
  onEngine(socket, async (e) =>
    (await e.call("container.exec", { ctid, argv: ["cat", "/root/counter"] })).stdout.trim().split("\n").map(Number),
  );

test.beforeAll(async () => {
  test.setTimeout(180_000);
  node2 = await startSecondNode();
});

test.afterAll(async () => {
  await node2?.cleanup();
});

test("a second node joins with a one-time token from the Nodes page (mutual TLS)", async ({ browser }) => {
  const page = await newPage(browser);
  await login(page, ADMIN.email, ADMIN.password);
  await joinNode(page, node2!);
  expect(node2!.endpoint).toMatch(/^tls:\/\//);
});

test("the admin makes a customer's running container with a counter under its init", async ({ browser }) => {
  const page = await newPage(browser);
  await login(page, ADMIN.email, ADMIN.password);
  await createPlan(page, planName);
  await createPool(page, poolName, POOL, 10);
  await createCustomer(page, { ...customer, userName: "Mig Customer" });
  ({ url: containerUrl, ctid } = await createContainer(page, { customer: customer.name, plan: planName, hostname }));
  // a counter as a service of init (what CRIU dumps is init's process tree)
  await onEngine(readState().engine.socket, async (e) => {
    const st = await e.call("container.status", { ctid });
    const fs = await import("node:fs/promises");
    await fs.appendFile(
      `${st.rootfs}/etc/inittab`,
      "::respawn:/bin/sh -c 'exec </dev/null >/dev/null 2>&1; i=0; while :; do i=$((i+1)); echo $i >> /root/counter; sleep 0.1; done'\n",
    );
  });
  await page.getByRole("button", { name: "Start", exact: true }).click();
  await waitForOperation(page, "start");
  await expect
    .poll(async () => (await counter(readState().engine.socket).catch(() => [])).length, { timeout: 20_000 })
    .toBeGreaterThan(20);
});

test("the admin migrates it live to the new node from the container page and sees it running there", async ({
  browser,
}) => {
  const page = await newPage(browser);
  await login(page, ADMIN.email, ADMIN.password);
  await goto(page, tabUrl(containerUrl, "Settings"));
  await expect(page.getByTestId("container-state")).toContainText("running");
  const before = await counter(readState().engine.socket);
  const form = page.getByTestId("migrate-form");
  await form.getByLabel("Destination node").selectOption({ label: node2!.name });
  await expect(form.getByLabel(/Live: keep it running/)).toBeChecked();
  await form.getByRole("button", { name: "Migrate" }).click();
  await waitForOperation(page, "migrate");
  await expect(page.getByText(/frozen for \d+ ms/).first()).toBeVisible();
  await shot(page, "migrated");
  await page.reload();
  await expect(page.getByTestId("container-state")).toContainText("running");
  await expect(page.getByText(`node ${node2!.name}`, { exact: false })).toBeVisible();

  // the same processes run on the new node: the counter continued from where it was (a fresh boot restarts at 1)
  const socket2 = node2!.engine.env.OVZ_SOCKET!;
  expect((await onEngine(socket2, (e) => e.call("container.status", { ctid }))).state).toBe("running");
  await expect
    .poll(async () => (await counter(socket2)).length, { timeout: 20_000 })
    .toBeGreaterThan(before.length + 5);
  const after = await counter(socket2);
  expect(after.slice(0, before.length)).toEqual(before);
  after.forEach((n, i) => expect(n).toBe(i + 1));
  // the first node holds nothing of it
  expect(
    (await onEngine(readState().engine.socket, (e) => e.call("container.list", {}))).map((c) => c.ctid),
  ).not.toContain(ctid);
});

test("the admin destroys the migrated container, deletes the pool and removes the node", async ({ browser }) => {
  const page = await newPage(browser);
  await login(page, ADMIN.email, ADMIN.password);
  await destroyContainer(page, containerUrl, hostname);
  expect(
    (await onEngine(node2!.engine.env.OVZ_SOCKET!, (e) => e.call("container.list", {}))).map((c) => c.ctid),
  ).not.toContain(ctid);
  await deletePool(page, poolName);
  await removeNode(page, node2!);
});
