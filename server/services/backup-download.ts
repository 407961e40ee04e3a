/**
 * GET /api/backups/<id>/download: the caller is authenticated exactly like a tRPC call (createContext:
 * session cookie or bearer token), the backup's tenant must be visible to it (else 404, like NOT_FOUND
 * elsewhere), and the archive streams from the node's engine (backup.download) with its length, name
 * and sha256. Audited.
 */
import { openBackupStream } from "../engine/index.js";
import { isEngineError } from "../errors.js";
import { createContext } from "../trpc/context.js";
import { audit } from "./audit.js";
import { visibleTenantIds } from "./scope.js";
import { webStreamOf } from "../web/web-stream.js";

const text = (status: number, msg: string) => new Response(msg + "\n", { status, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" } });

export async function downloadBackup(req: Request, backupId: string): Promise<Response> {
  const ctx = await createContext(req, new Headers());
  if (!ctx.actor) return text(401, "You are not logged in (or your session expired). Log in again.");
  const scope = await visibleTenantIds(ctx.db, ctx.actor);
  const b = await ctx.db.backup.findUnique({ where: { id: backupId.slice(0, 64) }, include: { node: true } });
  if (!b || (scope !== null && !scope.includes(b.tenantId))) return text(404, "No such backup (or not one of yours).");
  let stream;
  try {
    stream = await openBackupStream(b.node.endpoint, b.engineId);
  } catch (e) {
    if (isEngineError(e, "NOT_FOUND")) return text(404, `Backup ${b.engineId} is no longer on node ${b.node.name}.`);
    console.error(`backup download ${b.engineId}:`, e);
    return text(502, "The node could not send this backup; try again later.");
  }
  // read as fast as the client takes it; a client that goes away closes the engine connection
  const body = webStreamOf(stream.body, (e) => console.error(`backup download ${b.engineId}: the node's stream failed:`, e));
  try {
    await audit({ db: ctx.db, actor: ctx.actor, ip: ctx.ip, userAgent: ctx.userAgent }, { action: "backup.download", target: `backup ${b.engineId} of container ${b.ctid} (${b.hostname})`, tenantId: b.tenantId });
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
