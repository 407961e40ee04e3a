/**
 * The billing API's (v1) request and response schemas, in zod's v4 API (zod/v4 of the zod 3.25 package): the
 * same objects validate the requests, check the answers in the tests and become the OpenAPI document
 * (z.toJSONSchema, openapi.ts).
 */
import { z } from "zod/v4";
import { HOSTNAME_RE, TEMPLATE_NAME_RE } from "../../../native/src/identity.js";
import { SUSPEND_REASON } from "../../services/suspension-reason.js";

export const idSchema = z.string().min(1).max(64).describe("an object id (as returned by this API)");
export const externalIdSchema = z
  .string()
  .min(1, "an external id is 1–200 characters")
  .max(200, "an external id is 1–200 characters")
  .regex(/^[\x21-\x7e]+$/, "an external id is printable ASCII without spaces")
  .describe("the billing system's own id for this object (its service or client id)");
const reason = z
  .string()
  .trim()
  .min(1, SUSPEND_REASON.empty)
  .max(SUSPEND_REASON.maxLength, SUSPEND_REASON.tooLong)
  .describe("why: shown to the customer on the container page and after login");
const isoTime = z.iso.datetime({ offset: true });
const day = z.iso.date().describe("a UTC day, YYYY-MM-DD");

// ---- objects in answers

export const suspensionSchema = z
  .object({ since: isoTime, reason: z.string().nullable() })
  .nullable()
  .describe("null = not suspended");

export const customerSchema = z.object({
  id: idSchema,
  name: z.string(),
  externalId: z.string().nullable(),
  resellerId: z.string().nullable().describe("the tenant selling to it (a reseller or the platform)"),
  disabled: z.boolean(),
  suspension: suspensionSchema,
  createdAt: isoTime,
});

export const containerSchema = z.object({
  id: idSchema,
  ctid: z.number().int(),
  hostname: z.string(),
  name: z.string().nullable(),
  state: z.enum(["creating", "stopped", "running", "suspended", "error"]),
  externalId: z.string().nullable(),
  customerId: idSchema,
  planId: idSchema,
  plan: z.string().describe("the plan's name"),
  nodeId: idSchema,
  template: z.string(),
  addresses: z.array(z.string()),
  suspension: suspensionSchema,
  createdAt: isoTime,
});

export const operationSchema = z.object({
  id: idSchema,
  type: z.string(),
  status: z.enum(["queued", "running", "succeeded", "failed"]),
  progress: z.number().int().min(0).max(100),
  message: z.string().nullable(),
  error: z.string().nullable(),
  containerId: z.string().nullable(),
  createdAt: isoTime,
  finishedAt: isoTime.nullable(),
});

export const planSchema = z.object({
  id: idSchema,
  name: z.string(),
  ownerId: idSchema,
  templates: z.array(z.string()),
  ipCount: z.number().int(),
  bandwidthMbps: z.number().int(),
  trafficQuotaGb: z.number().int(),
  trafficOverage: z
    .enum(["throttle", "suspend"])
    .describe("over the traffic quota: throttled, or suspended until the next month"),
  limits: z.record(z.string(), z.unknown()).describe("the engine's limit set (bytes, counts)"),
});

export const errorSchema = z.object({
  error: z.object({
    code: z
      .string()
      .describe(
        "stable: UNAUTHORIZED, FORBIDDEN, NOT_FOUND, BAD_REQUEST, CONFLICT, QUOTA_EXCEEDED, ENGINE_*, INTERNAL, …",
      ),
    message: z.string().describe("a sentence for a person: what went wrong and what to do"),
    fields: z.record(z.string(), z.string()).optional().describe("field → problem, for a form"),
  }),
});

const tenantResult = z.object({
  customer: customerSchema,
  containers: z.array(z.object({ containerId: idSchema, operationId: z.string().nullable() })),
  failed: z
    .array(z.object({ containerId: idSchema, error: z.string() }))
    .describe("containers that could not change now (another operation runs): call again later"),
});

