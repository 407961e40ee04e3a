/**
 * The client's address, for the audit log, sessions and the per-address login delay. It is the address
 * of the TCP peer, which server/http/main.ts writes into the PEER_HEADER of every request (overwriting
 * whatever a client sent under that name). X-Forwarded-For is believed only as far as it was written by
 * proxies named in OVZ_TRUST_PROXY: walking it from the right, each hop counts while the address before
 * it is a trusted proxy — so a client rotating its own X-Forwarded-For changes nothing.
 *
 *   OVZ_TRUST_PROXY=loopback                 a proxy on this host (nginx, caddy) — also the old value "1"
 *   OVZ_TRUST_PROXY=10.0.0.5,192.0.2.0/28    proxies by address or subnet (IPv4, IPv6), comma-separated
 */
import net from "node:net";

export const PEER_HEADER = "x-ovz-peer";

/** ::ffff:192.0.2.1 → 192.0.2.1; anything that is not an address → null. */
export function normalizeIp(s: string | null | undefined): string | null {
  if (!s) return null;
  let a = s.trim();
  if (a.startsWith("[") && a.endsWith("]")) a = a.slice(1, -1);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  if (mapped) a = mapped[1]!;
  return net.isIP(a) ? a.toLowerCase() : null;
}

export type TrustCheck = (ip: string) => boolean;

/** The proxies of OVZ_TRUST_PROXY as a check; entries that are not addresses or subnets are reported. */
export function parseTrustedProxies(spec: string | undefined, warn: (msg: string) => void = console.error): TrustCheck {
  const list = new net.BlockList();
  let any = false;
  for (const raw of (spec ?? "")
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean)) {
    if (raw === "1" || raw === "loopback") {
      list.addSubnet("127.0.0.0", 8, "ipv4");
      list.addAddress("::1", "ipv6");
      any = true;
      continue;
    }
    const [addr, bits] = raw.split("/");
    const ip = normalizeIp(addr);
    const family = ip && net.isIPv6(ip) ? "ipv6" : "ipv4";
    const max = family === "ipv6" ? 128 : 32;
    const prefix = bits === undefined ? max : Number(bits);
    if (!ip || !Number.isInteger(prefix) || prefix < 0 || prefix > max) {
      warn(`OVZ_TRUST_PROXY: "${raw}" is not an address, a subnet or "loopback"; ignored`);
      continue;
    }
    list.addSubnet(ip, prefix, family);
    any = true;
  }
  return any ? (ip) => list.check(ip, net.isIPv6(ip) ? "ipv6" : "ipv4") : () => false;
}

/** The client: the peer, or the last X-Forwarded-For hop that a trusted proxy vouches for. */
export function clientAddress(peer: string | null, xff: string | null, trusted: TrustCheck): string | null {
  let addr = normalizeIp(peer);
  if (!addr) return null;
  const hops = (xff ?? "").split(",").reverse();
  for (const hop of hops) {
    if (!trusted(addr)) break;
    const next = normalizeIp(hop);
    if (!next) break; // garbage from the proxy's client: the proxy's own word stops here
    addr = next;
  }
  return addr;
}

let cached: { spec: string | undefined; check: TrustCheck } | null = null;

/** clientAddress for a request's headers with the process's OVZ_TRUST_PROXY. */
export function clientAddressOf(headers: Headers): string | null {
  const spec = process.env.OVZ_TRUST_PROXY;
  if (!cached || cached.spec !== spec) cached = { spec, check: parseTrustedProxies(spec) };
  return clientAddress(headers.get(PEER_HEADER), headers.get("x-forwarded-for"), cached.check);
}
