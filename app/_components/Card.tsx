import type { ReactNode } from "react";
import { ScrollBox } from "./ScrollBox.js";

/**
 * A titled section; the heading names the region for assistive tech and tests. What is wider than the card
 * (a table on a phone) scrolls inside the card, never the page.
 */
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
      className={`min-w-0 rounded-lg border border-slate-200 bg-white p-3 shadow-sm sm:p-4 ${className}`}
      aria-label={typeof title === "string" ? title : undefined}
    >
      {(title || actions) && (
        <div className="mb-3 flex flex-wrap items-center justify-between gap-2">
          {title && <h2 className="text-base font-semibold text-slate-800">{title}</h2>}
          {actions}
        </div>
      )}
      <ScrollBox label={typeof title === "string" ? title : undefined} className="-m-1 p-1">
        {children}
      </ScrollBox>
    </section>
  );
}
