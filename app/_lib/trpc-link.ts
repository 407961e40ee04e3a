import { httpBatchLink } from "@trpc/client";
import superjson from "superjson";
import type { AppRouter } from "../../server/routers/index.js";
import { TRPC_MAX_BATCH } from "../../server/trpc/batch.js";

/**
 * The panel's link to /api/trpc: calls of the same moment go in one request, at most TRPC_MAX_BATCH
 * per request (the server refuses larger batches). `url` and `fetch` only for tests.
 */
export function panelLink(opts: { url?: string; fetch?: typeof fetch } = {}) {
  return httpBatchLink<AppRouter>({
    url: opts.url ?? "/api/trpc",
    transformer: superjson,
    maxItems: TRPC_MAX_BATCH,
    fetch: opts.fetch,
  });
}
