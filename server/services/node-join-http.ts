/**
 * POST /api/nodes/join — what `ovz-node join` calls: JSON {token, csr, listen} → 200 {nodeName, endpoint,
 * cert, caCert}, or a 4xx with {error: "<what to do>"} (bad or expired or used token, bad CSR, name taken,
 * SQLite with a node already). Anonymous: the one-time token is the credential (services/nodes.ts).
 */
import { db as defaultDb, type Db } from "../db/client.js";
import { PanelError, type PanelCode } from "../errors.js";
import { joinNode } from "./nodes.js";

const STATUS: Partial<Record<PanelCode, number>> = { BAD_REQUEST: 400, UNAUTHORIZED: 401, FORBIDDEN: 403, NOT_FOUND: 404, CONFLICT: 409, RATE_LIMITED: 429 };
const MAX_BODY = 64 * 1024;

const json = (status: number, body: unknown) => new Response(JSON.stringify(body) + "\n", { status, headers: { "content-type": "application/json", "cache-control": "no-store" } });

export async function handleJoinRequest(req: Request, d: Db = defaultDb()): Promise<Response> {
  if (Number(req.headers.get("content-length") ?? 0) > MAX_BODY) return json(413, { error: "The join request is too large." });
  const text = await req.text();
  if (text.length > MAX_BODY) return json(413, { error: "The join request is too large." });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return json(400, { error: "The join request must be JSON {token, csr, listen}." });
  }
  const ip = req.headers.get("x-forwarded-for")?.split(",").pop()?.trim().slice(0, 64) ?? null;
  try {
    return json(200, await joinNode({ db: d, ip, userAgent: req.headers.get("user-agent") }, body));
  } catch (e) {
    if (e instanceof PanelError) return json(STATUS[e.code] ?? 400, { error: e.message });
    console.error("[panel] node join failed", e);
    return json(500, { error: "The panel hit an unexpected error during the join; it was logged. Try again with a new token." });
  }
}
