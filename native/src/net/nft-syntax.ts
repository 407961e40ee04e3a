/** Pure pieces of nftables syntax shared by the ruleset (nft.ts) and the NIC drivers' parts of it. */

/** Counter names, one per container and table. */
export const counterName = { spoof: (ctid: number) => `spoof_${ctid}`, fwdrop: (ctid: number) => `fwdrop_${ctid}` };

export type NftKeyType = "ipv4_addr" | "ipv6_addr" | "ifname";

/** A named set: declared whole, deleted by name. */
export interface NftSet {
  name: string;
  type: NftKeyType;
  elems: string[];
  interval?: boolean;
}

/** A regular chain (a jump target): declared with its rules, deleted by name. */
export interface NftChain {
  name: string;
  rules: string[];
}

/** An element's key as nft reads it: interface names quoted, addresses as they are. */
export function keyLiteral(type: NftKeyType, key: string): string {
  return type === "ifname" ? JSON.stringify(key) : key;
}

export function setDecl(name: string, type: NftKeyType, elems: string[], interval = false): string {
  const body = elems.length ? ` elements = { ${elems.map((e) => keyLiteral(type, e)).join(", ")} };` : "";
  return `  set ${name} { type ${type};${interval ? " flags interval;" : ""}${body} }`;
}

export function setLines(s: NftSet): string {
  return setDecl(s.name, s.type, s.elems, s.interval);
}

export function chainLines(c: NftChain): string[] {
  return [`  chain ${c.name} {`, ...c.rules.map((r) => `    ${r}`), `  }`];
}
