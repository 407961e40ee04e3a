/** The `prlctl list` field table (PrlList.cpp `vm_field_tbl`) and the container view it reads. */
import type { CtRow } from "./types.js";
import { nonEmpty, pad, strcmp, type Cmp } from "./printf.js";

/**
 * The UUID `prlctl` shows for a container: derived from the CTID, stable and reversible —
 * "{00000000-0000-0000-0000-" + CTID as 12 decimal digits + "}" (101 → …-000000000101}).
 * Not an RFC 4122 UUID, but the same shape and length (38 with braces), so columns line up.
 */
export function ctUuid(ctid: number): string {
  return `{00000000-0000-0000-0000-${String(ctid).padStart(12, "0")}}`;
}

/** --vmtype: containers, virtual machines (there are none here) or both. */
export type PrlVmtype = "ct" | "vm" | "all";

/** One container as prlctl sees it. */
export interface PrlCt {
  row: CtRow;
  uuid: string;
  /** every Virtuozzo container has a name; ours may not: the CTID then */
  name: string;
  /** IPv4, then IPv6, then link-local IPv6 (PrlList.cpp SortNetAddresses) */
  ips: string[];
}

export function prlView(row: CtRow): PrlCt {
  const v6 = (ip: string) => ip.includes(":");
  const ll = (ip: string) => /^fe80:/i.test(ip);
  const ips = [
    ...row.ips.filter((ip) => !v6(ip)),
    ...row.ips.filter((ip) => v6(ip) && !ll(ip)),
    ...row.ips.filter((ip) => v6(ip) && ll(ip)),
  ];
  return { row, uuid: ctUuid(row.ctid), name: nonEmpty(row.name) ?? String(row.ctid), ips };
}

/** One `prlctl list` field (vm_field_tbl). */
export interface PrlField {
  name: string;
  header: string;
  /** printf format including the separating space, e.g. "%-39s "; the last column prints "%s" */
  fmt: string;
  /** accepted by -o/-s but not listed by -L */
  hidden: boolean;
  /** container-only field (left out of -L with --vmtype vm) */
  ctOnly?: boolean;
  value: (ct: PrlCt, last: boolean) => string;
  cmp: Cmp<PrlCt> | null;
}

const dashIfEmpty = (s: string | null | undefined) => (s == null || s === "" ? "-" : s);
const byUuid: Cmp<PrlCt> = (a, b) => strcmp(a.uuid, b.uuid);
const byPrlName: Cmp<PrlCt> = (a, b) => strcmp(a.name, b.name);

/** _get_ip(): the first address, or (last column) all of them, each followed by a space, plus one more. */
function prlIp(ct: PrlCt, last: boolean): string {
  if (!last) return dashIfEmpty(ct.ips[0]);
  return `${ct.ips.map((ip) => `${ip} `).join("")} `;
}

/**
 * The prlctl list field table, in the original's order, restricted to what a CtRow can supply.
 * Left out: system-flags (VMs), netif, mac, features, location, netdev, ha_enable, ha_prio.
 */
export const PRLCTL_FIELDS: readonly PrlField[] = [
  { name: "uuid", header: "UUID", fmt: "%-39s ", hidden: false, value: (ct) => ct.uuid, cmp: byUuid },
  { name: "id", header: "UUID", fmt: "%-39s ", hidden: true, value: (ct) => ct.uuid, cmp: byUuid },
  { name: "ctid", header: "UUID", fmt: "%-39s ", hidden: true, value: (ct) => ct.uuid, cmp: byUuid },
  { name: "veid", header: "UUID", fmt: "%-39s ", hidden: true, value: (ct) => ct.uuid, cmp: byUuid },
  { name: "envid", header: "ENVID", fmt: "%-10s ", hidden: false, value: (ct) => String(ct.row.ctid), cmp: null },
  { name: "status", header: "STATUS", fmt: "%-12s ", hidden: false, value: (ct) => ct.row.status, cmp: null },
  { name: "name", header: "NAME", fmt: "%-32s ", hidden: false, value: (ct) => ct.name, cmp: byPrlName },
  {
    name: "dist",
    header: "DIST",
    fmt: "%-15s ",
    hidden: false,
    value: (ct) => dashIfEmpty(ct.row.ostemplate),
    cmp: null,
  },
  { name: "owner", header: "OWNER", fmt: "%-32s ", hidden: false, value: (ct) => ct.row.owner, cmp: null },
  {
    name: "description",
    header: "DESCRIPTION",
    fmt: "%-32s ",
    hidden: false,
    value: (ct) => dashIfEmpty(ct.row.description),
    cmp: null,
  },
  // prlctl prints "-" for it, always
  { name: "numproc", header: "NPROC", fmt: "%9s ", hidden: false, ctOnly: true, value: () => "-", cmp: null },
  { name: "ip", header: "IP_ADDR", fmt: "%-15s ", hidden: false, value: prlIp, cmp: null },
  { name: "ip_configured", header: "IP_ADDR", fmt: "%-15s ", hidden: false, value: prlIp, cmp: null },
  {
    name: "hostname",
    header: "HOSTNAME",
    fmt: "%-32s ",
    hidden: false,
    value: (ct) => dashIfEmpty(ct.row.hostname),
    cmp: null,
  },
  {
    name: "ostemplate",
    header: "OSTEMPLATE",
    fmt: "%-24s ",
    hidden: true,
    value: (ct) => ct.row.ostemplate,
    cmp: null,
  },
  {
    name: "iolimit",
    header: "IOLIMIT",
    fmt: "%-10s ",
    hidden: false,
    value: (ct) => String(ct.row.limits.iolimit),
    cmp: null,
  },
  { name: "type", header: "T", fmt: "%-2s ", hidden: false, value: () => "CT", cmp: null },
  { name: "-", header: "-", fmt: "%-10s ", hidden: false, value: () => "-", cmp: null },
];

export const PRL_FIELD_BY_NAME = new Map(PRLCTL_FIELDS.map((f) => [f.name, f]));

/** `prlctl list -L`: "%-20s %s" of every field not hidden. */
export function prlctlFieldList(vmtype: PrlVmtype = "all"): string {
  return PRLCTL_FIELDS.filter((f) => !f.hidden && !(vmtype === "vm" && f.ctOnly))
    .map((f) => `${pad(f.name, 20, true)} ${f.header}\n`)
    .join("");
}
