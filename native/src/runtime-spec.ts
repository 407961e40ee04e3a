/**
 * The runtime spec of a container (what the runtime driver renders into its LXC config) from its record and
 * what the engine core computed for it: pure, so the core keeps only the steps that need its state.
 */
import path from "node:path";
import type { EngineConfig } from "./config.js";
import type { RuntimeSpec } from "./drivers/runtime/types.js";
import { IDMAP_SIZE } from "./engine-types.js";
import { featureDeviceDir } from "./feature-devices.js";
import { gatePath } from "./gate.js";
import type { ContainerRecord } from "./records.js";

export interface SpecParts {
  hostGid: number;
  cgroupDir: string;
  monitorCgroupDir: string;
  cgroupKeys: RuntimeSpec["cgroupKeys"];
  network: RuntimeSpec["network"];
  view: RuntimeSpec["view"];
}

export function runtimeSpecFor(config: EngineConfig, rec: ContainerRecord, parts: SpecParts): RuntimeSpec {
  const features = rec.features ?? [];
  const dir = path.join(config.lxcPath, String(rec.ctid));
  return {
    ctid: rec.ctid,
    hostname: rec.hostname,
    // LXC mounts the rootfs from behind the gate (see gate.ts), never from the pool directly
    rootfs: gatePath(config.lxcPath, rec.ctid),
    idmap: { hostId: parts.hostGid, size: IDMAP_SIZE },
    init: rec.init,
    haltSignal: rec.haltSignal,
    cgroupDir: parts.cgroupDir,
    monitorCgroupDir: parts.monitorCgroupDir,
    cgroupKeys: parts.cgroupKeys,
    nofile: rec.limits.numfile,
    ptyMax: rec.limits.numpty,
    features,
    deviceDir: featureDeviceDir(config.lxcPath, rec.ctid),
    seccompProfile: features.includes("keyctl") ? config.seccompKeyctlProfile : config.seccompProfile,
    apparmorProfile: features.includes("nesting") ? config.apparmor.nestingProfile : config.apparmor.profile,
    logFile: path.join(dir, "lxc.log"),
    consoleLog: config.consoleLog ? path.join(dir, "console.log") : null,
    network: parts.network,
    view: parts.view,
  };
}
