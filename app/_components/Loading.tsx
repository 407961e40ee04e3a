/**
 * What a card shows before its data: the sentence "Loading …" (for screen readers and tests) and, with
 * `lines`, grey bars where the data will be (a skeleton), so the card never says "none" before it knows.
 */
export function Loading({ what = "Loading", lines = 0 }: { what?: string; lines?: number }) {
  return (
    <div role="status" className="flex flex-col gap-2" data-testid={lines > 0 ? "skeleton" : undefined}>
      <p className="text-sm text-slate-500">{what}…</p>
      {Array.from({ length: lines }, (_, i) => (
        <div
          key={i}
          aria-hidden
          className={`h-4 animate-pulse rounded bg-slate-200 motion-reduce:animate-none ${i % 3 === 2 ? "w-2/3" : "w-full"}`}
        />
      ))}
    </div>
  );
}
