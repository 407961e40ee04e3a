/** Pure parts of the panel's networking: address arithmetic, pool checks, the NetConfig built from rows. */
import { describe, expect, it } from "vitest";
import { netConfigSchema } from "../../../native/src/net/types.js";
import { PanelError } from "../../errors.js";
import { bigToIp, checkPool, ipToBig, rangeSize, subnetOf } from "../../services/ipam.js";
import { devicesFor, firewallOf, netConfigFor, rateOf } from "../../services/network.js";
import { lastDays, monthDays, utcDay, utcMonth } from "../../services/traffic.js";

describe("address arithmetic", () => {
  it("IPv4 and IPv6 to BigInt and back, in canonical form", () => {
    expect(ipToBig("0.0.0.0")).toBe(0n);
    expect(ipToBig("198.18.0.10")).toBe((198n << 24n) | (18n << 16n) | 10n);
    expect(ipToBig("255.255.255.255")).toBe(2n ** 32n - 1n);
    expect(bigToIp(ipToBig("198.18.0.255") + 1n, 4)).toBe("198.18.1.0");
    expect(ipToBig("::")).toBe(0n);
    expect(ipToBig("::1")).toBe(1n);
    expect(ipToBig("FD00::1:0:0")).toBe((0xfd00n << 112n) | (1n << 32n));
    expect(bigToIp(2n ** 128n - 1n, 6)).toBe("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    expect(bigToIp(ipToBig("fd00:6::ffff:ffff") + 1n, 6)).toBe("fd00:6::1:0:0");
    expect(bigToIp(ipToBig("2001:db8:0:0:1:0:0:1"), 6)).toBe("2001:db8::1:0:0:1");
    for (const a of ["fd00::", "fe80::1", "2001:db8:85a3::8a2e:370:7334", "::ffff:1.2.3.4"])
      expect(ipToBig(bigToIp(ipToBig(a), 6))).toBe(ipToBig(a));
  });

  it("subnets and range sizes", () => {
    expect(subnetOf("198.18.5.7/24")).toMatchObject({
      family: 4,
      prefix: 24,
      canonical: "198.18.5.0/24",
      first: ipToBig("198.18.5.0"),
      last: ipToBig("198.18.5.255"),
    });
    expect(subnetOf("fd00:1::5/64")).toMatchObject({
      family: 6,
      canonical: "fd00:1::/64",
      last: ipToBig("fd00:1::ffff:ffff:ffff:ffff"),
    });
    expect(subnetOf("10.0.0.0/33")).toBeNull();
    expect(subnetOf("nonsense")).toBeNull();
    expect(rangeSize("198.18.0.10", "198.18.0.99")).toBe(90);
    expect(rangeSize("fd00::", "fd00::ffff")).toBe(65536);
  });
});

describe("pool checks", () => {
  const base = {
    name: "p",
    kind: "venet" as const,
    cidr: "198.18.1.0/24",
    rangeStart: "198.18.1.10",
    rangeEnd: "198.18.1.20",
  };
  const fields = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(PanelError);
      return (e as PanelError).fields;
    }
    throw new Error("expected a refusal");
  };
  it("accepts a range inside its subnet and normalises it", () => {
    expect(checkPool({ ...base, cidr: "198.18.1.77/24", gateway: "198.18.1.1" })).toEqual({
      family: 4,
      cidr: "198.18.1.0/24",
      gateway: "198.18.1.1",
      rangeStart: "198.18.1.10",
      rangeEnd: "198.18.1.20",
      network: null,
    });
    expect(
      checkPool({
        ...base,
        kind: "veth",
        network: "lan",
        cidr: "FD00::/64",
        rangeStart: "FD00::A",
        rangeEnd: "fd00::00ff",
      }),
    ).toMatchObject({ family: 6, cidr: "fd00::/64", rangeStart: "fd00::a", rangeEnd: "fd00::ff", network: "lan" });
  });
  it("refuses ranges outside the subnet, reversed ranges, mixed families and a missing network", () => {
    expect(fields(() => checkPool({ ...base, rangeEnd: "198.18.2.1" }))).toEqual({
      rangeEnd: "outside the subnet 198.18.1.0/24",
    });
    expect(fields(() => checkPool({ ...base, rangeStart: "198.18.1.30" }))).toEqual({
      rangeEnd: "the range ends before it starts",
    });
    expect(fields(() => checkPool({ ...base, gateway: "fd00::1" }))).toEqual({ gateway: "the subnet is IPv4" });
    expect(fields(() => checkPool({ ...base, cidr: "198.18.1.0" }))).toHaveProperty("cidr");
    expect(fields(() => checkPool({ ...base, kind: "veth" }))).toEqual({
      network: "veth pools need the engine network their NICs join",
    });
  });
});

