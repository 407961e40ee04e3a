/**
 * What the CLI knows about one container: the panel's row joined with the node's view (engine
 * container.status / limits / beancounters). vzlist and `prlctl list` format these; vzctl prints them.
 * Every size is in bytes, every count a plain number; null = unknown / not applicable (stopped).
 */
import type { Limits } from "../../native/src/settings.js";

export type CtStatus = "running" | "stopped" | "suspended" | "mounted" | "creating" | "error";

export interface CtRow {
  ctid: number;
  /** prlctl/vzctl --name; null when unset */
  name: string | null;
  hostname: string;
  /** the container's description (vzctl --description); null when unset */
  description: string | null;
  status: CtStatus;
  /** every address, IPv4 first */
  ips: string[];
  /** template name (vzlist "ostemplate") */
  ostemplate: string;
  onboot: boolean;
  /** start order at boot (vzctl --bootorder), higher first; null when unset */
  bootorder: number | null;
  /** panel tenant name ("owner" column) and plan name ("config" column) */
  owner: string;
  plan: string;
  /** the container's root at a stable host path (OpenVZ VE_ROOT) and its private area (VE_PRIVATE) */
  root: string;
  private: string;
  /** effective limits (plan + overrides), as the engine applies them */
  limits: Limits;
  /** usage, null when stopped or unknown */
  numproc: number | null;
  /** memory in use (bytes) and the maximum seen */
  physpages: number | null;
  swappages: number | null;
  /** disk usage in bytes and inodes (null when the storage cannot tell) */
  diskspace: number | null;
  diskinodes: number | null;
  /** seconds since start, and the 1/5/15-minute load average inside (null when stopped) */
  uptime: number | null;
  laverage: [number, number, number] | null;
  /** beancounter fail counts by resource name (e.g. numproc, physpages, numfile) */
  failcnt: Record<string, number>;
  createdAt: Date;
}