const totals = z.object({
  cpuCoreHours: z.number(),
  ramAvgBytes: z.number(),
  ramPeakBytes: z.number(),
  diskAvgBytes: z.number(),
  ioReadBytes: z.number(),
  ioWriteBytes: z.number(),
  netRxBytes: z.number(),
  netTxBytes: z.number(),
});

// ---- requests

export const S = {
  idParams: z.object({ id: idSchema }),
  externalFilter: z.object({ externalId: externalIdSchema.optional() }),
  containerFilter: z.object({
    externalId: externalIdSchema.optional(),
    customerId: idSchema.optional(),
  }),
  period: z.object({
    from: day.optional().describe("first day (default: the 1st of this month)"),
    to: day.optional().describe("last day, included (default: today)"),
  }),
  customerCreate: z.object({
    name: z.string().trim().min(1, "enter a name").max(100),
    email: z
      .string()
      .trim()
      .toLowerCase()
      .max(254)
      .regex(/^[^\s@]+@[^\s@]+$/, "enter a valid email address"),
    userName: z.string().trim().min(1).max(100).optional(),
    password: z
      .string()
      .min(10, "use at least 10 characters")
      .max(256)
      .optional()
      .describe("omit it: the customer logs in through single sign-on links"),
    externalId: externalIdSchema.optional(),
    resellerId: idSchema.optional().describe("admins: the reseller it belongs to (default: the platform)"),
  }),
  containerCreate: z.object({
    customerId: idSchema,
    planId: idSchema,
    hostname: z
      .string()
      .trim()
      .toLowerCase()
      .max(253)
      .regex(HOSTNAME_RE, "use letters, digits, dashes and dots, like web1.example.com"),
    template: z.string().regex(TEMPLATE_NAME_RE, "template names use a-z, 0-9, . _ -"),
    externalId: externalIdSchema.optional(),
  }),
  reason: z.object({ reason }),
  empty: z.object({}),
  sso: z.object({
    redirect: z.string().max(500).optional().describe("a path of the panel to land on (default /containers)"),
  }),
  plan: z.object({ planId: idSchema }),
  reinstall: z.object({
    template: z.string().regex(TEMPLATE_NAME_RE, "template names use a-z, 0-9, . _ -").optional(),
    confirm: z.literal(true, { error: "set confirm to true: every file in the container is erased" }),
  }),
  suspendMode: z.object({ mode: z.enum(["stop", "freeze"]) }),
};

// ---- answers

export const R = {
  customer: z.object({ customer: customerSchema }),
  customerCreated: z.object({
    customer: customerSchema,
    user: z.object({ id: idSchema, email: z.string() }),
  }),
  customers: z.object({ customers: z.array(customerSchema) }),
  tenantResult,
  sso: z.object({
    url: z.string().describe("open it in the customer's browser: it works once, for 5 minutes"),
    expiresAt: isoTime,
  }),
  container: z.object({ container: containerSchema }),
  containers: z.object({ containers: z.array(containerSchema) }),
  started: z.object({ operationId: idSchema, container: containerSchema }),
  suspended: z.object({
    operationId: z.string().nullable().describe("the stop/start it runs; null when nothing had to change"),
    container: containerSchema,
  }),
  planChanged: z.object({ container: containerSchema, appliedLive: z.boolean() }),
  password: z.object({ password: z.string().describe("the new root password: shown this once, never stored") }),
  operationStarted: z.object({ operationId: idSchema }),
  operation: z.object({ operation: operationSchema }),
  usage: z.object({ containerId: idSchema, from: day, to: day, usage: totals }),
  traffic: z.object({
    containerId: idSchema,
    from: day,
    to: day,
    days: z.array(z.object({ day, rxBytes: z.number(), txBytes: z.number() })),
    rxBytes: z.number(),
    txBytes: z.number(),
    totalBytes: z.number(),
  }),
  plans: z.object({ plans: z.array(planSchema) }),
  suspendMode: z.object({ mode: z.enum(["stop", "freeze"]) }),
};
