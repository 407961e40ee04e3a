/**
 * Pure parts of the network layer: address handling, the NetConfig schema's errors, LXC keys per device
 * kind, and the nftables ruleset rendered from records (syntax is checked against real nft in the root
 * suite; here: what is and is not in it).
 */
import { describe, expect, it } from "vitest";
import { netLxcKeys } from "../../src/net/lxc.js";
import { dports, renderChange, renderRuleset } from "../../src/net/nft.js";
import { containerPart } from "../../src/net/nft-parts.js";
import {
  canonicalIp,
  defaultMac,
  firewallRuleSchema,
  inCidr4,
  netConfigSchema,
  normalisePorts,
  networkSchema,
  parseCidr,
  type Network,
} from "../../src/net/types.js";

const lan: Network = networkSchema.parse({ name: "lan", bridge: "ovzbr0", hostCidr: "198.18.2.1/24" });
const nets = new Map([["lan", lan]]);

describe("addresses", () => {
  it("canonicalises IPv6 per RFC 5952 and leaves IPv4 as is", () => {
    expect(canonicalIp("FD00:0:0:0:0:0:0:2")).toBe("fd00::2");
    expect(canonicalIp("2001:db8:0:0:1:0:0:1")).toBe("2001:db8::1:0:0:1");
    expect(canonicalIp("1:0:0:2:0:0:0:3")).toBe("1:0:0:2::3");
    expect(canonicalIp("::")).toBe("::");
    expect(canonicalIp("198.18.1.2")).toBe("198.18.1.2");
  });
  it("parses CIDRs and tests IPv4 membership", () => {
    expect(parseCidr("198.18.2.1/24")).toEqual({ addr: "198.18.2.1", prefix: 24, version: 4 });
    expect(parseCidr("198.18.2.1/33")).toBeNull();
    expect(parseCidr("fd00::/129")).toBeNull();
    expect(inCidr4("198.18.2.200", "198.18.2.0/24")).toBe(true);
    expect(inCidr4("198.18.3.1", "198.18.2.0/24")).toBe(false);
  });
  it("generates unicast, locally administered MACs unique per container and NIC", () => {
    expect(defaultMac(101, 0)).toBe("02:00:00:00:00:65");
    expect(defaultMac(2_000_000_000, 3)).toBe("02:03:77:35:94:00");
    expect(defaultMac(101, 1)).not.toBe(defaultMac(101, 0));
  });
});

describe("NetConfig schema", () => {
  it("fills defaults and normalises addresses", () => {
    const n = netConfigSchema.parse({ venet: ["FD00::0:2"] });
    expect(n).toEqual({
      venet: ["fd00::2"],
      nics: [],
      nameservers: [],
      firewall: { enabled: false, policyIn: "accept", policyOut: "accept", rules: [] },
      rate: { inKbit: 0, outKbit: 0 },
    });
  });
  it("refuses bad input with messages that say what is expected", () => {
    const bad = netConfigSchema.safeParse({ venet: ["198.18.1.300"], nics: [{ type: "veth", network: "Bad Name" }] });
    expect(bad.success).toBe(false);
    const msgs = bad.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    expect(msgs).toContain("venet.0: not an IPv4 or IPv6 address (e.g. 198.18.1.2 or fd00::2)");
    expect(msgs.some((m) => m.startsWith("nics.0.network: network names are"))).toBe(true);
    expect(
      firewallRuleSchema.safeParse({ direction: "in", action: "accept", proto: "icmp", ports: "22" }).success,
    ).toBe(false);
    expect(
      firewallRuleSchema.safeParse({ direction: "in", action: "accept", proto: "tcp", ports: "90-80" }).success,
    ).toBe(false);
    expect(
      firewallRuleSchema.safeParse({ direction: "in", action: "accept", proto: "tcp", ports: "70000" }).success,
    ).toBe(false);
    expect(firewallRuleSchema.safeParse({ direction: "in", action: "drop", comment: 'x" accept' }).success).toBe(false);
    for (const ports of ["22,,80", "ssh", "22;80", "0", "1-70000"])
      expect(
        firewallRuleSchema.safeParse({ direction: "in", action: "accept", proto: "tcp", ports }).success,
        ports,
      ).toBe(false);
    expect(
      netConfigSchema.safeParse({ nics: [{ type: "veth", network: "lan", mac: "01:00:00:00:00:01" }] }).success,
    ).toBe(false); // multicast
  });
});

