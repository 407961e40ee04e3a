import type { ReactNode } from "react";

/** A titled section; the heading names the region for assistive tech and tests. */
export function Card({
  title,
  actions,
  children,
  className = "",
  testId,
}: {
  title?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
  testId?: string;
}) {
  return (
    <section
      data-testid={testId}
      className={`rounded-lg border border-slate-200 bg-white p-4 shadow-sm ${className}`}
      aria-label={typeof title === "string" ? title : undefined}
    >
      {(title || actions) && (
        <div className="mb-3 flex items-center justify-between gap-2">
          {title && <h2 className="text-base font-semibold text-slate-800">{title}</h2>}
          {actions}
        </div>
      )}
      {children}
    </section>
  );
}
