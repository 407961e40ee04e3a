/** Which AppArmor profile the containers get (native/src/apparmor.ts), against a fake /sys. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { containerApparmor, OVZ_APPARMOR_NESTING_PROFILE, OVZ_APPARMOR_PROFILE } from "../../src/apparmor.js";

let sys = "";
function fakeSys(enabled: string | null, profiles: string | null): string {
  sys = mkdtempSync(path.join(tmpdir(), "aa-sys-"));
  if (enabled !== null) {
    mkdirSync(path.join(sys, "module/apparmor/parameters"), { recursive: true });
    writeFileSync(path.join(sys, "module/apparmor/parameters/enabled"), `${enabled}\n`);
  }
  if (profiles !== null) {
    mkdirSync(path.join(sys, "kernel/security/apparmor"), { recursive: true });
    writeFileSync(path.join(sys, "kernel/security/apparmor/profiles"), profiles);
  }
  return sys;
}
afterEach(() => rmSync(sys, { recursive: true, force: true }));

describe("containerApparmor", () => {
  it("gives lxc-container-ovz where AppArmor is enforced and the profile is loaded", () => {
    const s = fakeSys("Y", "lxc-container-default-cgns (enforce)\nlxc-container-ovz (enforce)\n");
    const r = containerApparmor({}, s);
    expect(r.profile).toBe(OVZ_APPARMOR_PROFILE);
    // nesting falls back to the plain profile, and the warning says what to install
    expect(r.nestingProfile).toBe(OVZ_APPARMOR_PROFILE);
    expect(r.warning).toMatch(/lxc-container-ovz-nesting is not loaded.*scripts\/install\.sh/);
  });

  it("gives nesting containers lxc-container-ovz-nesting when it is loaded", () => {
    const s = fakeSys("Y", "lxc-container-ovz (enforce)\nlxc-container-ovz-nesting (enforce)\n");
    expect(containerApparmor({}, s)).toEqual({
      profile: OVZ_APPARMOR_PROFILE,
      nestingProfile: OVZ_APPARMOR_NESTING_PROFILE,
      warning: null,
    });
  });

  it("leaves LXC's default, with a warning that says what to run, when the profile is not loaded", () => {
    const s = fakeSys("Y", "lxc-container-default-cgns (enforce)\nlxc-container-ovz-old (enforce)\n");
    const r = containerApparmor({}, s);
    expect(r.profile).toBeNull();
    expect(r.warning).toMatch(/lxc-container-ovz is not loaded.*scripts\/install\.sh/);
  });

  it("sets nothing where the kernel does not enforce AppArmor (this CI host)", () => {
    expect(containerApparmor({}, fakeSys(null, null))).toEqual({ profile: null, nestingProfile: null, warning: null });
    expect(containerApparmor({}, fakeSys("N", "lxc-container-ovz (enforce)\n"))).toEqual({
      profile: null,
      nestingProfile: null,
      warning: null,
    });
  });

  it("follows OVZ_APPARMOR_PROFILE when the admin sets it ('' = LXC's default)", () => {
    const s = fakeSys("Y", "");
    expect(containerApparmor({ OVZ_APPARMOR_PROFILE: "unconfined" }, s).profile).toBe("unconfined");
    expect(containerApparmor({ OVZ_APPARMOR_PROFILE: "" }, s)).toEqual({
      profile: null,
      nestingProfile: null,
      warning: null,
    });
    const both = { OVZ_APPARMOR_PROFILE: "a", OVZ_APPARMOR_NESTING_PROFILE: "b" };
    expect(containerApparmor(both, s)).toMatchObject({ profile: "a", nestingProfile: "b" });
  });
});
