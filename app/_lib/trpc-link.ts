import { httpBatchLink, httpLink, splitLink } from "@trpc/client";
import superjson from "superjson";
import type { AppRouter } from "../../server/routers/index.js";
import { TRPC_MAX_BATCH } from "../../server/trpc/batch.js";

/**
 * What a query passes to travel in a request of its own (`trpc: { context: SOLO }` in its query options):
 * the container page's cards, so that each shows its data as soon as it has it instead of all of them waiting
 * for the slowest in one batch.
 */
export const SOLO = { skipBatch: true } as const;

/**
 * The panel's link to /api/trpc: calls of the same moment go in one request, at most TRPC_MAX_BATCH
 * per request (the server refuses larger batches); a call whose context says `skipBatch` goes alone.
 * `url` and `fetch` only for tests.
 */
export function panelLink(opts: { url?: string; fetch?: typeof fetch } = {}) {
  const common = { url: opts.url ?? "/api/trpc", transformer: superjson, fetch: opts.fetch };
  return splitLink<AppRouter>({
    condition: (op) => op.context.skipBatch === true,
    true: httpLink<AppRouter>(common),
    false: httpBatchLink<AppRouter>({ ...common, maxItems: TRPC_MAX_BATCH }),
  });
}
