/**
 * The panel's network modes: how it gives a container its addresses. A mode is one of the engine's NIC modes
 * (native/src/net/nic/modes.ts) whose addresses come from IP pools of the same kind, or "none". Plain data with
 * type-only imports: the panel's pages import it into the browser bundle.
 */
import type { NicMode } from "../../native/src/net/nic/modes.js";

/** The NIC modes the panel gives addresses from its IP pools; an IP pool's kind is one of them. */
export const POOL_KINDS = ["venet", "veth"] as const satisfies readonly NicMode[];
export type PoolKind = (typeof POOL_KINDS)[number];

/** A container's network mode: a pool kind, or none (no network). */
export const NET_MODES = [...POOL_KINDS, "none"] as const;
export type NetMode = (typeof NET_MODES)[number];

export function isNetMode(s: string): s is NetMode {
  return (NET_MODES as readonly string[]).includes(s);
}

/** What the pages call each mode: in the new-container form and on a container's network card. */
export const NET_MODE_LABELS: Record<NetMode, { create: string; card: string }> = {
  venet: { create: "venet: routed addresses (venet0)", card: "venet (routed, venet0)" },
  veth: { create: "veth: eth0 on a bridged network", card: "veth (eth0 on a bridged network)" },
  none: { create: "none: no network", card: "none (no network)" },
};

/** What the add-pool form calls each pool kind. */
export const POOL_KIND_LABELS: Record<PoolKind, string> = {
  venet: "venet: routed addresses (venet0)",
  veth: "veth: addresses on an engine network",
};
