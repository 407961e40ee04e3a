/**
 * POST /api/nodes/join — what `ovz-node join` calls: JSON {token, csr, listen} → 200 {nodeName, endpoint,
 * cert, caCert}, or a 4xx with {error: "<what to do>"} (bad or expired or used token, bad CSR, name taken,
 * SQLite with a node already), its status from the panel's one mapping (./errors.ts). Anonymous: the
 * one-time token is the credential (services/nodes.ts).
 */
import { db as defaultDb, type Db } from "../db/client.js";
import { joinNode } from "../services/nodes.js";
import { httpErrorOf, jsonResponse } from "./errors.js";

const MAX_BODY = 64 * 1024;
const TOO_LARGE = { error: "The join request is too large." };

export async function handleJoinRequest(req: Request, d: Db = defaultDb()): Promise<Response> {
  if (Number(req.headers.get("content-length") ?? 0) > MAX_BODY) return jsonResponse(413, TOO_LARGE);
  const text = await req.text();
  if (text.length > MAX_BODY) return jsonResponse(413, TOO_LARGE);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return jsonResponse(400, { error: "The join request must be JSON {token, csr, listen}." });
  }
  const ip = req.headers.get("x-forwarded-for")?.split(",").pop()?.trim().slice(0, 64) ?? null;
  try {
    return jsonResponse(200, await joinNode({ db: d, ip, userAgent: req.headers.get("user-agent") }, body));
  } catch (e) {
    const h = httpErrorOf(e); // an unexpected error is logged there
    const unexpected = "The panel hit an unexpected error during the join; it was logged. Try again with a new token.";
    return jsonResponse(h.status, { error: h.status === 500 ? unexpected : h.message });
  }
}
