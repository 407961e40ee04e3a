/**
 * AppArmor for the containers. LXC's default profile for unprivileged containers
 * (lxc-container-default-cgns) refuses the bind mounts and read-only remounts systemd's sandboxing makes
 * (PrivateTmp=, ProtectSystem=, ...), so in a Debian 12 container systemd-logind, systemd-tmpfiles-setup and
 * others fail and the container boots "degraded". scripts/apparmor/lxc-container-ovz adds what LXC's and LXD's
 * generated profiles grant unprivileged containers; scripts/install.sh installs it with LXC's profiles
 * (/etc/apparmor.d/lxc/, loaded at every boot by the apparmor service). One static profile, loaded once:
 * a start costs no apparmor_parser run (LXC's `generated` profile would compile one per start).
 */
import { readFileSync } from "node:fs";
import path from "node:path";

/** named lxc-*: lxc-start's own profile may change only to lxc-* profiles */
export const OVZ_APPARMOR_PROFILE = "lxc-container-ovz";
/** the profile of containers with the nesting feature (scripts/apparmor/lxc-container-ovz-nesting) */
export const OVZ_APPARMOR_NESTING_PROFILE = "lxc-container-ovz-nesting";

/** Does the kernel enforce AppArmor? */
export function apparmorEnabled(sys = "/sys"): boolean {
  try {
    return readFileSync(path.join(sys, "module/apparmor/parameters/enabled"), "utf8").trim() === "Y";
  } catch {
    return false;
  }
}

/** Is a profile of this name loaded ("<name> (enforce)" in securityfs' profile list)? */
export function profileLoaded(name: string, sys = "/sys"): boolean {
  let list: string;
  try {
    list = readFileSync(path.join(sys, "kernel/security/apparmor/profiles"), "utf8");
  } catch {
    return false;
  }
  return list.split("\n").some((l) => l.startsWith(`${name} (`));
}

export interface ContainerApparmor {
  /** lxc.apparmor.profile for the containers; null = LXC's default (or no AppArmor on this host) */
  profile: string | null;
  /**
   * lxc.apparmor.profile for containers with the nesting feature: lxc-container-ovz-nesting when loaded, else the
   * same as `profile` (nested proc mounts are then refused by AppArmor: `warning` says so)
   */
  nestingProfile: string | null;
  /** why the containers do not get lxc-container-ovz on a host that enforces AppArmor (logged at start) */
  warning: string | null;
}

/**
 * The containers' profile: OVZ_APPARMOR_PROFILE when set ("" = LXC's default), else lxc-container-ovz when the
 * kernel enforces AppArmor and the profile is loaded.
 */
export function containerApparmor(env: NodeJS.ProcessEnv = process.env, sys = "/sys"): ContainerApparmor {
  const set = env.OVZ_APPARMOR_PROFILE;
  if (set !== undefined) {
    const profile = set === "" ? null : set;
    const nesting = env.OVZ_APPARMOR_NESTING_PROFILE;
    return { profile, nestingProfile: nesting === undefined ? profile : nesting || null, warning: null };
  }
  if (!apparmorEnabled(sys)) return { profile: null, nestingProfile: null, warning: null };
  if (profileLoaded(OVZ_APPARMOR_PROFILE, sys)) {
    if (profileLoaded(OVZ_APPARMOR_NESTING_PROFILE, sys)) {
      return { profile: OVZ_APPARMOR_PROFILE, nestingProfile: OVZ_APPARMOR_NESTING_PROFILE, warning: null };
    }
    return {
      profile: OVZ_APPARMOR_PROFILE,
      nestingProfile: OVZ_APPARMOR_PROFILE,
      warning:
        `the AppArmor profile ${OVZ_APPARMOR_NESTING_PROFILE} is not loaded: containers with the nesting feature ` +
        `cannot mount proc inside. Run scripts/install.sh (it installs /etc/apparmor.d/lxc/` +
        `${OVZ_APPARMOR_NESTING_PROFILE}), then restart the engine`,
    };
  }
  return {
    profile: null,
    nestingProfile: null,
    warning:
      `the AppArmor profile ${OVZ_APPARMOR_PROFILE} is not loaded: containers get LXC's default profile, under ` +
      `which systemd inside them cannot sandbox its services (they boot "degraded"). Run scripts/install.sh ` +
      `(it installs /etc/apparmor.d/lxc/${OVZ_APPARMOR_PROFILE} and loads /etc/apparmor.d/lxc-containers), ` +
      `then restart the engine`,
  };
}
