/**
 * A second node joins the panel: the admin creates a one-time join token in the browser, the command
 * the Nodes page shows runs as root for a second real engine (its own network namespace, linked to the
 * panel's by a veth pair on 198.18.251.0/24), the engine starts with OVZ_LISTEN, and the Nodes page shows
 * the node as TLS and reachable, with its engine's facts. The token is gone from the pending list and
 * does not work twice; a token can be revoked. The story removes the node again and stops its engine.
 */
import { expect, test } from "@playwright/test";
import { goto, login, shot, uniq } from "./helpers.js";
import { joinNode, removeNode, runJoinCommand, startSecondNode, type SecondNode } from "./second-node.js";
import { ADMIN } from "./stack.js";

test.describe.configure({ mode: "serial" });

let node: SecondNode | null = null;

test.afterAll(async () => {
  await node?.cleanup();
});

test("the admin joins a second node with a one-time token; the Nodes page shows it reachable over TLS; then removes it", async ({
  page,
}) => {
  node = await startSecondNode();
  await login(page, ADMIN.email, ADMIN.password);
  await goto(page, "/nodes");
  await expect(page.getByTestId("node-kind-local")).toHaveText("local socket");
  await expect(page.getByTestId("node-status-local")).toHaveText(/^reachable/);
  // the node dashboard: the local engine's load, asked now (host.stats)
  const dash = page.getByTestId("node-dashboard");
  await expect(dash.getByTestId("node-containers")).toHaveText(/^\d+ of \d+$/);
  await expect(dash.getByTestId("node-load")).toHaveText(/^\d+\.\d\d \d+\.\d\d \d+\.\d\d$/);
  await expect(dash.getByRole("meter", { name: "Memory used" })).toHaveAttribute("aria-valuenow", /^\d+$/);
  await expect(dash.getByRole("meter", { name: "Pool used" })).toHaveAttribute("aria-valuetext", / of /);

  const { command, output } = await joinNode(page, node);
  expect(command).toMatch(
    new RegExp(
      `^OVZ_JOIN_TOKEN=[A-Za-z0-9_-]{43} ovz-node join --panel http://127\\.0\\.0\\.1:\\d+ --ca-sha256 [0-9a-f]{64} --listen ${node.listen.replace(/\./g, "\\.")}$`,
    ),
  );
  expect(output).toContain(`as node "${node.name}" (${node.endpoint})`);
  const row = page.getByTestId(`node-${node.name}`);
  await expect(row).toContainText(node.endpoint);
  await expect(page.getByTestId(`node-status-${node.name}`)).toHaveText(/^reachable/);
  // the engine's facts, asked over mutual TLS
  await row.getByRole("button", { name: "Info & networks" }).click();
  await expect(page.getByText("Engine version")).toBeVisible();
  await expect(page.getByTestId(`networks-${node.name}`)).toBeVisible();
  await shot(page, "nodes-second-node-joined");

  // used: no longer pending, and refused a second time (another host trying the same command)
  await expect(page.getByTestId(`join-token-${node.name}`)).toHaveCount(0);
  const again = await runJoinCommand(command, `${node.engine.stateDir}/second-try`);
  expect(again.code).toBe(1);
  expect(again.stderr).toMatch(/the panel refused the join \(HTTP 401\): This join token was used already/);

  // a token can be revoked before use
  const spare = uniq("spare");
  const form = page.getByRole("form", { name: "Join a remote node" });
  await form.getByLabel("New node name").fill(spare);
  await form.getByLabel("Node address (HOST:PORT)").fill("198.18.251.254:7443");
  await form.getByRole("button", { name: "Create join token" }).click();
  await expect(page.getByTestId(`join-token-${spare}`)).toContainText("198.18.251.254:7443");
  await page.getByRole("button", { name: `Revoke join token for ${spare}` }).click();
  await expect(page.getByTestId(`join-token-${spare}`)).toHaveCount(0);

  await removeNode(page, node);
  await expect(page.getByTestId("node-status-local")).toHaveText(/^reachable/);
});
