import { describe, expect, it } from "vitest";
import { bootGroups } from "../../src/host-power.js";
import { loadConfig } from "../../src/config.js";

describe("host power", () => {
  it("groups containers by boot order: higher first, unset last, ctid within a group", () => {
    const groups = bootGroups([
      { ctid: 105, bootorder: null },
      { ctid: 103, bootorder: 10 },
      { ctid: 101, bootorder: 10 },
      { ctid: 102, bootorder: 99 },
      { ctid: 104 },
      { ctid: 106, bootorder: 0 },
    ]);
    expect(groups.map((g) => g.map((r) => r.ctid))).toEqual([[102], [101, 103], [106], [104, 105]]);
    expect(bootGroups([])).toEqual([]);
  });

  it("reads its settings from the environment and refuses bad ones with the setting's name", () => {
    expect(loadConfig({}).power).toEqual({ parallel: 4, stopMode: "stop", stopDeadlineSec: 180 });
    const c = loadConfig({ OVZ_BOOT_PARALLEL: "8", OVZ_STOP_MODE: "suspend", OVZ_STOP_DEADLINE: "30" });
    expect(c.power).toEqual({ parallel: 8, stopMode: "suspend", stopDeadlineSec: 30 });
    expect(() => loadConfig({ OVZ_STOP_MODE: "hibernate" })).toThrow(/OVZ_STOP_MODE must be "stop" or "suspend"/);
    expect(() => loadConfig({ OVZ_BOOT_PARALLEL: "0" })).toThrow(/OVZ_BOOT_PARALLEL must be a whole number/);
  });
});
