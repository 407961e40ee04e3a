/**
 * A container's network, declared once as data (zod) and shared by the engine, the protocol and the
 * panel. Three device kinds, as in OpenVZ:
 *   - venet: a routed L3 device (venet0). The host is the router; the container gets exactly the
 *     addresses listed here and nothing else can leave it (nftables anti-spoofing).
 *   - veth:  an L2 device bridged on the host into an engine network (bridge); MAC and addresses are
 *     assigned by the host, anti-spoofed in the bridge family; DHCP from the network's dnsmasq.
 *   - phys:  a host interface moved into the container while it runs, and back when it stops.
 * What each kind does on the host is its NIC driver's (nic/venet.ts, veth.ts, phys.ts).
 */
import net from "node:net";
import { z } from "zod";

export const IFNAME_RE = /^[a-zA-Z][a-zA-Z0-9_.-]{0,14}$/;
export const NETNAME_RE = /^[a-z][a-z0-9-]{0,30}$/;
const MAC_RE = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/;

/** A single host address, IPv4 or IPv6, normalised (lower case, canonical IPv6 form). */
export const ipAddr = z
  .string()
  .max(64)
  .refine((s) => net.isIP(s) !== 0, { message: "not an IPv4 or IPv6 address (e.g. 198.18.1.2 or fd00::2)" })
  .transform(canonicalIp);

/** An address with a prefix length, e.g. 198.18.2.1/24. */
export const cidr = z
  .string()
  .max(64)
  .refine((s) => parseCidr(s) !== null, { message: "not an address/prefix (e.g. 198.18.2.0/24)" })
  .transform((s) => {
    const c = parseCidr(s)!;
    return `${c.addr}/${c.prefix}`;
  });

export const ifname = z
  .string()
  .regex(IFNAME_RE, "interface names are 1-15 letters, digits, _ . - and start with a letter");
export const macAddr = z
  .string()
  .transform((s) => s.toLowerCase())
  .refine((s) => MAC_RE.test(s) && (parseInt(s.slice(0, 2), 16) & 1) === 0, {
    message: "not a unicast MAC address (e.g. 02:00:00:00:00:65)",
  });

/**
 * Ports of a firewall rule: one port (22), a range (1000-2000) or a comma list of both (22,80,443,8000-8100),
 * normalised: sorted, overlapping and adjacent ranges merged, no spaces ("443, 80,22" → "22,80,443").
 */
export function normalisePorts(text: string): string {
  const ranges: Array<[number, number]> = [];
  for (const raw of text.split(",")) {
    const part = raw.trim();
    const m = /^(\d{1,5})(?:\s*-\s*(\d{1,5}))?$/.exec(part);
    if (!m)
      throw new Error(
        `"${part.slice(0, 20)}" is not a port; use ports like 22, lists like 22,80,443 or ranges like 1000-2000`,
      );
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (a < 1 || b > 65535 || a > 65535) throw new Error(`ports are 1-65535 (${part} is not)`);
    if (b < a) throw new Error(`the range ${part} goes from high to low; write it as ${b}-${a}`);
    ranges.push([a, b]);
  }
  if (ranges.length > MAX_PORT_ITEMS) throw new Error(`at most ${MAX_PORT_ITEMS} ports or ranges in one rule`);
  ranges.sort((x, y) => x[0] - y[0]);
  const merged: Array<[number, number]> = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(",");
}
export const MAX_PORT_ITEMS = 64;

const portSpec = z
  .string()
  .max(1000)
  .transform((s, ctx) => {
    try {
      return normalisePorts(s);
    } catch (e) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: (e as Error).message });
      return z.NEVER;
    }
  });

