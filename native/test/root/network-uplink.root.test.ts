/**
 * OpenVZ's venet on a LAN: container addresses from the LAN's subnet, the host answers ARP for them on
 * its uplink (proxy ARP) and routes. The "LAN" is a second network namespace made by this test, joined
 * to the engine's namespace by a veth pair; a third namespace sits behind an interface that is NOT an
 * uplink, and container traffic must never be routed there. Also: an engine crash and restart keeps
 * the proxy entries and the traffic flowing; stopping the container removes them.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { run } from "../../src/exec.js";
import { describeRoot } from "../helpers/root.js";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";

let te: TestEngine;
let lan = "";
let other = "";
const CT = 301;
const CT_IP = "198.18.4.50";

const inNs = (ns: string, cmd: string, args: string[]) =>
  run("ip", ["netns", "exec", ns, cmd, ...args], { allowFailure: true });
const pingFrom = async (ns: string, ip: string) =>
  (await inNs(ns, "busybox", ["ping", "-c", "1", "-W", "2", ip])).code === 0;
const eventually = async (fn: () => Promise<boolean>, ms = 6000) => {
  const end = Date.now() + ms;
  for (;;) {
    if (await fn()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 250));
  }
};
const proxies = async () => (await te.inNetns("ip", ["neigh", "show", "proxy", "dev", "upl0"])).stdout;

describeRoot("venet on a LAN through an uplink: proxy ARP, routing guard, crash recovery", () => {
  beforeAll(async () => {
    te = await startTestEngine({ env: { OVZ_NET_UPLINKS: "upl0" } });
    lan = `${te.netns}-lan`;
    other = `${te.netns}-oth`;
    await te.client.call("template.build", { kind: "busybox" });
    for (const [ns, hostIf, peer, hostAddr, peerAddr] of [
      [lan, "upl0", "lan0", "198.18.4.1/24", "198.18.4.10/24"],
      [other, "nup0", "oth0", "198.18.5.1/24", "198.18.5.10/24"],
    ] as const) {
      await run("ip", ["netns", "add", ns]);
      await te.inNetns("ip", ["link", "add", hostIf, "type", "veth", "peer", "name", peer]);
      await te.inNetns("ip", ["link", "set", peer, "netns", ns]);
      await te.inNetns("ip", ["addr", "add", hostAddr, "dev", hostIf]);
      await te.inNetns("ip", ["link", "set", hostIf, "up"]);
      await inNs(ns, "ip", ["addr", "add", peerAddr, "dev", peer]);
      await inNs(ns, "ip", ["link", "set", peer, "up"]);
      await inNs(ns, "ip", ["link", "set", "lo", "up"]);
    }
    // the "other" network has a route back to the containers: only the engine's guard stops traffic
    await inNs(other, "ip", ["route", "add", "198.18.4.0/24", "via", "198.18.5.1"]);
  }, 120_000);
  afterAll(async () => {
    await te?.cleanup();
    for (const ns of [lan, other]) if (ns) await run("ip", ["netns", "del", ns], { allowFailure: true });
  });

  it("a LAN host reaches a venet container by its LAN address (proxy ARP on the uplink) and back", async () => {
    await te.client.call("container.create", { ctid: CT, template: "busybox", net: { venet: [CT_IP] } });
    await te.client.call("container.start", { ctid: CT });
    expect(await proxies()).toContain(CT_IP);
    expect(await eventually(() => pingFrom(lan, CT_IP))).toBe(true);
    // the LAN host learned the host's uplink MAC for the container's address
    const upMac = JSON.parse((await te.inNetns("ip", ["-j", "link", "show", "upl0"])).stdout)[0].address;
    expect((await inNs(lan, "ip", ["neigh", "show", CT_IP])).stdout).toContain(upMac);
  });

  it("never routes container traffic out of an interface that is not an uplink", async () => {
    const r = await te.client.call("container.exec", { ctid: CT, argv: ["ping", "-c", "1", "-W", "2", "198.18.5.10"] });
    expect(r.code).not.toBe(0);
    expect(await pingFrom(other, CT_IP)).toBe(false);
    const fwd = (await te.inNetns("nft", ["list", "chain", "inet", "ovz", "forward"])).stdout;
    expect(Number(/oifname != @uplinks counter packets (\d+)/.exec(fwd)?.[1])).toBeGreaterThan(0);
  });

  it("survives an engine crash: proxy entries and traffic stay, the restarted engine reconciles", async () => {
    await te.kill9();
    await te.inNetns("ip", ["neigh", "add", "proxy", "198.18.4.99", "dev", "upl0"]); // stale: no container has it
    await te.start();
    expect(await proxies()).toContain(CT_IP);
    expect(await proxies()).not.toContain("198.18.4.99");
    expect(await eventually(() => pingFrom(lan, CT_IP))).toBe(true);
  });

  it("live address changes and stop keep the proxy entries exact", async () => {
    await te.client.call("container.net.set", { ctid: CT, net: { venet: [CT_IP, "198.18.4.51"] } });
    expect(await proxies()).toContain("198.18.4.51");
    expect(await eventually(() => pingFrom(lan, "198.18.4.51"))).toBe(true);
    await te.client.call("container.net.set", { ctid: CT, net: { venet: [CT_IP] } });
    expect(await proxies()).not.toContain("198.18.4.51");
    await te.client.call("container.stop", { ctid: CT });
    expect((await proxies()).trim()).toBe("");
    expect(await pingFrom(lan, CT_IP)).toBe(false);
  });
});
