/**
 * Host-side network plumbing with iproute2 (argument arrays, never a shell): addresses and routes,
 * bandwidth shaping, counters. Commands for the inside of a container run the HOST's `ip` binary in
 * the container's network namespace only (nsenter -n), so nothing from the container is executed.
 */
import { run } from "../exec.js";
import { EngineError } from "../errors.js";
import { hostIfName, ipVersion, type Rate } from "./types.js";

export function ip(args: string[], opts: { allowFailure?: boolean } = {}) {
  return run("ip", args, opts);
}

/** `ip` inside the network namespace of process `pid` (a container's init). */
export function ipIn(pid: number, args: string[], opts: { allowFailure?: boolean } = {}) {
  return run("nsenter", ["-t", String(pid), "-n", "--", "ip", ...args], opts);
}

export interface LinkStats {
  name: string;
  kind: string | null;
  rxBytes: number;
  txBytes: number;
  rxPackets: number;
  txPackets: number;
}

/** One device of `ip -s -d -j link show`, as far as it is read here. */
interface IpLinkJson {
  ifname: string;
  linkinfo?: { info_kind?: string };
  stats64?: { rx?: { bytes?: number; packets?: number }; tx?: { bytes?: number; packets?: number } };
}

export async function listLinks(): Promise<Map<string, LinkStats>> {
  const r = await ip(["-s", "-d", "-j", "link", "show"]);
  const out = new Map<string, LinkStats>();
  for (const l of JSON.parse(r.stdout) as IpLinkJson[]) {
    const s = l.stats64 ?? {};
    out.set(l.ifname, {
      name: l.ifname,
      kind: l.linkinfo?.info_kind ?? null,
      rxBytes: s.rx?.bytes ?? 0,
      txBytes: s.tx?.bytes ?? 0,
      rxPackets: s.rx?.packets ?? 0,
      txPackets: s.tx?.packets ?? 0,
    });
  }
  return out;
}

export async function linkExists(name: string): Promise<boolean> {
  return (await ip(["link", "show", "dev", name], { allowFailure: true })).code === 0;
}

// ---------------------------------------------------------------- venet addresses

/** Add one address to a running container's venet0 and route it from the host. */
export async function venetAddLive(pid: number, hostIf: string, addr: string, firstOfFamily: boolean): Promise<void> {
  const v = ipVersion(addr);
  const pfx = v === 4 ? 32 : 128;
  if (v === 6 && firstOfFamily) await venetNoDad(pid, hostIf);
  await ipIn(pid, [`-${v}`, "addr", "add", `${addr}/${pfx}`, "dev", "venet0", ...(v === 6 ? ["nodad"] : [])]);
  if (firstOfFamily) {
    if (v === 4) {
      await ipIn(pid, ["-4", "route", "replace", "169.254.0.1", "dev", "venet0"]);
      await ipIn(pid, ["-4", "route", "replace", "default", "via", "169.254.0.1", "dev", "venet0"]);
      await ip(["-4", "neigh", "replace", "proxy", "169.254.0.1", "dev", hostIf]);
    } else {
      await ipIn(pid, ["-6", "route", "replace", "default", "via", "fe80::1", "dev", "venet0"]);
      // what LXC's router mode does at a start with IPv6: the host side answers NDP for fe80::1
      await run("sysctl", ["-q", "-w", `net.ipv6.conf.${hostIf}.proxy_ndp=1`]);
      await ip(["-6", "neigh", "replace", "proxy", "fe80::1", "dev", hostIf]);
    }
  }
  await ip([`-${v}`, "route", "replace", `${addr}/${pfx}`, "dev", hostIf]);
}

export async function venetDelLive(pid: number, hostIf: string, addr: string): Promise<void> {
  const v = ipVersion(addr);
  const pfx = v === 4 ? 32 : 128;
  await ip([`-${v}`, "route", "del", `${addr}/${pfx}`, "dev", hostIf], { allowFailure: true });
  await ipIn(pid, [`-${v}`, "addr", "del", `${addr}/${pfx}`, "dev", "venet0"], { allowFailure: true });
}

/**
 * IPv6 on venet is usable at once, as OpenVZ's venet was: the host assigns venet addresses and IPAM keeps
 * them unique, so duplicate address detection would only hold every address (the link-locals that
 * neighbour discovery with the fe80::1 gateway needs included) "tentative" for 1-2 s after a start. Both
 * sides get accept_dad=0, and what LXC already put there tentatively is put back without DAD (`nodad`).
 */
export async function venetNoDad(pid: number, hostIf: string): Promise<void> {
  await run("sysctl", ["-q", "-w", `net.ipv6.conf.${hostIf}.accept_dad=0`]);
  await readdWithoutDad((args) => ip(args), hostIf);
  await run("nsenter", ["-t", String(pid), "-n", "--", "sysctl", "-q", "-w", "net.ipv6.conf.venet0.accept_dad=0"]);
  await readdWithoutDad((args) => ipIn(pid, args), "venet0");
}

