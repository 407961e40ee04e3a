/**
 * The fake engine's counters: interface traffic (container.net.stats) and resource usage (container.usage),
 * plausible values that grow while a container runs; tests set them through FakeEngine.
 */
import { driverOf } from "../../native/src/net/nic/index.js";
import { FAKE_HOST } from "./fake-checks.js";
import { devices } from "./fake-net.js";
import { getContainer, type FakeParams, type FakeState } from "./fake-state.js";

export function netStats(s: FakeState, p: FakeParams) {
  const ctids = p.ctids as number[] | undefined;
  if (ctids) for (const x of ctids) getContainer(s, x);
  const list = ctids ? ctids.map((x) => getContainer(s, x)) : [...s.containers.values()];
  const zero = { packets: 0, bytes: 0 };
  return list.map((c) => {
    const running = c.state === "running" || c.state === "suspended";
    const k = s.counters.get(c.ctid) ?? { rx: 0, tx: 0 };
    const devs = running ? devices(s, c.ctid).filter((d) => driverOf(d.kind).hostSide) : [];
    // all traffic on the first device, like a container with one interface
    const ifaces = devs.map((d, i) => ({
      name: d.name,
      hostIf: d.hostIf,
      rxBytes: i ? 0 : k.rx,
      txBytes: i ? 0 : k.tx,
      rxPackets: i ? 0 : Math.ceil(k.rx / 1500),
      txPackets: i ? 0 : Math.ceil(k.tx / 1500),
    }));
    return {
      ctid: c.ctid,
      running,
      boot: running ? `fake-${c.ctid}-${s.boots.get(c.ctid) ?? 0}` : null,
      ifaces,
      spoofDropped: zero,
      firewallDropped: zero,
    };
  });
}

export function usage(s: FakeState, p: FakeParams) {
  const ctids = p.ctids as number[] | undefined;
  if (ctids) for (const x of ctids) getContainer(s, x);
  const list = ctids ? ctids.map((x) => getContainer(s, x)) : [...s.containers.values()];
  const now = s.usageClock?.() ?? Date.now();
  return list
    .filter((c) => c.state === "running" || c.state === "suspended")
    .sort((a, b) => a.ctid - b.ctid)
    .map((c) => {
      // plausible, steadily growing counters: a few % of a core, tens of MiB, a little disk I/O
      const sec = Math.max(0, (now - (s.startedAt.get(c.ctid) ?? now)) / 1000);
      const mem = Math.min(c.limits.ram, (24 + (c.ctid % 5) * 8) * 1024 * 1024);
      return {
        ctid: c.ctid,
        initPid: c.initPid ?? 4242,
        cgroup: `/ovz/${c.ctid}`,
        cpuNs: Math.round(sec * 1e9 * (0.02 + (c.ctid % 7) * 0.03)),
        memBytes: mem,
        memMaxBytes: Math.min(c.limits.ram, mem + 4 * 1024 * 1024),
        memLimitBytes: c.limits.ram,
        swapBytes: 0,
        nproc: 3 + (c.ctid % 4),
        ioReadBytes: Math.round(sec * 4096),
        ioWriteBytes: Math.round(sec * 16384),
        oomKills: 0,
        forkFails: 0,
        sampledAt: now,
        ...s.usageOverride.get(c.ctid),
      };
    });
}

/** host.stats: a 2-CPU host a quarter busy (more with each running container), its pool 10 % used. */
export function hostStats(s: FakeState) {
  const cs = [...s.containers.values()];
  const running = cs.filter((c) => c.state === "running" || c.state === "suspended").length;
  const total = Math.round((performance.now() / 10) * FAKE_HOST.cpus); // jiffies (100 Hz) since the fake began
  const busyShare = Math.min(0.95, 0.25 + running * 0.05);
  return {
    cpu: { busy: Math.round(total * busyShare), total },
    cpus: FAKE_HOST.cpus,
    load: [0.5 + running * 0.1, 0.4, 0.3] as [number, number, number],
    memory: { totalBytes: FAKE_HOST.memoryBytes, availableBytes: FAKE_HOST.memoryBytes - (2 + running) * 1024 ** 3 },
    swap: { totalBytes: 0, freeBytes: 0 },
    pool: { totalBytes: 100 * 1024 ** 3, freeBytes: 90 * 1024 ** 3 },
    uptimeSec: Math.round(performance.now() / 1000),
    containers: { total: cs.length, running },
  };
}
