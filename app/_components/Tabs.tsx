"use client";
import { useEffect, useRef, type KeyboardEvent, type ReactNode } from "react";

export interface TabDef<T extends string> {
  id: T;
  label: string;
}

/**
 * Tabs as WAI-ARIA describes them: a tablist of buttons (the selected one is the only one in the Tab order),
 * Left/Right (and Home/End) move to the previous/next tab and show it, and one tabpanel labelled by its tab.
 * Only the selected panel is rendered: a tab's queries run when it is shown. The caller keeps `selected`
 * (in the URL, so a reload and the back button show the same tab).
 */
export function Tabs<T extends string>({
  label,
  tabs,
  selected,
  onSelect,
  idPrefix,
  children,
}: {
  label: string;
  tabs: readonly TabDef<T>[];
  selected: T;
  onSelect: (id: T) => void;
  idPrefix: string;
  children: ReactNode;
}) {
  const refs = useRef(new Map<T, HTMLButtonElement>());
  // on a narrow screen the tablist scrolls sideways: keep the selected tab in sight (a link to ?tab=settings).
  // A block, not an expression: Chromium's scrollIntoView returns a promise, which React would take for a cleanup.
  useEffect(() => {
    void refs.current.get(selected)?.scrollIntoView({ block: "nearest", inline: "nearest" });
  }, [selected]);
  const go = (i: number) => {
    const t = tabs[(i + tabs.length) % tabs.length]!;
    onSelect(t.id);
    refs.current.get(t.id)?.focus();
  };
  const onKeyDown = (e: KeyboardEvent<HTMLButtonElement>, i: number) => {
    const to =
      e.key === "ArrowRight"
        ? i + 1
        : e.key === "ArrowLeft"
          ? i - 1
          : e.key === "Home"
            ? 0
            : e.key === "End"
              ? tabs.length - 1
              : null;
    if (to === null) return;
    e.preventDefault();
    go(to);
  };
  return (
    <div className="flex min-w-0 flex-col gap-4">
      <div
        role="tablist"
        aria-label={label}
        className="-mx-1 flex gap-1 overflow-x-auto border-b border-slate-200 px-1"
        data-testid="tabs"
      >
        {tabs.map((t, i) => {
          const on = t.id === selected;
          return (
            <button
              key={t.id}
              ref={(el) => {
                if (el) refs.current.set(t.id, el);
                else refs.current.delete(t.id);
              }}
              type="button"
              role="tab"
              id={`${idPrefix}-tab-${t.id}`}
              aria-selected={on}
              // only the shown panel is in the page: the other tabs point at nothing (axe refuses a missing id)
              aria-controls={on ? `${idPrefix}-panel-${t.id}` : undefined}
              tabIndex={on ? 0 : -1}
              onClick={() => onSelect(t.id)}
              onKeyDown={(e) => onKeyDown(e, i)}
              className={`-mb-px shrink-0 whitespace-nowrap border-b-2 px-3 py-2 text-sm focus:outline-none focus-visible:ring-2 focus-visible:ring-blue-500/50 ${
                on
                  ? "border-blue-600 font-medium text-blue-700"
                  : "border-transparent text-slate-600 hover:border-slate-300 hover:text-slate-900"
              }`}
            >
              {t.label}
            </button>
          );
        })}
      </div>
      <div
        role="tabpanel"
        id={`${idPrefix}-panel-${selected}`}
        aria-labelledby={`${idPrefix}-tab-${selected}`}
        data-testid={`tabpanel-${selected}`}
        className="flex min-w-0 flex-col gap-4"
      >
        {children}
      </div>
    </div>
  );
}
