/**
 * The method table, templates (schema.ts assembles it).
 */
import { z } from "zod";
import { empty, ok } from "./schema-common.js";

const templateMeta = z.object({
  name: z.string(),
  distro: z.string(),
  release: z.string(),
  arch: z.string(),
  init: z.enum(["busybox", "systemd", "sysvinit", "unknown"]),
  haltSignal: z.string(),
  source: z.enum(["built", "imported"]),
  sizeBytes: z.number(),
  sha256: z.string(),
  createdAt: z.string(),
});

export const templateMethods = {
  "template.list": { params: empty, result: z.array(templateMeta) },
  "template.build": {
    params: z.object({ kind: z.enum(["busybox", "debian-12"]), name: z.string().max(64).optional() }).strict(),
    result: templateMeta,
  },
  "template.import": {
    params: z.object({ path: z.string().min(1).max(4096), name: z.string().max(64).optional() }).strict(),
    result: templateMeta,
  },
  "template.delete": { params: z.object({ name: z.string().min(1).max(64) }).strict(), result: ok },
} as const;