describe("NetConfig from the database", () => {
  const plan = { bandwidthMbps: 100, throttleKbit: 512 };
  const pool = { id: "p", name: "lan", kind: "veth", network: "lan", family: 4 } as never;
  it("rate: the plan's bandwidth, the throttle rate when throttled (never above the bandwidth), 0 = unlimited", () => {
    expect(rateOf(plan, false)).toEqual({ inKbit: 100_000, outKbit: 100_000 });
    expect(rateOf(plan, true)).toEqual({ inKbit: 512, outKbit: 512 });
    expect(rateOf({ bandwidthMbps: 0, throttleKbit: 1024 }, false)).toEqual({ inKbit: 0, outKbit: 0 });
    expect(rateOf({ bandwidthMbps: 0, throttleKbit: 1024 }, true)).toEqual({ inKbit: 1024, outKbit: 1024 });
    expect(rateOf({ bandwidthMbps: 1, throttleKbit: 4096 }, true)).toEqual({ inKbit: 1000, outKbit: 1000 });
  });
  it("venet → venet addresses; veth → one eth0 on the pool's network; none → nothing; valid for the engine", () => {
    const addrs = [
      { address: "198.18.6.10", pool },
      { address: "198.18.6.11", pool },
    ];
    expect(devicesFor("venet", addrs)).toEqual({ venet: ["198.18.6.10", "198.18.6.11"], nics: [] });
    expect(devicesFor("veth", addrs)).toEqual({
      venet: [],
      nics: [{ type: "veth", name: "eth0", network: "lan", ips: ["198.18.6.10", "198.18.6.11"], antiSpoof: true }],
    });
    expect(devicesFor("veth", [])).toEqual({ venet: [], nics: [] });
    expect(devicesFor("none", addrs)).toEqual({ venet: [], nics: [] });
    const cfg = netConfigFor(
      {
        netMode: "veth",
        firewall:
          '{"enabled":true,"policyIn":"drop","rules":[{"direction":"in","action":"accept","proto":"tcp","ports":"22"}]}',
        throttled: false,
        plan,
      },
      addrs,
    );
    const parsed = netConfigSchema.parse(cfg);
    expect(parsed.firewall).toEqual({
      enabled: true,
      policyIn: "drop",
      policyOut: "accept",
      rules: [{ direction: "in", action: "accept", proto: "tcp", ports: "22" }],
    });
    expect(parsed.rate).toEqual({ inKbit: 100_000, outKbit: 100_000 });
    // a column that no longer parses counts as the engine's default (disabled)
    expect(firewallOf({ firewall: "not json" })).toEqual({
      enabled: false,
      policyIn: "accept",
      policyOut: "accept",
      rules: [],
    });
    expect(firewallOf({ firewall: '{"enabled":"yes"}' })).toEqual({
      enabled: false,
      policyIn: "accept",
      policyOut: "accept",
      rules: [],
    });
  });
});

describe("UTC days and months", () => {
  it("names days and months in UTC and lists the last n days", () => {
    expect(utcDay(new Date("2026-11-30T23:59:59Z"))).toBe("2026-11-30");
    expect(utcMonth(new Date("2026-12-01T00:00:00Z"))).toBe("2026-12");
    expect(monthDays("2026-02")).toEqual({ gte: "2026-02-01", lte: "2026-02-31" });
    expect(lastDays(new Date("2026-03-02T05:00:00Z"), 4)).toEqual([
      "2026-02-27",
      "2026-02-28",
      "2026-03-01",
      "2026-03-02",
    ]);
  });
});

describe("engine errors from another copy of the module (Next bundles instrumentation apart)", () => {
  it("are still mapped by their code, not as unexpected 500s", async () => {
    const { isEngineError, toTRPCError, describeError } = await import("../../errors.js");
    const { EngineError } = await import("../../../native/src/errors.js");
    // what the other bundle's class produces: same name and fields, another prototype
    class ForeignEngineError extends Error {
      constructor(
        readonly code: string,
        message: string,
      ) {
        super(message);
        this.name = "EngineError";
      }
    }
    const foreign = new ForeignEngineError("BUSY", "network lan is used by container(s) 101");
    expect(foreign instanceof EngineError).toBe(false);
    expect(isEngineError(foreign)).toBe(true);
    expect(isEngineError(foreign, "BUSY")).toBe(true);
    expect(isEngineError(foreign, "NOT_FOUND")).toBe(false);
    expect(isEngineError(new EngineError("NOT_FOUND", "x"), "NOT_FOUND")).toBe(true);
    expect(isEngineError(new ForeignEngineError("NO_SUCH_CODE", "x"))).toBe(false);
    expect(isEngineError(Object.assign(new Error("x"), { code: "BUSY" }))).toBe(false);
    const t = toTRPCError(foreign) as unknown as { code: string; data: { domainCode: string } };
    expect(t.code).toBe("CONFLICT");
    expect(t.data.domainCode).toBe("ENGINE_BUSY");
    expect(describeError(foreign)).toBe("network lan is used by container(s) 101");
  });
});