describe("LXC keys", () => {
  it("venet: router-mode veth with /32 and /128 addresses and the host-side gateways", () => {
    const keys = netLxcKeys(101, netConfigSchema.parse({ venet: ["198.18.1.2", "fd00:1::2"] }), nets);
    expect(keys).toEqual([
      ["lxc.net.0.type", "veth"],
      ["lxc.net.0.veth.mode", "router"],
      ["lxc.net.0.veth.pair", "vn101"],
      ["lxc.net.0.name", "venet0"],
      ["lxc.net.0.flags", "up"],
      ["lxc.net.0.ipv4.address", "198.18.1.2/32"],
      ["lxc.net.0.ipv4.gateway", "169.254.0.1"],
      ["lxc.net.0.ipv6.address", "fd00:1::2/128"],
      ["lxc.net.0.ipv6.gateway", "fe80::1"],
    ]);
  });
  it("veth and phys follow venet in index order; veth takes the network's prefix and gateway", () => {
    const net = netConfigSchema.parse({
      venet: ["198.18.1.2"],
      nics: [
        { type: "veth", network: "lan", ips: ["198.18.2.11"] },
        { type: "phys", hostDev: "eth7", name: "wan0" },
      ],
    });
    const keys = Object.fromEntries(netLxcKeys(101, net, nets).filter(([k]) => !k.startsWith("lxc.net.0.")));
    expect(keys).toEqual({
      "lxc.net.1.type": "veth",
      "lxc.net.1.veth.pair": "ve101i0",
      "lxc.net.1.name": "eth0",
      "lxc.net.1.hwaddr": "02:00:00:00:00:65",
      "lxc.net.1.flags": "up",
      "lxc.net.1.ipv4.address": "198.18.2.11/24",
      "lxc.net.1.ipv4.gateway": "198.18.2.1",
      "lxc.net.2.type": "phys",
      "lxc.net.2.link": "eth7",
      "lxc.net.2.name": "wan0",
      "lxc.net.2.flags": "up",
    });
  });
  it("a DHCP network gets no static address (dnsmasq hands it out)", () => {
    const dhcp = new Map([["lan", { ...lan, dhcp: true }]]);
    const keys = netLxcKeys(
      101,
      netConfigSchema.parse({ nics: [{ type: "veth", network: "lan", ips: ["198.18.2.11"] }] }),
      dhcp,
    );
    expect(keys.some(([k]) => k.includes("address"))).toBe(false);
  });
});

describe("firewall ports (issue 17)", () => {
  const ports = (p: string) =>
    firewallRuleSchema.parse({ direction: "in", action: "accept", proto: "tcp", ports: p }).ports;
  it("accepts comma lists and ranges, normalised", () => {
    expect(ports("22,80,443")).toBe("22,80,443");
    expect(ports(" 443, 80 ,22 ")).toBe("22,80,443");
    expect(ports("1000-2000")).toBe("1000-2000");
    expect(ports("1000 - 2000, 1500, 2001, 22")).toBe("22,1000-2001");
    expect(ports("80,80")).toBe("80");
  });
  it("says what is wrong in words", () => {
    expect(() => normalisePorts("http")).toThrow(/"http" is not a port; use ports like 22, lists like 22,80,443/);
    expect(() => normalisePorts("90-80")).toThrow(/goes from high to low; write it as 80-90/);
    expect(() => normalisePorts("70000")).toThrow(/ports are 1-65535/);
  });
  it("renders a list as an nft set", () => {
    expect(dports("22,80,1000-2000")).toBe("{ 22, 80, 1000-2000 }");
    expect(dports("22")).toBe("22");
    expect(dports(undefined)).toBe("1-65535");
  });
});

