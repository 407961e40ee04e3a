/**
 * Host-side packet filtering for containers, in two nftables tables the engine owns completely:
 *
 *   table inet ovz    venet anti-spoofing (prerouting, by host-side device), the per-container
 *                     firewall (by address: forward/input/output hooks, so it also covers bridged
 *                     traffic via br_netfilter), and the "containers never leave through a non-uplink"
 *                     guard in forward.
 *   table bridge ovz  veth anti-spoofing per bridge port: MAC, ARP sender and IP source.
 *
 * Each container's share is a part (nft-parts.ts): its own counters, sets and chains, and its entries in the
 * tables' shared sets and maps. At engine start the whole ruleset is rendered from the records and replaced in one
 * `nft -f` transaction, carrying the named counters over from the live tables (renderRuleset). After that a change
 * of one container is one small transaction of its own part — the old part's entries, chains and sets out, the new
 * one's in (renderChange) — whose size does not depend on how many containers the node holds; its counters stay.
 * A container without a network has no part. The container itself cannot touch these rules: they live in the
 * host's network namespace.
 */
import { run } from "../exec.js";
import { chainLines, keyLiteral, setDecl, setLines, type NftKeyType } from "./nft-syntax.js";
import { containerPart, type ContainerPart, type NftElem, type TablePart } from "./nft-parts.js";
import type { NetConfig, Network } from "./types.js";

export { counterName } from "./nft-syntax.js";
export { dports } from "./nft-parts.js";

export interface NftContainer {
  ctid: number;
  net: NetConfig;
}
export type Counters = Map<string, { packets: number; bytes: number }>;
type Family = "inet" | "bridge";

const TABLE = "ovz";
const FAMILIES: Family[] = ["inet", "bridge"];

/** The shared sets and maps of each table, in declaration order: [name, key type, verdict map]. */
const SHARED: Record<Family, Array<[string, NftKeyType, boolean]>> = {
  inet: [
    ["ct_ifaces", "ifname", false],
    ["uplinks", "ifname", false],
    ["from_venet", "ifname", true],
    ["fw_in4", "ipv4_addr", true],
    ["fw_in6", "ipv6_addr", true],
    ["fw_out4", "ipv4_addr", true],
    ["fw_out6", "ipv6_addr", true],
  ],
  bridge: [["from_port", "ifname", true]],
};

interface BaseChain {
  name: string;
  hook: string;
  rules: string[];
}

/**
 * The hooked chains. Without any firewall the hooks only carry anti-spoofing and the routing guard (every rule
 * costs per packet: measured in bench/net.bench.ts); the first container with a firewall adds the dispatch by
 * address, the last one's removal takes it out again.
 */
function baseChains(fam: Family, anyFw: boolean): BaseChain[] {
  const hook = (h: string, prio: string) => `type filter hook ${h} priority ${prio}; policy accept;`;
  if (fam === "bridge")
    return [{ name: "prerouting", hook: hook("prerouting", "filter"), rules: ["iifname vmap @from_port"] }];
  const out = ["ip saddr vmap @fw_out4", "ip6 saddr vmap @fw_out6"];
  const into = ["ip daddr vmap @fw_in4", "ip6 daddr vmap @fw_in6"];
  return [
    { name: "prerouting", hook: hook("prerouting", "raw"), rules: ["iifname vmap @from_venet"] },
    {
      name: "forward",
      hook: hook("forward", "filter"),
      rules: [
        ...(anyFw ? [...out, ...into] : []),
        // container traffic is routed only to other containers and to the configured uplinks
        "iifname @ct_ifaces oifname != @ct_ifaces oifname != @uplinks counter drop",
      ],
    },
    ...(anyFw
      ? [
          { name: "input", hook: hook("input", "filter"), rules: out },
          { name: "output", hook: hook("output", "filter"), rules: into },
        ]
      : []),
  ];
}

const baseLines = (c: BaseChain) => [`  chain ${c.name} {`, `    ${c.hook}`, ...c.rules.map((r) => `    ${r}`), `  }`];

const elemLiteral = (e: NftElem) => keyLiteral(e.type, e.key) + (e.verdict ? ` : ${e.verdict}` : "");

function sharedDecl(name: string, type: NftKeyType, isMap: boolean, elems: NftElem[]): string {
  if (!isMap) return setDecl(name, type, elems.map((e) => e.key).sort());
  const body = elems.length ? ` elements = { ${elems.map(elemLiteral).join(", ")} };` : "";
  return `  map ${name} { type ${type} : verdict;${body} }`;
}

