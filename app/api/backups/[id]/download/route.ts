import { downloadBackup } from "../../../../../server/http/backup-download.js";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(req: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  return downloadBackup(req, (await params).id);
}
