/**
 * Idempotent creates (billing API v1, header Idempotency-Key): the first request with a key runs and its
 * answer is stored; the same key with the same body (same route) gets that answer again, and nothing is made
 * a second time; the same key with another body is refused (409). A key whose first request is still
 * running is refused too (409, try again). A failed first request frees its key. Keys belong to their caller
 * (the API token) and are kept for KEEP_MS.
 */
import crypto from "node:crypto";
import type { Db } from "../db/client.js";
import { PanelError } from "../errors.js";

export const KEEP_MS = 24 * 3600_000;
export const KEY_RE = /^[A-Za-z0-9_.:-]{1,200}$/;

/** JSON with the keys of every object sorted: the same body in another key order hashes the same. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v && typeof v === "object")
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v) ?? "null";
}

export interface Answer {
  status: number;
  body: unknown;
  /** true when this is the stored answer of an earlier request */
  replayed?: boolean;
}

export async function idempotent(
  db: Db,
  k: { owner: string; key: string; route: string; body: unknown },
  run: () => Promise<Answer>,
): Promise<Answer> {
  if (!KEY_RE.test(k.key))
    throw new PanelError(
      "BAD_REQUEST",
      "The Idempotency-Key header must be 1–200 letters, digits or . _ : - (a UUID is a good choice).",
    );
  const bodyHash = crypto.createHash("sha256").update(canonicalJson(k.body)).digest("hex");
  await db.idempotencyKey.deleteMany({ where: { createdAt: { lt: new Date(Date.now() - KEEP_MS) } } });
  let row;
  try {
    row = await db.idempotencyKey.create({ data: { owner: k.owner, key: k.key, route: k.route, bodyHash } });
  } catch (e) {
    if ((e as { code?: string }).code !== "P2002") throw e;
    const old = await db.idempotencyKey.findUnique({ where: { owner_key: { owner: k.owner, key: k.key } } });
    if (!old) throw new PanelError("CONFLICT", "A request with this Idempotency-Key just failed; send it again.");
    if (old.route !== k.route || old.bodyHash !== bodyHash)
      throw new PanelError(
        "CONFLICT",
        "This Idempotency-Key was already used for a different request; use a new key for a new request.",
        { "Idempotency-Key": "used for another request" },
      );
    if (old.status === 0)
      throw new PanelError(
        "CONFLICT",
        "The first request with this Idempotency-Key is still running; send it again in a moment.",
      );
    return { status: old.status, body: JSON.parse(old.response) as unknown, replayed: true };
  }
  let answer: Answer;
  try {
    answer = await run();
  } catch (e) {
    await db.idempotencyKey.deleteMany({ where: { id: row.id } });
    throw e;
  }
  await db.idempotencyKey.update({
    where: { id: row.id },
    data: { status: answer.status, response: JSON.stringify(answer.body) },
  });
  return answer;
}
