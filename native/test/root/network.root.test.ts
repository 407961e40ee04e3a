/**
 * Container networking through the real engine, inside a network namespace this test creates (the
 * "host" is that netns; addresses from 198.18.0.0/15; nothing can reach eth0): venet routing, bridged
 * L2, physical passthrough, anti-spoofing, the firewall, shaping, counters, live address changes, DHCP,
 * and a destroy that leaves nothing behind.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { run } from "../../src/exec.js";
import { describeRoot } from "../helpers/root.js";
import { leftovers, REPO, startTestEngine, type TestEngine } from "../helpers/engine.js";

let te: TestEngine;
const HOST4 = "198.18.0.1";
const HOST6 = "fd00::1";
const A = 201; // venet 198.18.1.2 + fd00:1::2
const B = 202; // venet 198.18.1.3
const C = 203; // veth on "lan" 198.18.2.11
const D = 204; // veth on "lan" 198.18.2.12
const E = 205; // phys
const F = 206; // veth on "dhcpnet" (DHCP)

const sh = (ctid: number, script: string) =>
  te.client.call("container.exec", { ctid, argv: ["/bin/sh", "-c", script] });
const ping = async (ctid: number, ip: string, from?: string) => {
  const r = await sh(ctid, `ping -c 1 -W 5 ${from ? `-I ${from} ` : ""}${ip}`);
  return r.code === 0;
};
/** Bridged (veth) ports and servers started in the background take a moment: retry for a few seconds. */
const eventually = async (fn: () => Promise<boolean>, ms = 6000) => {
  const end = Date.now() + ms;
  for (;;) {
    if (await fn()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 250));
  }
};
/** What both sides hold when an IPv6 ping failed: addresses, neighbours, proxy entries, routes, links. */
const explainV6 = async (ctid: number) => {
  const inside = await sh(
    ctid,
    "ip -6 addr; ip -6 route; ip -6 neigh; ip -br link; ping -c 1 -W 5 fd00::1 && echo SECOND-PING-OK",
  );
  const host = await te.inNetns("sh", [
    "-c",
    `ip -br link; ip -6 addr show dev vn${ctid}; ip -6 neigh; ip -6 neigh show proxy; ip -6 route; sysctl net.ipv6.conf.vn${ctid}`,
  ]);
  return `inside:\n${inside.stdout}${inside.stderr}\nhost:\n${host.stdout}${host.stderr}`;
};
const hostPing = async (ip: string, from?: string) =>
  (await te.inNetns("busybox", ["ping", "-c", "1", "-W", "5", ...(from ? ["-I", from] : []), ip])).code === 0;
const initPid = async (ctid: number) => (await te.client.call("container.status", { ctid })).initPid!;
const stats = async (ctid: number) => (await te.client.call("container.net.stats", { ctids: [ctid] }))[0]!;

