import { handleJoinRequest } from "../../../../server/services/node-join-http.js";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export function POST(req: Request): Promise<Response> {
  return handleJoinRequest(req);
}
