import { eventStream } from "../../../server/http/events.js";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export function GET(req: Request): Promise<Response> {
  return eventStream(req);
}
