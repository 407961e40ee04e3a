/** Pure pieces of nftables syntax shared by the ruleset (nft.ts) and the NIC drivers' parts of it. */

/** Counter names, one per container and table. */
export const counterName = { spoof: (ctid: number) => `spoof_${ctid}`, fwdrop: (ctid: number) => `fwdrop_${ctid}` };

export function setDecl(
  name: string,
  type: "ipv4_addr" | "ipv6_addr" | "ifname",
  elems: string[],
  interval = false,
): string {
  const body = elems.length
    ? ` elements = { ${elems.map((e) => (type === "ifname" ? JSON.stringify(e) : e)).join(", ")} };`
    : "";
  return `  set ${name} { type ${type};${interval ? " flags interval;" : ""}${body} }`;
}
