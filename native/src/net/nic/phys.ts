/**
 * phys: a host interface moved into the container while it runs; LXC moves it back when the container stops.
 * The container has the device itself: the host has no side of it to shape, count or filter.
 */
import { EngineError } from "../../errors.js";
import { linkExists } from "../host.js";
import { HOST_IF_RE } from "../types.js";
import { defineNic } from "./define.js";

export const phys = defineNic<"phys">({
  place: (_ctid, conf) => ({ name: conf.name ?? conf.hostDev, hostIf: conf.hostDev }),
  hostSide: false,
  identity: (conf) => [conf.hostDev, conf.name ?? null],
  clash: (mine, theirs, owner) =>
    mine.hostDev === theirs.hostDev ? `host interface ${theirs.hostDev} is already given to container ${owner}` : null,

  /** Only an existing host interface the engine does not manage (container devices, network bridges). */
  async validate(d, { networks }) {
    const dev = d.conf.hostDev;
    if (HOST_IF_RE.test(dev) || [...networks.values()].some((n) => n.bridge === dev)) {
      throw new EngineError("BAD_REQUEST", `${dev} is managed by the engine and cannot be passed through`);
    }
    if (!(await linkExists(dev)))
      throw new EngineError("NOT_FOUND", `host interface ${dev} does not exist; list host interfaces with "ip link"`);
  },

  lxcKeys: (d) => [
    ["type", "phys"],
    ["link", d.conf.hostDev],
    ["name", d.name],
    ["flags", "up"],
  ],
});
