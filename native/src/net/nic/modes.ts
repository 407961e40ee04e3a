/**
 * The names of the network device modes, one NIC driver each (./index.ts NIC_DRIVERS, checked against this
 * list by the compiler). Plain data without imports: the protocol schema and the panel, including its browser
 * bundle, read it.
 */
export const NIC_MODES = ["venet", "veth", "phys"] as const;
export type NicMode = (typeof NIC_MODES)[number];