/** Run the TCP meter: server in one netns, sender in another; returns measured bytes/s at the server. */
async function meter(
  serveNs: string[],
  sendNs: string[],
  addr: string,
  port: number,
  bytes: number,
): Promise<{ bytes: number; bps: number }> {
  const script = path.join(REPO, "native/test/helpers/tcp-meter.mjs");
  const srv = spawn("nsenter", [...serveNs, "--", process.execPath, script, "serve", addr, String(port)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  const done = new Promise<string>((resolve) => {
    srv.stdout.on("data", (d) => (out += d));
    srv.on("exit", () => resolve(out));
  });
  await new Promise<void>((resolve) => srv.stdout.once("data", () => resolve()));
  const snd = await run(
    "nsenter",
    [...sendNs, "--", process.execPath, script, "send", addr, String(port), String(bytes)],
    { timeoutMs: 120_000 },
  );
  expect(snd.code).toBe(0);
  const res = JSON.parse((await done).trim().split("\n").pop()!) as { bytes: number; seconds: number };
  return { bytes: res.bytes, bps: (res.bytes * 8) / res.seconds };
}
const hostNs = () => [`--net=/run/netns/${te.netns}`];
const ctNs = async (ctid: number) => ["-t", String(await initPid(ctid)), "-n"];

describeRoot("container networking (real LXC, nftables, tc, in a test netns)", () => {
  beforeAll(async () => {
    te = await startTestEngine();
    await te.client.call("template.build", { kind: "busybox" });
    // the "host" addresses containers should reach through the host router
    await te.inNetns("ip", ["addr", "add", `${HOST4}/32`, "dev", "lo"]);
    await te.inNetns("ip", ["-6", "addr", "add", `${HOST6}/128`, "dev", "lo"]);
  }, 120_000);
  afterAll(async () => {
    await te?.cleanup();
  });

  it("venet: containers get exactly their addresses and reach each other and the host through the host router", async () => {
    await te.client.call("container.create", {
      ctid: A,
      template: "busybox",
      net: { venet: ["198.18.1.2", "fd00:1::2"] },
    });
    await te.client.call("container.create", { ctid: B, template: "busybox", net: { venet: ["198.18.1.3"] } });
    await te.client.call("container.start", { ctid: A });
    await te.client.call("container.start", { ctid: B });
    // usable at once, as OpenVZ's venet: no address waits for duplicate address detection, inside or on
    // the host side (the link-locals neighbour discovery with the fe80::1 gateway uses included)
    const addrs = (await sh(A, "ip -o addr show dev venet0")).stdout;
    expect(addrs).toMatch(/inet 198\.18\.1\.2\/32/);
    expect(addrs).toMatch(/inet6 fd00:1::2\/128/);
    expect(addrs).not.toMatch(/tentative/);
    expect((await sh(A, "ip -6 addr show tentative")).stdout.trim()).toBe("");
    expect((await te.inNetns("ip", ["-6", "addr", "show", "dev", "vn201", "tentative"])).stdout.trim()).toBe("");
    expect((await sh(A, "ip route")).stdout).toMatch(/default via 169\.254\.0\.1 dev venet0/);
    // each first try (ping waits up to 5 s for its one reply: neighbour resolution on a loaded host)
    const v6 = await ping(A, HOST6);
    expect(v6, v6 ? "" : await explainV6(A)).toBe(true);
    expect(await ping(A, "198.18.1.3")).toBe(true);
    expect(await ping(B, "198.18.1.2")).toBe(true);
    expect(await ping(A, HOST4)).toBe(true);
    expect(await hostPing("198.18.1.2")).toBe(true);
    expect(await hostPing("fd00:1::2")).toBe(true);
    // routed, not bridged: the host has a route per address via the container's device
    expect((await te.inNetns("ip", ["route", "show", "198.18.1.2"])).stdout).toMatch(/dev vn201/);
    const info = await te.client.call("container.status", { ctid: A });
    expect(info.ips).toEqual(["198.18.1.2", "fd00:1::2"]);
  });

  it("refuses an address already used by another container, changing nothing", async () => {
    const e = await te.client
      .call("container.create", { ctid: 299, template: "busybox", net: { venet: ["198.18.1.3"] } })
      .catch((x) => x);
    expect(e.code).toBe("BAD_REQUEST");
    expect(e.message).toMatch(/already used by container 202/);
    expect(await leftovers(te, 299)).toEqual([]);
    const bad = await te.client
      .call("container.create", { ctid: 299, template: "busybox", net: { venet: ["198.18.1.300"] } } as never)
      .catch((x) => x);
    expect(bad.code).toBe("BAD_REQUEST");
    expect(await leftovers(te, 299)).toEqual([]);
  });

  it("venet anti-spoofing: a source address the container was not given is dropped and counted", async () => {
    const before = await stats(A);
    expect(await sh(A, "ip addr add 198.18.1.99/32 dev venet0").then((r) => r.code)).toBe(0); // root inside may try
    expect(await ping(A, HOST4, "198.18.1.99")).toBe(false);
    expect(await ping(A, HOST4, "198.18.1.2")).toBe(true);
    const after = await stats(A);
    expect(after.spoofDropped.packets).toBeGreaterThan(before.spoofDropped.packets);
    await sh(A, "ip addr del 198.18.1.99/32 dev venet0");
  });

  it("adds and removes an address live on a running container", async () => {
    await te.client.call("container.net.set", { ctid: A, net: { venet: ["198.18.1.2", "fd00:1::2", "198.18.1.4"] } });
    expect((await sh(A, "ip -o addr show dev venet0")).stdout).toMatch(/198\.18\.1\.4\/32/);
    expect(await hostPing("198.18.1.4")).toBe(true);
    expect(await ping(A, HOST4, "198.18.1.4")).toBe(true); // the new address passes anti-spoofing
    await te.client.call("container.net.set", { ctid: A, net: { venet: ["198.18.1.2", "fd00:1::2"] } });
    expect((await sh(A, "ip -o addr show dev venet0")).stdout).not.toMatch(/198\.18\.1\.4/);
    expect((await te.inNetns("ip", ["route", "show", "198.18.1.4"])).stdout.trim()).toBe("");
    expect(await hostPing("198.18.1.4")).toBe(false);
    expect((await te.client.call("container.status", { ctid: A })).ips).toEqual(["198.18.1.2", "fd00:1::2"]);
    // B's first IPv6 address, live: usable at once too
    await te.client.call("container.net.set", { ctid: B, net: { venet: ["198.18.1.3", "fd00:1::3"] } });
    expect((await sh(B, "ip -6 addr show tentative")).stdout.trim()).toBe("");
    expect(await ping(B, HOST6)).toBe(true);
    expect(await hostPing("fd00:1::3")).toBe(true);
    await te.client.call("container.net.set", { ctid: B, net: { venet: ["198.18.1.3"] } });
    // a new device needs a stop
    await expect(
      te.client.call("container.net.set", { ctid: B, net: { nics: [{ type: "veth", network: "nosuch" }] } }),
    ).rejects.toMatchObject({
      code: "RUNNING",
    });
  });

  it("veth: two bridged containers reach each other on L2", async () => {
    await te.client.call("network.create", { name: "lan", bridge: "ovzbr0", hostCidr: "198.18.2.1/24" });
    await te.client.call("container.create", {
      ctid: C,
      template: "busybox",
      net: { nics: [{ type: "veth", network: "lan", ips: ["198.18.2.11"] }] },
    });
    await te.client.call("container.create", {
      ctid: D,
      template: "busybox",
      net: { nics: [{ type: "veth", network: "lan", ips: ["198.18.2.12"] }] },
    });
    await te.client.call("container.start", { ctid: C });
    await te.client.call("container.start", { ctid: D });
    expect((await sh(C, "ip -o addr show dev eth0")).stdout).toMatch(/198\.18\.2\.11\/24/);
    expect(await eventually(() => ping(C, "198.18.2.12"))).toBe(true);
    // L2: C learned D's MAC (the engine's deterministic 02:00:<ctid>) directly, not a router's
    expect((await sh(C, "ip neigh show 198.18.2.12")).stdout).toMatch(/lladdr 02:00:00:00:00:cc/);
    expect(await ping(C, "198.18.2.1")).toBe(true); // the host's address on the bridge
    const nets = await te.client.call("network.list", {});
    expect(nets.find((n) => n.name === "lan")).toMatchObject({ bridge: "ovzbr0", exists: true, containers: [C, D] });
    await expect(te.client.call("network.delete", { name: "lan" })).rejects.toMatchObject({ code: "BUSY" });
  });

  it("veth anti-spoofing: a foreign source IP or MAC is dropped and counted", async () => {
    const s0 = await stats(C);
    await sh(C, "ip addr add 198.18.2.99/24 dev eth0");
    expect(await ping(C, "198.18.2.12", "198.18.2.99")).toBe(false);
    await sh(C, "ip addr del 198.18.2.99/24 dev eth0");
    const s1 = await stats(C);
    expect(s1.spoofDropped.packets).toBeGreaterThan(s0.spoofDropped.packets);
    await sh(C, "ip link set dev eth0 address 02:00:00:00:99:99");
    await sh(D, "ip neigh flush all");
    expect(await ping(C, "198.18.2.12")).toBe(false);
    const s2 = await stats(C);
    expect(s2.spoofDropped.packets).toBeGreaterThan(s1.spoofDropped.packets);
    await sh(C, "ip link set dev eth0 address 02:00:00:00:00:cb");
    await sh(D, "ip neigh flush all");
    expect(await eventually(() => ping(C, "198.18.2.12"))).toBe(true);
  });

  it("firewall: blocks and allows as configured, counts drops, and the container cannot remove it", async () => {
    await te.client.call("container.net.set", {
      ctid: B,
      net: {
        firewall: {
          enabled: true,
          policyIn: "drop",
          rules: [
            { direction: "in", action: "accept", proto: "icmp", peer: "198.18.1.2/32" },
            { direction: "in", action: "accept", proto: "tcp", ports: "8080" },
          ],
        },
      },
    });
    await sh(
      B,
      "(nc -ll -p 8080 -e /bin/echo open8080 >/dev/null 2>&1 &); (nc -ll -p 9090 -e /bin/echo open9090 >/dev/null 2>&1 &)",
    );
    const tcp = async (port: number) =>
      (await te.inNetns("busybox", ["nc", "-w", "2", "198.18.1.3", String(port)])).stdout.trim();
    expect(await ping(A, "198.18.1.3")).toBe(true); // allowed source
    expect(await hostPing("198.18.1.3", HOST4)).toBe(false); // other sources: policy drop
    expect(await eventually(async () => (await tcp(8080)) === "open8080")).toBe(true);
    expect(await tcp(9090)).toBe("");
    expect(await ping(B, HOST4)).toBe(true); // outbound still allowed, and its replies pass
    expect((await stats(B)).firewallDropped.packets).toBeGreaterThan(0);
    // flushing every rule inside the container's network namespace (more than its root could do)
    // leaves the firewall in place: it lives in the host's namespace
    expect((await run("nsenter", [...(await ctNs(B)), "--", "nft", "flush", "ruleset"])).code).toBe(0);
    expect(await tcp(9090)).toBe("");
    await te.client.call("container.net.set", { ctid: B, net: { firewall: { enabled: false } } });
    expect(await eventually(async () => (await tcp(9090)) === "open9090")).toBe(true);
  });

  it("shapes a container's traffic to within 10% of its limit, live, in both directions", async () => {
    await te.client.call("container.net.set", { ctid: A, net: { rate: { inKbit: 20_000, outKbit: 10_000 } } });
    const up = await meter(hostNs(), await ctNs(A), HOST4, 5001, 6_000_000);
    expect(up.bps / 10_000_000).toBeGreaterThan(0.9);
    expect(up.bps / 10_000_000).toBeLessThan(1.1);
    const down = await meter(await ctNs(A), hostNs(), "198.18.1.2", 5002, 12_000_000);
    console.log(
      `shaping: upload ${(up.bps / 1e6).toFixed(2)} Mbit/s of 10, download ${(down.bps / 1e6).toFixed(2)} Mbit/s of 20`,
    );
    expect(down.bps / 20_000_000).toBeGreaterThan(0.9);
    expect(down.bps / 20_000_000).toBeLessThan(1.1);
    // unshaped, the same path is far faster than either limit
    await te.client.call("container.net.set", { ctid: A, net: { rate: { inKbit: 0, outKbit: 0 } } });
    const free = await meter(hostNs(), await ctNs(A), HOST4, 5003, 50_000_000);
    expect(free.bps).toBeGreaterThan(100_000_000);
    expect((await te.inNetns("ip", ["link", "show", "ivn201"])).code).not.toBe(0); // IFB removed with the limit
  }, 120_000);

  it("counters grow by the bytes sent and received", async () => {
    const s0 = (await stats(A)).ifaces.find((i) => i.name === "venet0")!;
    const N = 5_000_000;
    const sent = await meter(hostNs(), await ctNs(A), HOST4, 5004, N);
    expect(sent.bytes).toBe(N);
    const s1 = (await stats(A)).ifaces.find((i) => i.name === "venet0")!;
    const tx = s1.txBytes - s0.txBytes;
    expect(tx).toBeGreaterThanOrEqual(N);
    expect(tx).toBeLessThan(N * 1.1); // payload plus TCP/IP headers
    expect(s1.rxBytes - s0.rxBytes).toBeGreaterThan(0); // the ACKs
    expect(s1.rxBytes - s0.rxBytes).toBeLessThan(N * 0.1);
    // a restart recreates the devices: counters start again, under a new boot id the panel can see
    const boot = (await stats(A)).boot;
    expect(boot).toMatch(/^\d+-\d+$/);
    await te.client.call("container.restart", { ctid: A });
    const after = await stats(A);
    expect(after.boot).toMatch(/^\d+-\d+$/);
    expect(after.boot).not.toBe(boot);
    expect(after.ifaces.find((i) => i.name === "venet0")!.txBytes).toBeLessThan(N);
  }, 60_000);

  it("physical passthrough: a host interface moves into the container and back on stop", async () => {
    await te.inNetns("ip", ["link", "add", "phx0", "type", "veth", "peer", "name", "phx1"]);
    await te.client.call("container.create", {
      ctid: E,
      template: "busybox",
      net: { nics: [{ type: "phys", hostDev: "phx0", name: "eth9" }] },
    });
    await te.client.call("container.start", { ctid: E });
    expect((await sh(E, "ip -o link show eth9")).code).toBe(0);
    expect((await te.inNetns("ip", ["link", "show", "phx0"])).code).not.toBe(0);
    await te.client.call("container.stop", { ctid: E });
    expect((await te.inNetns("ip", ["link", "show", "phx0"])).code).toBe(0);
    await expect(
      te.client.call("container.create", {
        ctid: 298,
        template: "busybox",
        net: { nics: [{ type: "phys", hostDev: "nosuch0" }] },
      }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("DHCP: the container gets exactly its assigned address from the network's dnsmasq", async () => {
    await te.client.call("network.create", {
      name: "dhcpnet",
      bridge: "ovzbr1",
      hostCidr: "198.18.3.1/24",
      dhcp: true,
    });
    await te.client.call("container.create", {
      ctid: F,
      template: "busybox",
      net: { nics: [{ type: "veth", network: "dhcpnet", ips: ["198.18.3.20"] }] },
    });
    await te.client.call("container.start", { ctid: F });
    const r = await sh(F, "udhcpc -i eth0 -n -q -t 5 -T 1 -s /bin/true 2>&1");
    expect(r.stdout).toMatch(/lease of 198\.18\.3\.20 obtained/);
    expect((await te.client.call("network.list", {})).find((n) => n.name === "dhcpnet")?.dhcpRunning).toBe(true);
  }, 60_000);

  it("destroy leaves no veth, route, nft rule, tc qdisc or shaping device behind", async () => {
    await te.client.call("container.net.set", { ctid: A, net: { rate: { inKbit: 5000, outKbit: 5000 } } });
    expect((await te.inNetns("ip", ["link", "show", "ivn201"])).code).toBe(0);
    for (const ctid of [A, B, C, D, E, F]) await te.client.call("container.destroy", { ctid, force: true });
    const links = (await te.inNetns("ip", ["-o", "link", "show"])).stdout;
    expect(links).not.toMatch(/\b(i?vn20\d|i?ve20\di\d)\b/);
    expect(links).toMatch(/phx0/); // the passed-through device is the host's again
    expect((await te.inNetns("ip", ["route", "show"])).stdout).not.toMatch(/198\.18\.1\./);
    expect((await te.inNetns("ip", ["-6", "route", "show"])).stdout).not.toMatch(/fd00:1::/);
    const rules = (await te.inNetns("nft", ["list", "ruleset"])).stdout;
    expect(rules).toMatch(/table inet ovz/);
    expect(rules).not.toMatch(/20[1-6]|198\.18\.[123]\./);
    expect((await te.inNetns("tc", ["qdisc", "show"])).stdout).not.toMatch(/tbf|ingress/);
    for (const ctid of [A, B, C, D, E, F]) expect(await leftovers(te, ctid)).toEqual([]);
    await te.client.call("network.delete", { name: "lan" });
    await te.client.call("network.delete", { name: "dhcpnet" });
    expect((await te.inNetns("ip", ["link", "show", "ovzbr1"])).code).not.toBe(0);
    expect((await te.client.call("network.list", {})).length).toBe(0);
  }, 60_000);
});
