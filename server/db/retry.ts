/**
 * Retrying a database step that lost a lock race. PostgreSQL breaks a deadlock by failing one of the
 * transactions (40P01); a write conflict fails one too (40001). Both are safe to run again when the step is
 * idempotent. Example: a destroy deletes a container while the usage sampler inserts rows that reference
 * it — the delete cascades into the sampler's tables in the other lock order.
 */
export function isRetryableConflict(e: unknown): boolean {
  const err = e as { code?: unknown; meta?: { code?: unknown; cause?: unknown }; message?: unknown } | null;
  if (!err) return false;
  if (err.code === "P2034") return true; // Prisma: "write conflict or a deadlock; retry"
  const text = `${String(err.meta?.code ?? "")} ${String(err.meta?.cause ?? "")} ${String(err.message ?? "")}`;
  return /\b(40P01|40001)\b|deadlock detected|could not serialize access/i.test(text);
}

/** Runs `fn`; on a retryable conflict runs it again (up to `tries` times in all, with a short pause). */
export async function retryOnConflict<T>(fn: () => Promise<T>, tries = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt >= tries || !isRetryableConflict(e)) throw e;
      await new Promise((r) => setTimeout(r, 20 * attempt + Math.floor(Math.random() * 20)));
    }
  }
}