/** The whole ruleset: both tables declared, deleted and declared again, in one transaction. */
export function renderRuleset(opts: {
  containers: NftContainer[];
  networks: Network[];
  uplinks: string[];
  counters: Record<Family, Counters>;
}): string {
  const parts = [...opts.containers].sort((a, b) => a.ctid - b.ctid).flatMap((c) => containerPart(c.ctid, c.net) ?? []);
  const anyFw = parts.some((p) => p.firewall);
  const out: string[] = [];
  // Declare, delete, redeclare: one transaction that works whether or not the table existed.
  for (const fam of FAMILIES) out.push(`table ${fam} ${TABLE}`, `delete table ${fam} ${TABLE}`);
  for (const fam of FAMILIES) {
    const tables: TablePart[] = parts.map((p) => p[fam]);
    const counters = opts.counters[fam];
    out.push(`table ${fam} ${TABLE} {`);
    for (const t of tables) {
      for (const name of t.counters) {
        const v = counters.get(name) ?? { packets: 0, bytes: 0 };
        out.push(`  counter ${name} { packets ${v.packets} bytes ${v.bytes} }`);
      }
      out.push(...t.sets.map(setLines));
    }
    const elems = tables.flatMap((t) => t.elems);
    for (const [name, type, isMap] of SHARED[fam]) {
      const mine = elems.filter((e) => e.set === name);
      if (name === "ct_ifaces") mine.push(...opts.networks.map((n) => ({ set: name, type, key: n.bridge })));
      if (name === "uplinks") mine.push(...opts.uplinks.map((u) => ({ set: name, type, key: u })));
      out.push(sharedDecl(name, type, isMap, mine));
    }
    out.push(...baseChains(fam, anyFw).flatMap(baseLines));
    out.push(...tables.flatMap((t) => t.chains.flatMap(chainLines)), `}`);
  }
  return out.join("\n") + "\n";
}

/**
 * One container's change as one transaction: the old part's entries, chains, sets and the counters the new part
 * has no more go; the new part's counters (those it did not have), sets, chains and entries come. `fw` says
 * whether any container had and has a firewall (the hooks' dispatch follows). Empty when nothing changes.
 */
export function renderChange(
  old: ContainerPart | null,
  next: ContainerPart | null,
  fw: { before: boolean; after: boolean },
): string {
  if (JSON.stringify(old) === JSON.stringify(next) && fw.before === fw.after) return "";
  const out: string[] = [];
  for (const fam of FAMILIES) {
    const o = old?.[fam];
    const n = next?.[fam];
    const at = `${fam} ${TABLE}`;
    for (const e of o?.elems ?? []) out.push(`delete element ${at} ${e.set} { ${keyLiteral(e.type, e.key)} }`);
    for (const c of o?.chains ?? []) out.push(`delete chain ${at} ${c.name}`);
    for (const s of o?.sets ?? []) out.push(`delete set ${at} ${s.name}`);
    for (const c of o?.counters ?? []) if (!n?.counters.includes(c)) out.push(`delete counter ${at} ${c}`);
    if (n && (n.counters.length || n.sets.length || n.chains.length)) {
      out.push(`table ${at} {`);
      for (const c of n.counters) if (!o?.counters.includes(c)) out.push(`  counter ${c} { packets 0 bytes 0 }`);
      out.push(...n.sets.map(setLines), ...n.chains.flatMap(chainLines), `}`);
    }
    for (const e of n?.elems ?? []) out.push(`add element ${at} ${e.set} { ${elemLiteral(e)} }`);
  }
  if (fw.before !== fw.after) {
    const [forward, ...hooks] = baseChains("inet", fw.after).filter((c) => c.name !== "prerouting");
    out.push(`flush chain inet ${TABLE} forward`, ...forward!.rules.map((r) => `add rule inet ${TABLE} forward ${r}`));
    if (fw.after) out.push(`table inet ${TABLE} {`, ...hooks.flatMap(baseLines), `}`);
    else out.push(`delete chain inet ${TABLE} input`, `delete chain inet ${TABLE} output`);
  }
  return out.join("\n") + "\n";
}

/** An engine network's bridge joins (or leaves) the routing guard's interfaces. */
export function renderBridge(op: "add" | "delete", bridge: string): string {
  return `${op} element inet ${TABLE} ct_ifaces { ${keyLiteral("ifname", bridge)} }\n`;
}

// ---------------------------------------------------------------- I/O

export async function readCounters(family: Family): Promise<Counters> {
  const r = await run("nft", ["-j", "list", "counters", "table", family, TABLE], { allowFailure: true });
  const out: Counters = new Map();
  if (r.code !== 0) return out; // no table yet
  const doc = JSON.parse(r.stdout) as {
    nftables: Array<{ counter?: { name: string; packets: number; bytes: number } }>;
  };
  for (const e of doc.nftables)
    if (e.counter) out.set(e.counter.name, { packets: e.counter.packets, bytes: e.counter.bytes });
  return out;
}

export async function applyRuleset(text: string): Promise<void> {
  await run("nft", ["-f", "-"], { input: text });
}

export async function removeRuleset(): Promise<void> {
  for (const fam of FAMILIES) await run("nft", ["delete", "table", fam, TABLE], { allowFailure: true });
}
