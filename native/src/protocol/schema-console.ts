/**
 * The console method (see the header of schema.ts): params checked like any method's, result = the accepted line.
 */
import { z } from "zod";
import { termSize } from "./console-framing.js";
import { ctid } from "./schema-common.js";

export const CONSOLE_METHOD = "container.console";
export const consoleParams = z
  .object({
    ctid,
    cols: termSize,
    rows: termSize,
    /**
     * argv run inside the container under the terminal; default: root's login shell (/etc/passwd, else bash, else sh)
     */
    command: z
      .array(
        z
          .string()
          .max(65536)
          .refine((a) => !a.includes("\0"), "arguments cannot contain NUL"),
      )
      .min(1)
      .max(1024)
      .optional(),
    /** TERM inside the session (default xterm-256color) */
    term: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/, "TERM is a terminal type name like xterm-256color")
      .optional(),
    /** keep the session alive without clients (OVZ_CONSOLE_DETACH_SEC) and let other clients attach */
    detachable: z.boolean().optional(),
    /** attach to this live detachable session of the same ctid instead of starting one */
    session: z
      .string()
      .regex(/^[0-9a-f]{8,32}$/, "a console session id is 8-32 hex digits")
      .optional(),
  })
  .strict()
  .refine((p) => p.session === undefined || p.command === undefined, {
    message: "command cannot be given when attaching to a session",
    path: ["command"],
  });
export type ConsoleParams = z.input<typeof consoleParams>;
export const consoleAccepted = z.object({ session: z.string(), ctid: z.number() });
export type ConsoleAccepted = z.infer<typeof consoleAccepted>;
