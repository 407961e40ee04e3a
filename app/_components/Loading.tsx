export function Loading({ what = "Loading" }: { what?: string }) {
  return (
    <p className="text-sm text-slate-500" role="status">
      {what}…
    </p>
  );
}
