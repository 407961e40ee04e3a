const TONE: Record<string, string> = {
  running: "bg-green-100 text-green-800 ring-green-600/20",
  stopped: "bg-slate-100 text-slate-700 ring-slate-500/20",
  creating: "bg-amber-100 text-amber-800 ring-amber-600/20",
  transitioning: "bg-amber-100 text-amber-800 ring-amber-600/20",
  // a container while its operation runs (the panel's words, not engine states)
  starting: "bg-amber-100 text-amber-800 ring-amber-600/20",
  stopping: "bg-amber-100 text-amber-800 ring-amber-600/20",
  restarting: "bg-amber-100 text-amber-800 ring-amber-600/20",
  reinstalling: "bg-amber-100 text-amber-800 ring-amber-600/20",
  restoring: "bg-amber-100 text-amber-800 ring-amber-600/20",
  destroying: "bg-amber-100 text-amber-800 ring-amber-600/20",
  suspended: "bg-blue-100 text-blue-800 ring-blue-600/20",
  error: "bg-red-100 text-red-800 ring-red-600/20",
  destroyed: "bg-slate-200 text-slate-600 ring-slate-500/20",
  // operation statuses
  queued: "bg-slate-100 text-slate-700 ring-slate-500/20",
  succeeded: "bg-green-100 text-green-800 ring-green-600/20",
  failed: "bg-red-100 text-red-800 ring-red-600/20",
};

/** A container state or an operation status; the word itself is the text. */
export function StateBadge({ state, label }: { state: string; label?: string }) {
  const tone = TONE[state] ?? "bg-slate-100 text-slate-700 ring-slate-500/20";
  return (
    <span
      className={`inline-flex items-center gap-1 rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${tone}`}
      aria-label={label ? `${label}: ${state}` : undefined}
    >
      {state === "running" && <span aria-hidden className="h-1.5 w-1.5 rounded-full bg-green-600" />}
      {state}
    </span>
  );
}
