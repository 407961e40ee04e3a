/**
 * Idmap slots: each container's uid/gid range on the host (slot s = host ids from idmapBase + s * 65536). A
 * slot is taken by a record or reserved by an operation making a container (create, restore, clone,
 * migration) until it wrote the record or gave up.
 */
import type { EngineConfig } from "./config.js";
import { EngineError } from "./errors.js";
import { IDMAP_SIZE } from "./engine-types.js";
import type { RecordStore } from "./records.js";

export class IdmapSlots {
  private readonly reserved = new Set<number>();

  constructor(
    private readonly config: EngineConfig,
    private readonly records: RecordStore,
  ) {}

  /** A free idmap slot (or exactly `want`), reserved until release() so concurrent creates do not take it. */
  async reserve(want?: number): Promise<{ slot: number; release(): void }> {
    const slot = want === undefined ? await this.allocateSlot() : await this.claimSlot(want);
    this.reserved.add(slot);
    return { slot, release: () => this.reserved.delete(slot) };
  }

  private async allocateSlot(): Promise<number> {
    const used = await this.records.idmapSlots();
    for (const s of this.reserved) used.add(s);
    for (let s = 0; s < this.config.idmapSlots; s++) if (!used.has(s)) return s;
    throw new EngineError("NO_SPACE", `all ${this.config.idmapSlots} uid ranges are in use; raise OVZ_IDMAP_SLOTS`);
  }

  /** Exactly slot `want` (a live migration keeps the container's uid range), or a clear refusal. */
  private async claimSlot(want: number): Promise<number> {
    const holder = await this.records.find((r) => r.idmapSlot === want);
    const { idmapSlots, idmapBase } = this.config;
    if (want >= idmapSlots || holder || this.reserved.has(want)) {
      const why = holder
        ? `used by container ${holder.ctid}`
        : want >= idmapSlots
          ? "outside this node's OVZ_IDMAP_SLOTS"
          : "being taken";
      throw new EngineError(
        "CTID_IN_USE",
        `uid range ${want} (host ids from ${idmapBase + want * IDMAP_SIZE}) is ${why} on this node; a live ` +
          "migration keeps the container's ids — migrate it offline instead",
      );
    }
    return want;
  }
}
