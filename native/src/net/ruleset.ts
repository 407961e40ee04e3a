/**
 * The nftables ruleset as the engine last wrote it: each container's part (nft-parts.ts) and how many have a
 * firewall. The engine start rebuilds it whole from the records (rebuild); every later change is a transaction of
 * one container's part (change) or one bridge (bridge), sized by that container alone. Should such a transaction
 * fail — the kernel's tables no longer what the engine wrote — the ruleset is rebuilt whole, once, and the log
 * says so. Not concurrency-safe by itself: NetManager runs these one at a time.
 */
import { containerPart, type ContainerPart } from "./nft-parts.js";
import { applyRuleset, readCounters, renderBridge, renderChange, renderRuleset } from "./nft.js";
import type { NetConfig, Network } from "./types.js";

export class Ruleset {
  private parts = new Map<number, ContainerPart>();
  private firewalled = 0;
  private built = false;

  constructor(
    private readonly uplinks: string[],
    /** every container's network and the engine's networks, for a rebuild */
    private readonly source: () => Promise<{ nets: ReadonlyMap<number, NetConfig>; networks: Network[] }>,
    private readonly log: (line: string) => void,
  ) {}

  /** Replace both tables with the whole ruleset, counters carried over (engine start; repair). */
  async rebuild(): Promise<void> {
    const { nets, networks } = await this.source();
    const parts = new Map<number, ContainerPart>();
    for (const [ctid, net] of nets) {
      const p = containerPart(ctid, net);
      if (p) parts.set(ctid, p);
    }
    const counters = { inet: await readCounters("inet"), bridge: await readCounters("bridge") };
    const containers = [...nets].map(([ctid, net]) => ({ ctid, net }));
    await applyRuleset(renderRuleset({ containers, networks, uplinks: this.uplinks, counters }));
    this.parts = parts;
    this.firewalled = [...parts.values()].filter((p) => p.firewall).length;
    this.built = true;
  }

  /** The container's rules as `net` says (undefined or no device: none). Before the first rebuild: nothing to do. */
  async change(ctid: number, net: NetConfig | undefined): Promise<void> {
    if (!this.built) return; // the engine start's rebuild renders the records as they are then
    const old = this.parts.get(ctid) ?? null;
    const next = containerPart(ctid, net);
    const before = this.firewalled > 0;
    this.firewalled += Number(next?.firewall ?? false) - Number(old?.firewall ?? false);
    if (next) this.parts.set(ctid, next);
    else this.parts.delete(ctid);
    await this.apply(renderChange(old, next, { before, after: this.firewalled > 0 }), `container ${ctid}`);
  }

  /** An engine network's bridge joins or leaves the routing guard's interfaces. */
  async bridge(op: "add" | "delete", bridge: string): Promise<void> {
    if (this.built) await this.apply(renderBridge(op, bridge), `bridge ${bridge}`);
  }

  private async apply(text: string, what: string): Promise<void> {
    if (!text) return;
    try {
      await applyRuleset(text);
    } catch (e) {
      this.log(`network: the firewall change for ${what} failed (${(e as Error).message}); rebuilding the ruleset`);
      await this.rebuild();
    }
  }
}
