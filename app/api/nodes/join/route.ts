import { handleJoinRequest } from "../../../../server/http/node-join.js";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export function POST(req: Request): Promise<Response> {
  return handleJoinRequest(req);
}
