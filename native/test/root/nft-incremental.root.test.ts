/**
 * The nftables ruleset changed one container at a time ends exactly where a whole rebuild from the same records
 * would (issue 16): a seeded walk of 80 changes — venet and bridged NICs, IPv4 and IPv6, anti-spoofing on and off,
 * firewalls appearing and going (the hooks' dispatch follows the first and the last), containers without a
 * network, bridges joining and leaving — applied with renderChange to real nftables in one network namespace, and
 * compared, every ten steps, with renderRuleset applied in a second one. A change keeps the container's counters.
 * Only nft runs here (no container, no traffic); both namespaces are removed afterwards.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { run } from "../../src/exec.js";
import { containerPart, type ContainerPart } from "../../src/net/nft-parts.js";
import { renderBridge, renderChange, renderRuleset } from "../../src/net/nft.js";
import { netConfigSchema, networkSchema, type NetConfig, type Network } from "../../src/net/types.js";
import { describeRoot } from "../helpers/root.js";

const tag = Math.random().toString(16).slice(2, 8);
const INC = `ovzt-inc-${tag}`;
const FULL = `ovzt-full-${tag}`;
const zero = { inet: new Map(), bridge: new Map() };
const lan: Network = networkSchema.parse({ name: "lan", bridge: "ovzbr0", hostCidr: "198.18.2.1/24" });
const side: Network = networkSchema.parse({ name: "side", bridge: "ovzbr1" });

const nft = async (ns: string, args: string[], input?: string) => {
  const r = await run("ip", ["netns", "exec", ns, "nft", ...args], { input, allowFailure: true });
  if (r.code !== 0) throw new Error(`nft ${args.join(" ")} in ${ns}: ${r.stderr}\n${input ?? ""}`);
  return r.stdout;
};

/** The ruleset as a sorted list of objects: handles dropped, set elements sorted, rules numbered per chain. */
async function normalised(ns: string): Promise<string[]> {
  const doc = JSON.parse(await nft(ns, ["-j", "list", "ruleset"])) as { nftables: Array<Record<string, unknown>> };
  const perChain = new Map<string, number>();
  const out: string[] = [];
  for (const item of doc.nftables) {
    const [kind, body] = Object.entries(item)[0] as [string, Record<string, unknown>];
    if (kind === "metainfo") continue;
    const o = { ...body };
    delete o.handle;
    if (Array.isArray(o.elem)) o.elem = o.elem.map((e) => JSON.stringify(e)).sort();
    if (kind === "rule") {
      const key = `${String(o.family)} ${String(o.chain)}`;
      o.index = perChain.get(key) ?? 0;
      perChain.set(key, (o.index as number) + 1);
    }
    out.push(`${kind} ${JSON.stringify(o)}`);
  }
  return out.sort();
}

/** A tiny seeded generator (mulberry32: the walk is the same every run). */
function rng(seed: number) {
  let s = seed;
  return (n: number) => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
}

function netFor(ctid: number, kind: number): NetConfig | undefined {
  const i = ctid - 100;
  const fw = {
    enabled: true,
    policyIn: "drop",
    rules: [{ direction: "in", action: "accept", proto: "tcp", ports: "22" }],
  };
  const configs: Array<Record<string, unknown> | undefined> = [
    undefined,
    {},
    { venet: [`198.18.1.${i}`] },
    { venet: [`198.18.1.${i}`, `fd00:1::${i}`], firewall: fw },
    { nics: [{ type: "veth", network: "lan", ips: [`198.18.2.${i}`] }] },
    { nics: [{ type: "veth", network: "lan", ips: [`198.18.2.${i}`], antiSpoof: false }], firewall: fw },
    { venet: [`198.18.1.${i}`], nics: [{ type: "veth", network: "lan", ips: [`198.18.3.${i}`] }], firewall: fw },
    { firewall: fw },
  ];
  const c = configs[kind % configs.length];
  return c === undefined ? undefined : netConfigSchema.parse(c);
}

describeRoot("nftables: one container's change at a time ends where a rebuild does", () => {
  beforeAll(async () => {
    for (const ns of [INC, FULL]) await run("ip", ["netns", "add", ns]);
  });
  afterAll(async () => {
    for (const ns of [INC, FULL]) await run("ip", ["netns", "del", ns], { allowFailure: true });
  });

  it("80 seeded changes, compared with a whole rebuild every ten", async () => {
    const next = rng(16);
    const nets = new Map<number, NetConfig>();
    const parts = new Map<number, ContainerPart>();
    const networks: Network[] = [lan];
    const full = () => {
      const containers = [...nets].map(([ctid, net]) => ({ ctid, net }));
      return renderRuleset({ containers, networks, uplinks: ["eth9"], counters: zero });
    };
    await nft(INC, ["-f", "-"], full());
    let firewalled = 0;
    let sizes = 0;
    for (let step = 1; step <= 80; step++) {
      if (step % 17 === 0) {
        // a bridge joins or leaves
        const has = networks.includes(side);
        await nft(INC, ["-f", "-"], renderBridge(has ? "delete" : "add", side.bridge));
        if (has) networks.splice(networks.indexOf(side), 1);
        else networks.push(side);
      } else {
        const ctid = 101 + next(8);
        const net = netFor(ctid, next(8));
        const old = parts.get(ctid) ?? null;
        const part = containerPart(ctid, net);
        const before = firewalled > 0;
        firewalled += Number(part?.firewall ?? false) - Number(old?.firewall ?? false);
        const text = renderChange(old, part, { before, after: firewalled > 0 });
        if (text) await nft(INC, ["-f", "-"], text);
        sizes = Math.max(sizes, text.length);
        if (net) nets.set(ctid, net);
        else nets.delete(ctid);
        if (part) parts.set(ctid, part);
        else parts.delete(ctid);
      }
      if (step % 10 === 0) {
        await nft(FULL, ["-f", "-"], full());
        expect(await normalised(INC), `after step ${step}`).toEqual(await normalised(FULL));
      }
    }
    console.log(`largest change: ${sizes} bytes; containers at the end: ${[...parts.keys()].join(", ")}`);
    // containers without a device have no part: nothing of theirs in the ruleset
    for (const [ctid, net] of nets)
      if (!containerPart(ctid, net))
        expect(await nft(INC, ["list", "ruleset"])).not.toMatch(new RegExp(`_${ctid}\\b|ct${ctid}`));
  });

  it("a change keeps the container's counters; its removal takes them", async () => {
    const ns = INC;
    const a = netFor(101, 3)!;
    const counters = { inet: new Map([["spoof_101", { packets: 7, bytes: 420 }]]), bridge: new Map() };
    await nft(
      ns,
      ["-f", "-"],
      renderRuleset({ containers: [{ ctid: 101, net: a }], networks: [lan], uplinks: [], counters }),
    );
    const old = containerPart(101, a);
    const b = netConfigSchema.parse({ venet: ["198.18.1.77"] });
    await nft(ns, ["-f", "-"], renderChange(old, containerPart(101, b), { before: true, after: false }));
    expect(await nft(ns, ["list", "counter", "inet", "ovz", "spoof_101"])).toMatch(/packets 7 bytes 420/);
    expect(await nft(ns, ["list", "ruleset"])).not.toMatch(/hook input|fw_ct101|198\.18\.1\.1\b/);
    await nft(ns, ["-f", "-"], renderChange(containerPart(101, b), null, { before: false, after: false }));
    expect(await nft(ns, ["list", "ruleset"])).not.toMatch(/101/);
  });
});
