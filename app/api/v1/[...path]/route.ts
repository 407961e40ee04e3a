import { handleApi } from "../../../../server/api/v1/http.js";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

function handler(req: Request): Promise<Response> {
  return handleApi(req);
}

export { handler as DELETE, handler as GET, handler as POST, handler as PUT };
