/**
 * Networking end to end, in Chromium against the real engine (its netns is the "host"):
 * the admin makes a plan with a bandwidth limit and an IP pool, creates a customer's container → it gets
 * the pool's first address and is shaped on the host (tc read back) → the admin adds an address live and
 * removes it (checked inside the container) → the customer turns on its firewall with one allowed source
 * (a ping from that source passes, from another one it is dropped, on the host side) → traffic generated
 * from the host shows up in the container's Traffic card and on the admin's Traffic page → the admin
 * destroys the container and deletes the pool.
 */
import { expect, test, type Browser, type Page } from "@playwright/test";
import { EngineClient } from "../native/src/protocol/client.js";
import { run } from "../native/src/exec.js";
import {
  createContainer,
  createCustomer,
  createPlan,
  createPool,
  deletePool,
  destroyContainer,
  login,
  openTab,
  shot,
  tabUrl,
  uniq,
  waitForOperation,
} from "./helpers.js";
import { ADMIN, readState } from "./stack.js";

test.describe.configure({ mode: "serial" });

const customer = {
  name: uniq("NetCustomer"),
  email: `${uniq("netcust")}@e2e.test`,
  password: "net-customer-password-1",
};
const planName = uniq("netplan");
const poolName = uniq("netpool");
const POOL = { cidr: "198.18.201.0/24", first: "198.18.201.10", second: "198.18.201.11", last: "198.18.201.19" };
const ALLOWED = "198.18.0.1";
const OTHER = "198.18.0.2";
const hostname = `${uniq("net")}.e2e.test`;
let containerUrl = "";
let ctid = 0;

async function newPage(browser: Browser): Promise<Page> {
  return (await browser.newContext()).newPage();
}
/** A command in the engine's network namespace: the node's host side. */
const onHost = (cmd: string, args: string[]) =>
  run("nsenter", [`--net=/run/netns/${readState().engine.netns}`, "--", cmd, ...args], { allowFailure: true });
const hostPing = async (from: string, count = 1) =>
  (await onHost("busybox", ["ping", "-c", String(count), "-W", "2", "-I", from, POOL.first])).code === 0;

test("the admin makes a shaped plan, a pool and a customer's container; it gets its address and its rate", async ({
  browser,
}) => {
  const page = await newPage(browser);
  await login(page, ADMIN.email, ADMIN.password);
  await createPlan(page, planName, { bandwidthMbps: 8 });

  await createPool(page, poolName, POOL, 10);

  await createCustomer(page, { ...customer, userName: "Net Customer" });

  ({ url: containerUrl, ctid } = await createContainer(page, { customer: customer.name, plan: planName, hostname }));
  await page.getByRole("button", { name: "Start", exact: true }).click();
  await waitForOperation(page, "start");
  await openTab(page, "Network");
  await expect(page.getByTestId("network").getByRole("cell", { name: POOL.first, exact: true })).toBeVisible();

  const engine = new EngineClient(readState().engine.socket);
  try {
    const net = await engine.call("container.net.get", { ctid });
    expect(net.config.venet).toEqual([POOL.first]);
    expect(net.config.rate).toEqual({ inKbit: 8000, outKbit: 8000 });
  } finally {
    engine.close();
  }
  // the limit is on the host side of the container's device, where the container cannot change it
  const q = JSON.parse((await onHost("tc", ["-j", "qdisc", "show", "dev", `vn${ctid}`])).stdout) as Array<{
    kind: string;
    options?: { rate?: number };
  }>;
  expect(q.find((x) => x.kind === "tbf")?.options?.rate).toBe(1_000_000); // bytes/s = 8 Mbit/s
  await shot(page, "admin-container-network");
});

test("the admin adds an address live and removes it; the container sees both changes", async ({ browser }) => {
  const page = await newPage(browser);
  await login(page, ADMIN.email, ADMIN.password);
  await page.goto(tabUrl(containerUrl, "Network"));
  const card = page.getByTestId("network");
  await card.getByRole("button", { name: "Add address" }).click();
  await expect(card.getByText(`${POOL.second} added and configured in the running container.`)).toBeVisible();
  const engine = new EngineClient(readState().engine.socket);
  const inside = async () =>
    (await engine.call("container.exec", { ctid, argv: ["ip", "-4", "-o", "addr", "show", "dev", "venet0"] })).stdout;
  try {
    expect(await inside()).toContain(`${POOL.second}/32`);
    await card.getByRole("button", { name: `Remove ${POOL.second}` }).click();
    await card.getByRole("button", { name: "Confirm remove" }).click();
    await expect(card.getByRole("cell", { name: POOL.second, exact: true })).toHaveCount(0);
    expect(await inside()).not.toContain(POOL.second);
    expect((await engine.call("container.status", { ctid })).ips).toEqual([POOL.first]);
  } finally {
    engine.close();
  }
});

