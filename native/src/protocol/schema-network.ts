/**
 * The method table, networks (schema.ts assembles it): a container's network, and the host's networks.
 */
import { z } from "zod";
import { NIC_MODES } from "../net/nic/modes.js";
import { netConfigSchema, netPatchSchema, networkSchema } from "../net/types.js";
import { ctid, ctidOnly, empty, ok } from "./schema-common.js";

const packetsBytes = z.object({ packets: z.number(), bytes: z.number() });
const netInfo = z.object({
  config: netConfigSchema,
  /** host-side devices while running: the container-side name, the host-side name and its kind */
  devices: z.array(z.object({ name: z.string(), hostIf: z.string().nullable(), kind: z.enum(NIC_MODES) })),
});
const netStats = z.object({
  ctid: z.number(),
  running: z.boolean(),
  /** this run of the container (null when stopped); a new value means its counters restarted from zero */
  boot: z.string().nullable(),
  /** per device, from the container's point of view: rx = received by the container */
  ifaces: z.array(
    z.object({
      name: z.string(),
      hostIf: z.string(),
      rxBytes: z.number(),
      txBytes: z.number(),
      rxPackets: z.number(),
      txPackets: z.number(),
    }),
  ),
  /** packets dropped because their source address or MAC was not the container's */
  spoofDropped: packetsBytes,
  /** packets dropped by the container's firewall (both directions) */
  firewallDropped: packetsBytes,
});
const networkInfo = networkSchema.extend({
  exists: z.boolean(),
  dhcpRunning: z.boolean(),
  containers: z.array(z.number()),
});

export const containerNetMethods = {
  "container.net.get": { params: ctidOnly, result: netInfo },
  /** Change the network live (addresses, firewall, rate, NICs when stopped); each key given replaces that key. */
  "container.net.set": { params: z.object({ ctid, net: netPatchSchema }).strict(), result: netInfo },
  /** Traffic and drop counters of running containers (all when ctids is omitted). */
  "container.net.stats": {
    params: z.object({ ctids: z.array(ctid).max(10_000).optional() }).strict(),
    result: z.array(netStats),
  },
} as const;

export const networkMethods = {
  "network.list": { params: empty, result: z.array(networkInfo) },
  "network.create": { params: networkSchema, result: networkInfo },
  "network.delete": { params: z.object({ name: z.string().min(1).max(31) }).strict(), result: ok },
} as const;
