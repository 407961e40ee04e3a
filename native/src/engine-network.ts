/** A container's network (container.net.*) and the host's networks (network.*), over net/ (NetManager). */
import type { z } from "zod";
import type { EngineCore } from "./engine-core.js";
import { EngineError, wrapError } from "./errors.js";
import type { ContainerRecord } from "./records.js";
import { parseNet } from "./checks.js";
import { bootId } from "./host-probe.js";
import type { NetStats } from "./net/index.js";
import { emptyNetConfig, netPatchSchema, type networkSchema, type NetPatch } from "./net/types.js";
import { writeResolvConf } from "./system-files.js";

export class NetworkOps {
  constructor(private readonly core: EngineCore) {}

  async netGet(ctid: number) {
    const core = this.core;
    const rec = await core.mustGet(ctid);
    const running = (await core.drivers.runtime.state(ctid)) !== "STOPPED";
    const config = rec.net ?? emptyNetConfig();
    const devices = core.net.devices(ctid, config);
    return { config, devices: devices.map((d) => ({ name: d.name, hostIf: running ? d.hostIf : null, kind: d.kind })) };
  }

  /** Change the network; addresses, firewall and rate apply live, devices only while stopped. */
  async netSet(ctid: number, patchIn: unknown) {
    const core = this.core;
    const patch: NetPatch = parseNet(netPatchSchema, patchIn);
    await core.mustGet(ctid);
    await core.withLock(ctid, async () => {
      const rec = await core.mustGet(ctid);
      const old = rec.net ?? emptyNetConfig();
      const st = await core.drivers.runtime.state(ctid);
      const running = st !== "STOPPED";
      const next = await core.net.validate(ctid, core.net.merge(old, patch, running));
      if (running) {
        const pid = await core.drivers.runtime.initPid(ctid);
        if (!pid) throw new EngineError("NOT_RUNNING", `container ${ctid} has no init process; try again`);
        // registered before the change: a change that fails half-way leaves part of it applied
        const r = core.revert();
        r.add(`container ${ctid}: its network as it was`, () => core.net.applyLive(ctid, pid, next, old));
        try {
          await core.net.applyLive(ctid, pid, old, next);
          r.success();
        } catch (e) {
          await r.fail();
          throw wrapError(e, `Failed to change the network of container ${ctid}`);
        }
      }
      const updated: ContainerRecord = { ...rec, net: next };
      await core.records.put(updated);
      await core.writeRuntimeConfig(updated);
      await core.net.update(ctid, next);
      if (JSON.stringify(old.nameservers) !== JSON.stringify(next.nameservers)) {
        await writeResolvConf(core.drivers, updated, running);
      }
    });
    return this.netGet(ctid);
  }

  async netStats(ctids?: number[]): Promise<NetStats[]> {
    const { drivers, net } = this.core;
    const recs = await this.core.recordsOf(ctids);
    const views = await drivers.runtime.states(recs.map((r) => r.ctid));
    const running = new Map<number, string | null>();
    for (const r of recs) {
      const v = views.get(r.ctid);
      if (!v || v.state === "STOPPED") continue;
      running.set(r.ctid, v.initPid ? await bootId(v.initPid) : null);
    }
    return net.stats(recs, running);
  }

  async networkList() {
    return this.core.net.listNetworks();
  }
  async networkCreate(n: z.input<typeof networkSchema>) {
    await this.core.net.createNetwork(n);
    return (await this.networkList()).find((x) => x.name === n.name)!;
  }
  async networkDelete(name: string): Promise<void> {
    await this.core.net.deleteNetwork(name);
  }
}
