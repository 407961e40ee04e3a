/** The feature table (native/src/features.ts): names, the protocol's schema, OpenVZ's name:on|off switches. */
import { describe, expect, it } from "vitest";
import { applyFeatureSwitches, FEATURE_KEYS, FEATURES, featuresOutside, featuresSchema } from "../../src/features.js";

describe("features", () => {
  it("declares every key once, with its own row, description and risk", () => {
    expect(FEATURE_KEYS).toEqual(["nesting", "tun", "fuse", "keyctl"]);
    for (const k of FEATURE_KEYS) {
      expect(FEATURES[k].key).toBe(k);
      expect(FEATURES[k].description.length).toBeGreaterThan(20);
      expect(FEATURES[k].risk.length).toBeGreaterThan(20);
      expect(FEATURES[k].live).toBe(false);
    }
    expect(FEATURES.tun.devices).toEqual([{ name: "tun", major: 10, minor: 200, target: "dev/net/tun" }]);
    expect(FEATURES.fuse.devices).toEqual([{ name: "fuse", major: 10, minor: 229, target: "dev/fuse" }]);
  });

  it("the schema refuses unknown names with the list of known ones, drops duplicates and sorts in table order", () => {
    const bad = featuresSchema.safeParse(["tun", "kvm"]);
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toBe("unknown feature; features are nesting, tun, fuse, keyctl");
    expect(featuresSchema.parse(["keyctl", "tun", "tun", "nesting"])).toEqual(["nesting", "tun", "keyctl"]);
    expect(featuresSchema.safeParse("tun").success).toBe(false);
  });

  it("applies vzctl's --features name:on|off switches to a set", () => {
    expect(applyFeatureSwitches([], "tun:on,fuse:on")).toEqual(["tun", "fuse"]);
    expect(applyFeatureSwitches(["tun", "fuse"], "fuse:off, keyctl:on")).toEqual(["tun", "keyctl"]);
    expect(applyFeatureSwitches(["tun"], "tun:off")).toEqual([]);
    expect(() => applyFeatureSwitches([], "tun")).toThrow(/"tun" is not name:on or name:off/);
    expect(() => applyFeatureSwitches([], "tun:yes")).toThrow(/not name:on or name:off/);
    expect(() => applyFeatureSwitches([], "ppp:on")).toThrow(/unknown feature "ppp"; features are nesting/);
  });

  it("names what a set has beyond an allowed one", () => {
    expect(featuresOutside(["tun", "fuse", "nesting"], ["fuse"])).toEqual(["nesting", "tun"]);
    expect(featuresOutside(["fuse"], ["fuse", "tun"])).toEqual([]);
  });
});
