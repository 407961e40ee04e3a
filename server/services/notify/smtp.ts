/**
 * Email over SMTP (nodemailer). The administrator sets the server as a panel setting (PanelSetting "smtp"):
 * host, port, TLS mode (none: plain text; starttls: upgrade required; tls: TLS from the first byte, usually port
 * 465), optional login, the From address, and the panel's address for links in emails. The password is stored
 * for sending and never returned: reads get `passwordSet` instead. No setting = no email (notifications go to
 * webhooks only, password reset is refused). OVZ_SMTP_INSECURE_TLS=1 accepts a server certificate that does not
 * verify (a test server's self-signed one).
 */
import nodemailer from "nodemailer";
import { z } from "zod";
import type { Db } from "../../db/client.js";
import { PanelError } from "../../errors.js";

const KEY = "smtp";
const TLS_MODES = ["none", "starttls", "tls"] as const;

export const smtpSchema = z
  .object({
    host: z
      .string()
      .trim()
      .min(1, "enter the SMTP server's host name or address")
      .max(253)
      .regex(/^[A-Za-z0-9.:[\]_-]+$/, "a host name or IP address, without a scheme or port"),
    port: z.number().int().min(1, "a port is from 1 to 65535").max(65535, "a port is from 1 to 65535"),
    tls: z.enum(TLS_MODES, { message: "TLS is none, starttls or tls" }),
    user: z.string().max(256).default(""),
    /** undefined on a change = keep the stored one */
    password: z.string().max(256).optional(),
    from: z
      .string()
      .trim()
      .max(320)
      .regex(
        /^([^<>\n]*<)?[^\s@<>]+@[^\s@<>]+>?$/,
        "the From address, e.g. panel@example.com or Panel <panel@example.com>",
      ),
    /** the panel's address as users reach it, for links in emails (never taken from a request's Host header) */
    panelUrl: z
      .string()
      .trim()
      .max(500)
      .url("the panel's address, e.g. https://panel.example.com")
      .regex(/^https?:\/\//, "the panel's address starts with https:// (or http://)"),
  })
  .strict();
export type SmtpInput = z.input<typeof smtpSchema>;
type Stored = Omit<z.infer<typeof smtpSchema>, "password"> & { password: string };

export async function smtpStored(db: Db): Promise<Stored | null> {
  const row = await db.panelSetting.findUnique({ where: { key: KEY } });
  if (!row) return null;
  const r = smtpSchema.safeParse(JSON.parse(row.value));
  return r.success ? { ...r.data, password: r.data.password ?? "" } : null;
}

/** What the settings form shows: never the password. */
export async function smtpView(db: Db) {
  const s = await smtpStored(db);
  if (!s) return null;
  const { password, ...rest } = s;
  return { ...rest, passwordSet: password !== "" };
}

export async function setSmtp(db: Db, input: SmtpInput | null): Promise<void> {
  if (input === null) {
    await db.panelSetting.deleteMany({ where: { key: KEY } });
    return;
  }
  const p = smtpSchema.parse(input);
  const old = await smtpStored(db);
  const value = JSON.stringify({ ...p, password: p.password ?? old?.password ?? "" });
  await db.panelSetting.upsert({ where: { key: KEY }, create: { key: KEY, value }, update: { value } });
}

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

/** Sends one mail now; throws with the server's answer when it fails. `timeoutMs` bounds each SMTP step. */
export async function sendMail(db: Db, m: Mail, timeoutMs = 20_000): Promise<void> {
  const s = await smtpStored(db);
  if (!s) throw new PanelError("CONFLICT", "Email is not set up: an administrator enters the SMTP server first.");
  const transport = nodemailer.createTransport({
    host: s.host,
    port: s.port,
    secure: s.tls === "tls",
    requireTLS: s.tls === "starttls",
    ignoreTLS: s.tls === "none",
    auth: s.user ? { user: s.user, pass: s.password } : undefined,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    tls: { rejectUnauthorized: process.env.OVZ_SMTP_INSECURE_TLS !== "1" },
  });
  try {
    await transport.sendMail({ from: s.from, to: m.to, subject: m.subject, text: m.text });
  } finally {
    transport.close();
  }
}
