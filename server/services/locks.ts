/**
 * In-process keyed mutex: check-then-write sequences (allocation check + insert, busy check + insert)
 * run one at a time per key. The panel runs as one process per host; a second panel process would need
 * a database lock instead (noted in README).
 */
const g = globalThis as unknown as { __ovzLocks?: Map<string, Promise<unknown>> };
const tails = (g.__ovzLocks ??= new Map());

export async function withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = tails.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  const tail = prev.then(() => mine);
  tails.set(key, tail);
  await prev.catch(() => {});
  try {
    return await fn();
  } finally {
    release();
    if (tails.get(key) === tail) tails.delete(key);
  }
}
