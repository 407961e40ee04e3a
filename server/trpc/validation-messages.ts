/**
 * Input validation failures in the user's words: one sentence per field (for the form, keyed by the input
 * path the form looks up, e.g. "limits.ram"), and one summary that names fields by their labels, never by
 * internal paths ("limits.ram:", "firewall.rules.0.ports:"). zod's stock messages ("Expected number,
 * received nan", "String must contain at least 1 character(s)") are replaced; a schema's own message
 * ("use at least 10 characters") is kept, as a sentence. Used by the tRPC error formatter (init.ts) and by
 * services that validate a patch themselves (container-settings.ts).
 */
import { defaultErrorMap, type ZodIssue } from "zod";
import { LIMITS, type LimitKey } from "../../native/src/settings.js";
import { CUSTOMER_QUOTA } from "../services/customer-quota-fields.js";

/** Labels of input fields, as the panel's forms name them. */
const LABELS: Record<string, string> = {
  bandwidthMbps: "Bandwidth",
  ipCount: "IP addresses",
  trafficQuotaGb: "Traffic quota",
  throttleKbit: "Throttle rate",
  ...Object.fromEntries(CUSTOMER_QUOTA.map((q) => [q.key, q.label])),
  templates: "Templates",
  template: "Template",
  hostname: "Hostname",
  confirmHostname: "Hostname confirmation",
  name: "Name",
  email: "Email",
  password: "Password",
  keys: "SSH keys",
  ports: "Ports",
  peer: "Peer",
  proto: "Protocol",
  direction: "Direction",
  action: "Action",
  comment: "Comment",
  ctid: "Container ID",
  planId: "Plan",
  tenantId: "Customer",
  nodeId: "Node",
  targetNodeId: "Target node",
  code: "Code",
  description: "Description",
  cidr: "Address range",
  gateway: "Gateway",
};

const words = (key: string) =>
  key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .replace(/^./, (c) => c.toUpperCase());

/** "limits.ram" → "RAM", "firewall.rules.0.ports" → "Rule 1, ports", "bandwidthMbps" → "Bandwidth". */
export function fieldLabel(path: readonly (string | number)[]): string {
  if (path.length === 0) return "";
  const limit = path[0] === "limits" && typeof path[1] === "string" ? LIMITS[path[1] as LimitKey] : undefined;
  if (limit) return limit.label;
  const last = [...path].reverse().find((p): p is string => typeof p === "string");
  const base = last === undefined ? "" : (LABELS[last] ?? words(last));
  // an entry of a list (a firewall rule, a template): its number counts from 1
  const i = path.findIndex((p) => typeof p === "number");
  if (i < 0) return base;
  const list = path[i - 1];
  const item = list === "rules" ? "Rule" : list === "templates" ? "Template" : "Entry";
  const rest = path.slice(i + 1).filter((p): p is string => typeof p === "string");
  const tail = rest.length
    ? `, ${(LABELS[rest[rest.length - 1]!] ?? words(rest[rest.length - 1]!)).toLowerCase()}`
    : "";
  return `${item} ${Number(path[i]) + 1}${tail}`;
}

/** Whether zod wrote this message itself (no message given by the schema). */
function isStock(i: ZodIssue): boolean {
  return defaultErrorMap(i, { defaultError: "", data: undefined }).message === i.message;
}

function stockSentence(i: ZodIssue): string {
  switch (i.code) {
    case "invalid_type":
      if (i.received === "undefined" || i.received === "null") return "This is required.";
      if (i.expected === "number" || i.expected === "bigint") return "Enter a number.";
      if (i.expected === "boolean") return "Choose yes or no.";
      if (i.expected === "string") return "Enter text.";
      return "This value has the wrong form.";
    case "too_small": {
      const n = Number(i.minimum);
      if (i.type === "string") return n <= 1 ? "This is required." : `Use at least ${n} characters.`;
      if (i.type === "array") return n <= 1 ? "Choose at least one." : `Choose at least ${n}.`;
      if (i.type === "number" || i.type === "bigint") return `Enter ${n} or more${i.inclusive ? "" : " (not equal)"}.`;
      return "This is too small.";
    }
    case "too_big": {
      const n = Number(i.maximum);
      if (i.type === "string") return `Use at most ${n} characters.`;
      if (i.type === "array") return `At most ${n} entries.`;
      if (i.type === "number" || i.type === "bigint") return `Enter ${n} or less.`;
      return "This is too large.";
    }
    case "not_multiple_of":
      return `Enter a multiple of ${String(i.multipleOf)}.`;
    case "invalid_enum_value":
      return `Choose one of: ${i.options.join(", ")}.`;
    case "invalid_literal":
      return "This value is not accepted here.";
    case "invalid_string":
      return i.validation === "email" ? "Enter a valid email address." : "This is not in the expected format.";
    case "unrecognized_keys":
      return `Remove what is not a setting here: ${i.keys.join(", ")}.`;
    case "invalid_date":
      return "Enter a valid date.";
    default:
      return "This value is not valid.";
  }
}

/** A message as a sentence: capital first letter, a full stop at the end. */
export function sentence(text: string): string {
  const t = text.trim();
  if (!t) return t;
  // "vCPUs must be …" keeps its spelling
  const s = /^[a-z](?![A-Z])/.test(t) ? t[0]!.toUpperCase() + t.slice(1) : t;
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

/** One issue's sentence for its field. */
export function issueSentence(i: ZodIssue): string {
  if (i.code === "invalid_union") {
    // "a number or a size like 2G": the branch that got furthest says what is wrong
    const inner = i.unionErrors.flatMap((e) => e.issues);
    const best = inner.find((x) => x.code !== "invalid_type") ?? inner[0];
    if (best) return issueSentence(best);
  }
  if (i.code === "invalid_type" && i.expected === "number" && i.received === "nan") return "Enter a number.";
  if (i.code === "invalid_type" && i.expected === "integer")
    return isStock(i) ? "Enter a whole number." : sentence(i.message);
  return isStock(i) ? stockSentence(i) : sentence(i.message);
}

/** Field sentences keyed by input path ("_" for the input as a whole) and a summary naming the fields. */
export function humanizeIssues(issues: readonly ZodIssue[]): { message: string; fields: Record<string, string> } {
  const fields: Record<string, string> = {};
  const parts: string[] = [];
  for (const i of issues) {
    const key = i.path.join(".") || "_";
    if (fields[key] !== undefined) continue;
    const text = issueSentence(i);
    fields[key] = text;
    const label = fieldLabel(i.path);
    // "RAM must be at least 16M." names its field already
    const lower = /^[A-Z][a-z]/.test(text) ? text[0]!.toLowerCase() + text.slice(1) : text;
    parts.push(label && !text.startsWith(label) ? `${label}: ${lower}` : text);
  }
  return { message: parts.join(" ") || "The request is not valid; check the form and try again.", fields };
}
