export function ProgressBar({ value, label, failed }: { value: number; label: string; failed?: boolean }) {
  const v = Math.max(0, Math.min(100, Math.round(value)));
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={v}
      className="h-2 w-full overflow-hidden rounded-full bg-slate-200"
    >
      <div
        className={`h-full transition-all duration-300 ${failed ? "bg-red-500" : v >= 100 ? "bg-green-500" : "bg-blue-500"}`}
        style={{ width: `${v}%` }}
      />
    </div>
  );
}
