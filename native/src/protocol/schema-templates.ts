/**
 * The method table, templates (schema.ts assembles it).
 */
import { z } from "zod";
import { templateNameSchema } from "../identity.js";
import { empty, ok } from "./schema-common.js";

export const templateMeta = z.object({
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

/**
 * The raw-stream method of an upload (upload-server.ts): the request line, then exactly `sizeBytes` bytes of a
 * tarball on the same connection; the engine answers with log events and the imported template (templateMeta).
 */
export const TEMPLATE_UPLOAD = "template.upload";
/** The largest tarball the engine takes over the protocol (8 GiB). */
export const MAX_TEMPLATE_UPLOAD_BYTES = 8 * 1024 ** 3;
export const templateUploadParams = z
  .object({ name: templateNameSchema, sizeBytes: z.number().int().min(1).max(MAX_TEMPLATE_UPLOAD_BYTES) })
  .strict();
export type TemplateUploadParams = z.infer<typeof templateUploadParams>;
