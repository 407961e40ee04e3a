/** Defaults for the NIC driver methods a mode has no use for, so each driver file holds only what it does. */
import type { NicMode } from "./modes.js";
import type { NftPart, NicDriver } from "./types.js";

type Required<K extends NicMode> = Pick<NicDriver<K>, "place" | "hostSide" | "lxcKeys" | "identity">;

export function emptyNftPart(): NftPart {
  return { counters: [], sets: [], dispatch: [], chains: [] };
}

export function defineNic<K extends NicMode>(d: Required<K> & Partial<NicDriver<K>>): NicDriver<K> {
  return {
    addresses: () => [],
    proxied: () => [],
    validate: async () => {},
    clash: () => null,
    postStart: async () => {},
    postRestore: async () => {},
    keep: (next) => next,
    applyLive: async () => {},
    clone: () => null,
    network: () => undefined,
    leases: () => [],
    nft: () => ({ inet: emptyNftPart(), bridge: emptyNftPart() }),
    ...d,
  };
}
