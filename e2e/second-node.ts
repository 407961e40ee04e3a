/**
 * A second node for e2e stories (nodes.e2e.ts; later the migration story): a real engine in a network
 * namespace of its own, linked to the panel's (the host's) namespace by a veth pair on a free /30 of
 * 198.18.251.0/24, with the busybox template. `joinNode` joins it the way an admin does: a join token
 * created in the browser, the command the Nodes page shows run as root (`ovz-node join`, with
 * --state-dir pointing at this engine), the engine restarted with OVZ_LISTEN; it returns once the Nodes
 * page shows the node reachable over TLS. `removeNode` removes it in the browser; `cleanup` stops the
 * engine and removes its namespace, link, pool and state.
 *
 *   const node = await startSecondNode();
 *   await joinNode(page, node);          // node.endpoint === "tls://198.18.251.x:7443"
 *   …                                    // node.engine.client: root's own Unix-socket client for checks
 *   await removeNode(page, node);        // (the node must have no containers, backups or IP pools)
 *   await node.cleanup();
 */
import { execFile } from "node:child_process";
import { expect, type Page } from "@playwright/test";
import { REPO, startTestEngine, type TestEngine } from "../native/test/helpers/engine.js";
import { goto, uniq } from "./helpers.js";

export interface SecondNode {
  /** the node's name in the panel */
  name: string;
  /** the real engine (own netns, state dir); `engine.client` talks to it over its Unix socket */
  engine: TestEngine;
  /** HOST:PORT its engine listens on once joined (OVZ_LISTEN) */
  listen: string;
  /** the panel's endpoint for it */
  endpoint: string;
  /** Stops the engine; removes its containers, namespace, veth link, pool and state dir. */
  cleanup(): Promise<void>;
}

export async function startSecondNode(
  opts: { name?: string; port?: number; template?: boolean } = {},
): Promise<SecondNode> {
  const engine = await startTestEngine({ link: { subnet: 251 }, env: { OVZ_SOCKET_GROUP: "" } });
  try {
    if (opts.template !== false) await engine.client.call("template.build", { kind: "busybox" });
  } catch (e) {
    await engine.cleanup();
    throw e;
  }
  const listen = `${engine.link!.nodeIp}:${opts.port ?? 7443}`;
  return {
    name: opts.name ?? uniq("node"),
    engine,
    listen,
    endpoint: `tls://${listen}`,
    cleanup: () => engine.cleanup(),
  };
}

export interface JoinResult {
  /** the command the Nodes page showed (its token is now used) */
  command: string;
  /** what ovz-node join printed */
  output: string;
}

/** Runs a command the Nodes page shows (`ovz-node join …`) as root against `node`'s state dir. */
export function runJoinCommand(
  command: string,
  stateDir: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const [assignment, tool, ...args] = command.trim().split(/\s+/);
  const token = /^OVZ_JOIN_TOKEN=(\S+)$/.exec(assignment ?? "")?.[1];
  if (!token || tool !== "ovz-node") throw new Error(`not an OVZ_JOIN_TOKEN=… ovz-node command: ${command}`);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "native/src/tools/node-join.ts", ...args, "--state-dir", stateDir],
      { cwd: REPO, timeout: 120_000, env: { ...process.env, OVZ_JOIN_TOKEN: token } },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/**
 * As a logged-in admin on `page`: creates a join token for `node` on the Nodes page, runs the command it
 * shows, starts the engine with OVZ_LISTEN and waits until the page shows the node reachable over TLS.
 */
export async function joinNode(page: Page, node: SecondNode): Promise<JoinResult> {
  await goto(page, "/nodes");
  const form = page.getByRole("form", { name: "Join a remote node" });
  await form.getByLabel("New node name").fill(node.name);
  await form.getByLabel("Node address (HOST:PORT)").fill(node.listen);
  await expect(form.getByLabel("Panel URL (as the node reaches it)")).toHaveValue(new URL(page.url()).origin);
  await form.getByRole("button", { name: "Create join token" }).click();
  await expect(page.getByTestId("join-command").or(form.getByRole("alert"))).toBeVisible();
  if (await form.getByRole("alert").isVisible())
    throw new Error(`the panel refused the join token: ${await form.getByRole("alert").innerText()}`);
  const command = (await page.getByTestId("join-command").innerText()).trim();
  const r = await runJoinCommand(command, node.engine.stateDir);
  if (r.code !== 0) throw new Error(`ovz-node join failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  await node.engine.serveTls(Number(node.listen.split(":").pop()));
  await goto(page, "/nodes");
  await expect(page.getByTestId(`node-kind-${node.name}`)).toHaveText("TLS");
  await expect(page.getByTestId(`node-status-${node.name}`)).toHaveText(/^reachable/, { timeout: 30_000 });
  return { command, output: r.stdout };
}

/** As a logged-in admin: removes the node on the Nodes page (refused while it has containers, backups or pools). */
export async function removeNode(page: Page, node: SecondNode): Promise<void> {
  await goto(page, "/nodes");
  const row = page.getByTestId(`node-${node.name}`);
  await row.getByRole("button", { name: `Remove node ${node.name}` }).click();
  await row.getByRole("button", { name: "Confirm remove" }).click();
  await expect(page.getByTestId(`node-${node.name}`)).toHaveCount(0);
}
