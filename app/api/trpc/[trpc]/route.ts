import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "../../../../server/routers/index.js";
import { TRPC_MAX_BATCH } from "../../../../server/trpc/batch.js";
import { createContext } from "../../../../server/trpc/context.js";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

function handler(req: Request): Promise<Response> {
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    maxBatchSize: TRPC_MAX_BATCH, // a larger batch: 400 before any call runs
    createContext: ({ req, resHeaders }) => createContext(req, resHeaders),
  });
}

export { handler as GET, handler as POST };
