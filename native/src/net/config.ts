/** Pure helpers over a container's NetConfig. */
import type { NetConfig } from "./types.js";

/** Every address a container was given, venet first, in order. */
export function netIps(net: NetConfig | undefined): string[] {
  if (!net) return [];
  return [...net.venet, ...net.nics.flatMap((n) => (n.type === "veth" ? n.ips : []))];
}
