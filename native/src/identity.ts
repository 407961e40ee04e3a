/**
 * The identity fields of containers and templates, declared once: the ctid range, the hostname, the
 * container name and the template name. The engine's protocol and manifests, the storage drivers, the panel's
 * routers and services, its forms and the CLI all take them from here, so a bound is written in one place.
 * A leaf module: zod only, safe to import from the browser bundle.
 */
import { z } from "zod";

/** Container ids the engine accepts. */
export const CTID_MIN = 1;
export const CTID_MAX = 2_000_000_000;
/** The lowest id the panel and the CLI give out or take for a new container (lower ones are reserved, as in OpenVZ). */
export const CTID_NEW_MIN = 100;

export const ctidSchema = z.number().int().min(CTID_MIN).max(CTID_MAX);
/** A ctid asked for by a user when creating, cloning or restoring a container. */
export const newCtidSchema = z.number().int().min(CTID_NEW_MIN).max(CTID_MAX);

export const isCtid = (n: unknown): n is number =>
  typeof n === "number" && Number.isInteger(n) && n >= CTID_MIN && n <= CTID_MAX;

/** RFC 1123 host names: dot-separated labels of letters, digits and inner hyphens, at most 253 characters. */
export const HOSTNAME_RE =
  /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
export const HOSTNAME_RULE = "letters, digits and hyphens in dot-separated labels of at most 63 characters";
export const hostnameSchema = z.string().regex(HOSTNAME_RE, `a hostname is ${HOSTNAME_RULE} (e.g. ct101.example.com)`);

/** Names are referred to wherever a ctid is: never all digits, no spaces or shell-special characters. */
export const CONTAINER_NAME_RE = /^(?!\d+$)[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const CONTAINER_NAME_RULE = "1–64 letters, digits, . _ - (not only digits: those are container ids)";
export const containerNameSchema = z.string().regex(CONTAINER_NAME_RE, `a name is ${CONTAINER_NAME_RULE}`);

/** Template names are directory and file names on the host: lower case, no path characters. */
export const TEMPLATE_NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const TEMPLATE_NAME_RULE =
  "1-64 characters: lower-case letters, digits, '.', '_' and '-', starting with a letter or digit";
export const templateNameSchema = z.string().regex(TEMPLATE_NAME_RE, "template names use a-z, 0-9, . _ -");
