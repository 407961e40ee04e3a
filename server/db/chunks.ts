/**
 * Id lists in `in` filters, split so that no query's parameter list grows with the data: Prisma allows one SQLite
 * query 999 bound parameters here (P2029 "The query parameter limit supported by your database is exceeded"
 * beyond), PostgreSQL 32767. Prefer a relation filter where the model has the relation; this is for the rest.
 */
export const IN_CHUNK = 500;

/** `items` in consecutive parts of at most `size`. */
export function chunks<T>(items: readonly T[], size = IN_CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** fn over each part of `ids`, one after another, results concatenated (none for no ids: no query). */
export async function inChunks<T, R>(ids: readonly T[], fn: (part: T[]) => Promise<R[]>): Promise<R[]> {
  const out: R[] = [];
  for (const part of chunks(ids)) out.push(...(await fn(part)));
  return out;
}
