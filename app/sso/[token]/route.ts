import { ssoLogin } from "../../../server/http/sso.js";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(req: Request, { params }: { params: Promise<{ token: string }> }): Promise<Response> {
  return ssoLogin(req, (await params).token);
}
