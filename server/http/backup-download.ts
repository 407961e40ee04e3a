/**
 * GET /api/backups/<id>/download: the caller is authenticated exactly like a tRPC call (session cookie or
 * bearer token, server/auth/request.ts), the backup's tenant must be visible to it (else 404, like
 * NOT_FOUND elsewhere), and the archive streams from the node's engine (backup.download) with its length,
 * name and sha256. Audited. Refusals are PanelErrors, answered as text with the panel's one status mapping.
 */
import { authenticateRequest } from "../auth/request.js";
import { db as defaultDb, type Db } from "../db/client.js";
import { openBackupStream } from "../engine/index.js";
import { isEngineError, PanelError } from "../errors.js";
import { audit } from "../services/audit.js";
import { visibleTenantIds } from "../services/scope.js";
import { webStreamOf } from "../web/web-stream.js";
import { httpErrorOf, textResponse } from "./errors.js";

export async function downloadBackup(req: Request, backupId: string, db: Db = defaultDb()): Promise<Response> {
  try {
    return await download(db, req, backupId);
  } catch (e) {
    const h = httpErrorOf(e);
    return textResponse(h.status, h.message);
  }
}

async function download(db: Db, req: Request, backupId: string): Promise<Response> {
  const who = await authenticateRequest(db, req);
  if (!who.actor)
    throw new PanelError("UNAUTHORIZED", "You are not logged in (or your session expired). Log in again.");
  const scope = await visibleTenantIds(db, who.actor);
  const b = await db.backup.findUnique({ where: { id: backupId.slice(0, 64) }, include: { node: true } });
  if (!b || (scope !== null && !scope.includes(b.tenantId)))
    throw new PanelError("NOT_FOUND", "No such backup (or not one of yours).");
  let stream;
  try {
    stream = await openBackupStream(b.node.endpoint, b.engineId);
  } catch (e) {
    if (isEngineError(e, "NOT_FOUND"))
      throw new PanelError("NOT_FOUND", `Backup ${b.engineId} is no longer on node ${b.node.name}.`);
    console.error(`backup download ${b.engineId}:`, e);
    throw new PanelError("NODE_FAILED", "The node could not send this backup; try again later.", undefined, {
      cause: e,
    });
  }
  // read as fast as the client takes it; a client that goes away closes the engine connection
  const body = webStreamOf(stream.body, (e) =>
    console.error(`backup download ${b.engineId}: the node's stream failed:`, e),
  );
  try {
    const target = `backup ${b.engineId} of container ${b.ctid} (${b.hostname})`;
    await audit(
      { db, actor: who.actor, ip: who.ip, userAgent: who.userAgent },
      { action: "backup.download", target, tenantId: b.tenantId },
    );
  } catch (e) {
    stream.body.destroy();
    throw e;
  }
  return new Response(body, {
    headers: {
      "content-type": "application/zstd",
      "content-length": String(stream.info.sizeBytes),
      "content-disposition": `attachment; filename="${b.engineId}.tar.zst"`,
      "x-checksum-sha256": stream.info.sha256,
      "cache-control": "no-store",
    },
  });
}