export const firewallRuleSchema = z
  .object({
    /** in: traffic to the container; out: traffic from the container */
    direction: z.enum(["in", "out"]),
    action: z.enum(["accept", "drop"]),
    proto: z.enum(["tcp", "udp", "icmp", "any"]).default("any"),
    /** only for tcp/udp */
    ports: portSpec.optional(),
    /** the other side: the source for "in", the destination for "out"; omitted = anywhere */
    peer: cidr.optional(),
    comment: z
      .string()
      .max(64)
      .regex(/^[^"\\\n]*$/, "no quotes, backslashes or newlines")
      .optional(),
  })
  .strict()
  .refine((r) => r.ports === undefined || r.proto === "tcp" || r.proto === "udp", {
    message: "ports need the protocol tcp or udp",
    path: ["ports"],
  });
export type FirewallRule = z.output<typeof firewallRuleSchema>;

export const firewallSchema = z
  .object({
    enabled: z.boolean().default(false),
    /** what happens to traffic no rule matched; replies to allowed connections always pass */
    policyIn: z.enum(["accept", "drop"]).default("accept"),
    policyOut: z.enum(["accept", "drop"]).default("accept"),
    rules: z.array(firewallRuleSchema).max(200).default([]),
  })
  .strict();
export type Firewall = z.output<typeof firewallSchema>;

export const vethNicSchema = z
  .object({
    type: z.literal("veth"),
    /** name inside the container */
    name: ifname.default("eth0"),
    /** engine network (bridge) to plug into */
    network: z.string().regex(NETNAME_RE, "network names are lower-case letters, digits and -"),
    /** generated from the ctid when omitted */
    mac: macAddr.optional(),
    /** addresses the container may use on this NIC (anti-spoofing) and gets by DHCP or static config */
    ips: z.array(ipAddr).max(64).default([]),
    /** admins may turn anti-spoofing off for a NIC (e.g. a container that routes for others) */
    antiSpoof: z.boolean().default(true),
  })
  .strict();

export const physNicSchema = z
  .object({
    type: z.literal("phys"),
    /** host interface to move into the container while it runs */
    hostDev: ifname,
    /** name inside the container; defaults to the host name */
    name: ifname.optional(),
  })
  .strict();

export const nicSchema = z.discriminatedUnion("type", [vethNicSchema, physNicSchema]);
export type Nic = z.output<typeof nicSchema>;
export type VethNic = z.output<typeof vethNicSchema>;
export type PhysNic = z.output<typeof physNicSchema>;

export const rateSchema = z
  .object({
    /** to the container (its download), kbit/s; 0 = unlimited */
    inKbit: z.number().int().min(0).max(100_000_000).default(0),
    /** from the container (its upload), kbit/s; 0 = unlimited */
    outKbit: z.number().int().min(0).max(100_000_000).default(0),
  })
  .strict();
export type Rate = z.output<typeof rateSchema>;

export const netConfigSchema = z
  .object({
    /** addresses of venet0 (routed); empty = no venet device */
    venet: z.array(ipAddr).max(64).default([]),
    nics: z.array(nicSchema).max(8).default([]),
    nameservers: z.array(ipAddr).max(3).default([]),
    firewall: firewallSchema.default({}),
    rate: rateSchema.default({}),
  })
  .strict();
export type NetConfig = z.output<typeof netConfigSchema>;
export type NetConfigInput = z.input<typeof netConfigSchema>;
/** container.net.set: each key given replaces that key as a whole; keys left out stay. */
export const netPatchSchema = z
  .object({
    venet: netConfigSchema.shape.venet.optional(),
    nics: netConfigSchema.shape.nics.optional(),
    nameservers: netConfigSchema.shape.nameservers.optional(),
    firewall: firewallSchema.optional(),
    rate: rateSchema.optional(),
  })
  .strict();
export type NetPatch = z.output<typeof netPatchSchema>;

export function emptyNetConfig(): NetConfig {
  return netConfigSchema.parse({});
}

/** An engine network: a host bridge that veth NICs plug into, optionally with an address and DHCP. */
export const networkSchema = z
  .object({
    name: z.string().regex(NETNAME_RE, "network names are lower-case letters, digits and -, starting with a letter"),
    bridge: ifname,
    /** host address on the bridge and the subnet, e.g. 198.18.2.1/24; omitted = pure L2 bridge */
    hostCidr: cidr.optional(),
    /** default gateway handed to containers; defaults to the host address */
    gateway: ipAddr.optional(),
    /** serve DHCP (dnsmasq) on the bridge, handing each NIC exactly its assigned address */
    dhcp: z.boolean().default(false),
  })
  .strict();
export type Network = z.output<typeof networkSchema>;

// ---------------------------------------------------------------- address helpers (pure)

export function canonicalIp(s: string): string {
  if (net.isIPv4(s))
    return s
      .split(".")
      .map((p) => String(Number(p)))
      .join(".");
  if (!net.isIPv6(s)) return s;
  const g = expandV6(s);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = g.map((h) => h.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

/** Canonical IPv6 per RFC 5952: the longest run of zero groups (≥2) becomes "::". */
function expandV6(s: string): number[] {
  let v = s.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(v);
  if (v4) {
    const p = v4[1]!.split(".").map(Number);
    v = v.slice(0, -v4[1]!.length) + `${((p[0]! << 8) | p[1]!).toString(16)}:${((p[2]! << 8) | p[3]!).toString(16)}`;
  }
  const [head, tail] = v.split("::");
  const h = head ? head.split(":") : [];
  const t = tail !== undefined && tail !== "" ? tail.split(":") : [];
  const fill = v.includes("::") ? 8 - h.length - t.length : 0;
  return [...h, ...Array(fill).fill("0"), ...t].map((x) => parseInt(x, 16));
}

export function ipVersion(ip: string): 4 | 6 {
  return net.isIPv4(ip) ? 4 : 6;
}

export function parseCidr(s: string): { addr: string; prefix: number; version: 4 | 6 } | null {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s);
  if (!m) return null;
  const v = net.isIP(m[1]!);
  const prefix = Number(m[2]);
  if (v === 0 || prefix > (v === 4 ? 32 : 128)) return null;
  return { addr: canonicalIp(m[1]!), prefix, version: v as 4 | 6 };
}

/** IPv4 helpers for pools and subnets. */
export function ip4ToInt(ip: string): number {
  return ip.split(".").reduce((a, p) => a * 256 + Number(p), 0);
}
export function intToIp4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}
export function inCidr4(ip: string, c: string): boolean {
  const p = parseCidr(c);
  if (!p || p.version !== 4 || !net.isIPv4(ip)) return false;
  const size = 2 ** (32 - p.prefix);
  const base = Math.floor(ip4ToInt(p.addr) / size) * size;
  const n = ip4ToInt(ip);
  return n >= base && n < base + size;
}

/** Deterministic locally administered MAC for NIC `index` of container `ctid`: 02:<index>:<ctid 32 bit>. */
export function defaultMac(ctid: number, index: number): string {
  const b = [2, index & 0xff, (ctid >>> 24) & 0xff, (ctid >>> 16) & 0xff, (ctid >>> 8) & 0xff, ctid & 0xff];
  return b.map((x) => x.toString(16).padStart(2, "0")).join(":");
}

/** Host-side interface names (≤15 chars for any ctid up to 2e9). */
export const hostIfName = {
  venet: (ctid: number) => `vn${ctid}`,
  veth: (ctid: number, index: number) => `ve${ctid}i${index}`,
  /** IFB device that shapes the container's upload (host-side ingress redirected here) */
  ifb: (hostIf: string) => `i${hostIf}`,
};
/** The names of hostIfName.venet and .veth: container devices the engine makes. */
export const HOST_IF_RE = /^(vn\d+|ve\d+i\d+)$/;

/** Address on the host side of every venet device; the container's IPv4 default gateway. */
export const VENET_GW4 = "169.254.0.1";
/** Link-local address on the host side of every venet device; the container's IPv6 default gateway. */
export const VENET_GW6 = "fe80::1";
