/** Input schemas shared by several routers. */
import { z } from "zod";
import { HOSTNAME_RE } from "../../native/src/identity.js";
import { SUSPEND_REASON } from "../services/suspension-reason.js";

export const id = z.string().min(1).max(64);
// Not zod's email(): local addresses such as admin@localhost (the seeded default) must be valid.
export const email = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .regex(/^[^\s@]+@[^\s@]+$/, "enter a valid email address");
export const password = z.string().min(10, "use at least 10 characters").max(256);
export const name = z.string().trim().min(1, "enter a name").max(100);
export const hostname = z
  .string()
  .trim()
  .toLowerCase()
  .max(253)
  .regex(HOSTNAME_RE, "use letters, digits, dashes and dots, like web1.example.com");
/** Why a container or customer is suspended: its owner reads it (the same rule as the billing API's). */
export const reason = z
  .string()
  .trim()
  .min(1, SUSPEND_REASON.empty)
  .max(SUSPEND_REASON.maxLength, SUSPEND_REASON.tooLong);
export const page = z.object({
  take: z.number().int().min(1).max(500).default(100),
  skip: z.number().int().min(0).max(1_000_000).default(0),
});
