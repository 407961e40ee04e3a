/**
 * The cap on calls per tRPC batch request (one HTTP request carrying several procedure calls). Without
 * it one request could run thousands of database queries. The server refuses a larger batch with a 400
 * (fetchRequestHandler's maxBatchSize, app/api/trpc/[trpc]/route.ts); the panel's own client splits
 * its batches at the same number (app/_lib/trpc-link.ts). Imported by the browser bundle: keep it pure.
 */
export const TRPC_MAX_BATCH = 25;

/** What tRPC 11 says when a batch exceeds maxBatchSize (recognized by the error formatter, server/trpc/init.ts). */
export const TRPC_BATCH_TOO_LARGE = "Batch call exceeds maximum size";

export const BATCH_TOO_LARGE_MESSAGE = `This request batches more than ${TRPC_MAX_BATCH} calls; send at most ${TRPC_MAX_BATCH} calls per request.`;