async function readdWithoutDad(ipf: (args: string[]) => ReturnType<typeof ip>, dev: string): Promise<void> {
  const r = await ipf(["-6", "-j", "addr", "show", "dev", dev, "tentative"]);
  const links = JSON.parse(r.stdout || "[]") as Array<{ addr_info?: Array<{ local?: string; prefixlen?: number }> }>;
  for (const a of links.flatMap((l) => l.addr_info ?? [])) {
    if (!a.local || a.prefixlen === undefined) continue;
    const cidr = `${a.local}/${a.prefixlen}`;
    await ipf(["-6", "addr", "del", cidr, "dev", dev]);
    await ipf(["-6", "addr", "add", cidr, "dev", dev, "nodad"]);
  }
}

/**
 * Waits (up to `ms`) until both ends of a container's veth pair are operationally up: the kernel turns a
 * device's queue on only when its link-watch work has seen the carrier, which on a loaded host can lag
 * the start by a second or more — packets sent before that are dropped. A start returns a container whose
 * network carries its first packet. Not fatal: after `ms` it returns false and the link comes up later.
 */
export async function waitLinkUp(pid: number, hostIf: string, inside: string, ms = 10_000): Promise<boolean> {
  const up = async (r: Promise<{ stdout: string; code: number }>) => {
    const out = await r.catch(() => ({ stdout: "", code: 1 }));
    return out.code === 0 && (JSON.parse(out.stdout || "[]") as Array<{ operstate?: string }>)[0]?.operstate === "UP";
  };
  const end = Date.now() + ms;
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    const [h, c] = await Promise.all([
      up(ip(["-j", "link", "show", "dev", hostIf], { allowFailure: true })),
      up(ipIn(pid, ["-j", "link", "show", "dev", inside], { allowFailure: true })),
    ]);
    if (h && c) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** The host side of a venet device answers as the container's IPv4 gateway. */
export async function venetHostSide(hostIf: string): Promise<void> {
  await ip(["addr", "replace", "169.254.0.1/32", "dev", hostIf]);
}

// ---------------------------------------------------------------- shaping

/**
 * Token bucket shaping on the host side. "in" (to the container) is the egress of the host-side device;
 * "out" (from the container) arrives as that device's ingress, which is redirected to an IFB device and
 * shaped on its egress — the container cannot change either.
 */
export async function applyRate(hostIf: string, rate: Rate): Promise<void> {
  const ifb = hostIfName.ifb(hostIf);
  if (rate.inKbit > 0) await tc(["qdisc", "replace", "dev", hostIf, "root", ...tbf(rate.inKbit)]);
  else await tc(["qdisc", "del", "dev", hostIf, "root"], true);
  if (rate.outKbit > 0) {
    if (!(await linkExists(ifb))) await ip(["link", "add", "name", ifb, "type", "ifb"]);
    await ip(["link", "set", "dev", ifb, "up"]);
    await tc(["qdisc", "replace", "dev", ifb, "root", ...tbf(rate.outKbit)]);
    await tc(["qdisc", "replace", "dev", hostIf, "handle", "ffff:", "ingress"]);
    await tc([
      "filter",
      "replace",
      "dev",
      hostIf,
      "parent",
      "ffff:",
      "pref",
      "10",
      "protocol",
      "all",
      "u32",
      "match",
      "u32",
      "0",
      "0",
      "action",
      "mirred",
      "egress",
      "redirect",
      "dev",
      ifb,
    ]);
  } else {
    await tc(["qdisc", "del", "dev", hostIf, "ingress"], true);
    await ip(["link", "del", "dev", ifb], { allowFailure: true });
  }
}

/** Remove what shaping leaves outside the device's lifetime (the IFB); the rest dies with the device. */
export async function removeRate(hostIf: string): Promise<void> {
  await ip(["link", "del", "dev", hostIfName.ifb(hostIf)], { allowFailure: true });
}

function tbf(kbit: number): string[] {
  // Burst: 20 ms worth of traffic, at least 32 KiB (several TSO segments), so TCP reaches the rate.
  const bytesPerSec = (kbit * 1000) / 8;
  const burst = Math.max(32 * 1024, Math.ceil(bytesPerSec * 0.02));
  return ["tbf", "rate", `${kbit}kbit`, "burst", String(burst), "latency", "100ms"];
}

async function tc(args: string[], tolerateMissing = false): Promise<void> {
  const r = await run("tc", args, { allowFailure: true });
  if (r.code === 0) return;
  if (tolerateMissing && /No such file|Cannot find|Invalid handle|not found/i.test(r.stderr)) return;
  if (tolerateMissing && /Cannot delete qdisc with handle of zero/i.test(r.stderr)) return;
  throw new EngineError("HOST_TOOL_FAILED", `tc ${args.join(" ")} failed: ${r.stderr.trim()}`);
}

/** Read back the shaping of a host-side device (for tests and status). */
export async function readRate(hostIf: string): Promise<{ inKbit: number; outKbit: number }> {
  const rateOf = async (dev: string) => {
    const r = await run("tc", ["-j", "qdisc", "show", "dev", dev], { allowFailure: true });
    if (r.code !== 0) return 0;
    const q = (JSON.parse(r.stdout) as Array<{ kind: string; root?: boolean; options?: { rate?: number } }>).find(
      (x) => x.kind === "tbf",
    );
    return q?.options?.rate ? Math.round((q.options.rate * 8) / 1000) : 0;
  };
  return { inKbit: await rateOf(hostIf), outKbit: await rateOf(hostIfName.ifb(hostIf)) };
}