describe("nftables ruleset", () => {
  const zero = { inet: new Map(), bridge: new Map() };
  const a = {
    ctid: 101,
    net: netConfigSchema.parse({
      venet: ["198.18.1.2"],
      nics: [{ type: "veth", network: "lan", ips: ["198.18.2.11"] }],
      firewall: {
        enabled: true,
        policyIn: "drop",
        rules: [
          { direction: "in", action: "accept", proto: "tcp", ports: "22", peer: "198.18.0.0/16", comment: "ssh" },
          { direction: "out", action: "drop", proto: "udp", ports: "25-26" },
        ],
      },
    }),
  };
  const b = { ctid: 102, net: netConfigSchema.parse({ venet: ["198.18.1.3"] }) };

  it("replaces both tables atomically and covers every container's devices and addresses", () => {
    const text = renderRuleset({ containers: [b, a], networks: [lan], uplinks: ["eth1"], counters: zero });
    expect(text.startsWith("table inet ovz\ndelete table inet ovz\ntable bridge ovz\ndelete table bridge ovz\n")).toBe(
      true,
    );
    expect(text).toContain('elements = { "vn101" : jump spoof_ct101, "vn102" : jump spoof_ct102 }');
    expect(text).toContain('set ct_ifaces { type ifname; elements = { "ovzbr0", "ve101i0", "vn101", "vn102" }; }');
    expect(text).toContain('set uplinks { type ifname; elements = { "eth1" }; }');
    expect(text).toContain("ip saddr @ct101_venet4 return");
    expect(text).toContain("elements = { 198.18.1.2 : jump fw_ct101_in, 198.18.2.11 : jump fw_ct101_in }");
    expect(text).toContain('ip saddr 198.18.0.0/16 meta nfproto ipv4 tcp dport 22 return comment "ssh"');
    expect(text).toContain("meta nfproto ipv4 udp dport 25-26 counter name fwdrop_101 drop");
    expect(text).toContain("meta nfproto ipv6 udp dport 25-26 counter name fwdrop_101 drop");
    // policy drop for "in" only; "out" ends without a drop (policy accept)
    const outChain = text.slice(
      text.indexOf("chain fw_ct101_out"),
      text.indexOf("}", text.indexOf("chain fw_ct101_out")),
    );
    expect(outChain).not.toMatch(/\n {4}counter name fwdrop_101 drop\n/);
    expect(text).toContain("ether saddr != 02:00:00:00:00:65 counter name spoof_101 drop");
    expect(text).toContain('elements = { "ve101i0" : jump port_ct101_0 }');
    expect(text).toContain("ether saddr 02:00:00:00:00:65 ip saddr @ct101_0_4 return");
    // container 102 has no firewall and no bridge port
    expect(text).not.toContain("fw_ct102");
    expect(text).not.toContain("port_ct102");
  });

  it("carries counters over and forgets a removed container entirely", () => {
    const counters = { inet: new Map([["spoof_101", { packets: 7, bytes: 420 }]]), bridge: new Map() };
    expect(renderRuleset({ containers: [a], networks: [lan], uplinks: [], counters })).toContain(
      "counter spoof_101 { packets 7 bytes 420 }",
    );
    const without = renderRuleset({ containers: [b], networks: [lan], uplinks: [], counters });
    expect(without).not.toMatch(/101|198\.18\.2\.11/);
  });

  it("without any firewall, no firewall dispatch and no input/output hooks are rendered", () => {
    const text = renderRuleset({ containers: [b], networks: [], uplinks: [], counters: zero });
    expect(text).not.toMatch(/vmap @fw_|hook input|hook output/);
    expect(text).toContain("iifname @ct_ifaces oifname != @ct_ifaces oifname != @uplinks counter drop");
  });

  it("anti-spoofing can be turned off per NIC by an admin", () => {
    const open = {
      ctid: 103,
      net: netConfigSchema.parse({ nics: [{ type: "veth", network: "lan", ips: ["198.18.2.12"], antiSpoof: false }] }),
    };
    expect(renderRuleset({ containers: [open], networks: [lan], uplinks: [], counters: zero })).not.toContain(
      "port_ct103",
    );
  });

  it("a container without a network device has no part: no counter, set, chain or entry", () => {
    const bare = { ctid: 104, net: netConfigSchema.parse({ firewall: { enabled: true } }) };
    expect(containerPart(104, bare.net)).toBeNull();
    expect(renderRuleset({ containers: [bare, b], networks: [], uplinks: [], counters: zero })).not.toMatch(/104/);
  });

  it("one container's change touches only its own objects and its entries, and keeps its counters", () => {
    const before = containerPart(101, a.net);
    const after = containerPart(101, netConfigSchema.parse({ venet: ["198.18.1.9"] }));
    const text = renderChange(before, after, { before: true, after: false });
    expect(text).not.toMatch(/102|table inet ovz\ndelete table/);
    expect(text).toContain("delete element inet ovz fw_in4 { 198.18.2.11 }");
    expect(text).toContain("delete chain inet ovz fw_ct101_in");
    expect(text).toContain('add element inet ovz from_venet { "vn101" : jump spoof_ct101 }');
    expect(text).not.toMatch(/delete counter inet ovz (spoof|fwdrop)_101/); // kept: the new part has them too
    expect(text).toContain("delete counter bridge ovz spoof_101"); // its bridge port is gone
    // the last firewall gone: the hooks stop dispatching by address
    expect(text).toContain("delete chain inet ovz input");
    expect(
      renderChange(after, containerPart(101, netConfigSchema.parse({ venet: ["198.18.1.9"] })), {
        before: false,
        after: false,
      }),
    ).toBe("");
    expect(renderChange(null, null, { before: false, after: false })).toBe("");
  });
});