test("the customer's firewall lets one source in and drops the rest, on the host side", async ({ browser }) => {
  for (const a of [ALLOWED, OTHER]) await onHost("ip", ["addr", "add", `${a}/32`, "dev", "lo"]);
  expect(await hostPing(OTHER)).toBe(true); // open before the firewall
  const page = await newPage(browser);
  await login(page, customer.email, customer.password);
  await page.goto(tabUrl(containerUrl, "Firewall"));
  const fw = page.getByTestId("firewall");
  await fw.getByLabel("Firewall enabled").check();
  await fw.getByLabel("Incoming traffic no rule matches").selectOption("drop");
  await fw.getByRole("button", { name: "Add rule" }).click();
  const rule = fw.getByTestId("fw-rule-0");
  await rule.getByLabel("Direction").selectOption("in");
  await rule.getByLabel("Action").selectOption("accept");
  await rule.getByLabel("Protocol").selectOption("icmp");
  await rule.getByLabel("From (CIDR)").fill(`${ALLOWED}/32`);
  await fw.getByRole("button", { name: "Save firewall" }).click();
  await expect(fw.getByText("Firewall saved and applied to the running container.")).toBeVisible();
  expect(await hostPing(ALLOWED)).toBe(true);
  expect(await hostPing(OTHER)).toBe(false);
  await shot(page, "customer-firewall");

  // a bad rule is refused with a field error, nothing changes
  await fw.getByRole("button", { name: "Add rule" }).click();
  await fw.getByTestId("fw-rule-1").getByLabel("From (CIDR)").fill("not-an-address");
  await fw.getByRole("button", { name: "Save firewall" }).click();
  await expect(fw.getByTestId("fw-rule-1").getByRole("textbox", { name: "From (CIDR)" })).toHaveAttribute(
    "aria-invalid",
    "true",
  );
  expect(await hostPing(ALLOWED)).toBe(true);
});

test("traffic from the host shows in the container's Traffic card and on the Traffic page", async ({ browser }) => {
  // ~1.2 MB each way: 1000 pings of 1200 bytes, allowed by the firewall (some may be lost to the plan's
  // shaping: what counts is what the node counted, read back below)
  expect(
    (await onHost("busybox", ["ping", "-q", "-c", "1000", "-i", "0.002", "-s", "1200", "-I", ALLOWED, POOL.first]))
      .code,
  ).toBe(0);
  const engine = new EngineClient(readState().engine.socket);
  const [stats] = await engine.call("container.net.stats", { ctids: [ctid] }).finally(() => engine.close());
  const counted = stats!.ifaces.reduce((sum, i) => sum + i.rxBytes + i.txBytes, 0);
  // the pings did reach the container and back: at least half of them, both directions
  expect(counted).toBeGreaterThan(1_200_000);
  const page = await newPage(browser);
  await login(page, customer.email, customer.password);
  await page.goto(tabUrl(containerUrl, "Network"));
  // the panel samples every 2 s in this stack (OVZ_TRAFFIC_INTERVAL_SEC) and the card refreshes itself:
  // the month's total reaches what the node counted (the container never restarted, so not less)
  const shownBytes = async () => {
    const m = /^([\d.]+) (B|kB|MB|GB)$/.exec((await page.getByTestId("traffic-month-total").innerText()).trim());
    return m ? Number(m[1]) * { B: 1, kB: 1e3, MB: 1e6, GB: 1e9 }[m[2] as "B"] : -1;
  };
  // the card rounds to 0.1 of its unit
  await expect.poll(shownBytes, { timeout: 30_000 }).toBeGreaterThanOrEqual(counted - 50_000);
  await shot(page, "customer-traffic");

  const admin = await newPage(browser);
  await login(admin, ADMIN.email, ADMIN.password);
  await admin.goto("/traffic");
  await expect(admin.getByTestId(`traffic-${customer.name}`)).toContainText(/MB/);
  await shot(admin, "admin-traffic");
});

test("the admin destroys the container and deletes the pool; the node keeps nothing of it", async ({ browser }) => {
  const page = await newPage(browser);
  await login(page, ADMIN.email, ADMIN.password);
  await destroyContainer(page, containerUrl, hostname);
  expect((await onHost("ip", ["link", "show", `vn${ctid}`])).code).not.toBe(0);
  expect((await onHost("nft", ["list", "ruleset"])).stdout).not.toContain(POOL.first);
  await deletePool(page, poolName);
  for (const a of [ALLOWED, OTHER]) await onHost("ip", ["addr", "del", `${a}/32`, "dev", "lo"]);
});
