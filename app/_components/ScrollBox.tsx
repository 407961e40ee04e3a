"use client";
import { useEffect, useRef, useState, type ReactNode } from "react";

/**
 * A box that scrolls sideways what is wider than itself (a table on a phone, a long audit line). While its content
 * is wider than the box, the box is a Tab stop named `label`, so the arrow keys scroll it for a keyboard user too
 * (WCAG 2.1.1; axe's scrollable-region-focusable); while it all fits, it is a plain div and no extra Tab stop.
 */
export function ScrollBox({
  label,
  className = "",
  children,
}: {
  label?: string;
  className?: string;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const [scrolls, setScrolls] = useState(false);
  useEffect(() => {
    const box = ref.current;
    if (!box) return;
    const check = () => setScrolls(box.scrollWidth > box.clientWidth);
    const resized = new ResizeObserver(check);
    const watch = () => {
      resized.disconnect();
      resized.observe(box);
      for (const c of Array.from(box.children)) resized.observe(c);
      check();
    };
    // the content changes (data arrives, rows are added): watch the new children's size too
    const changed = new MutationObserver(watch);
    changed.observe(box, { childList: true, subtree: true, characterData: true });
    watch();
    return () => {
      resized.disconnect();
      changed.disconnect();
    };
  }, []);
  return (
    <div
      ref={ref}
      className={`relative overflow-x-auto focus-visible:outline-2 focus-visible:outline-sky-600 ${className}`}
      {...(scrolls
        ? { tabIndex: 0, role: label ? "region" : undefined, "aria-label": label ? `${label} (scrolls)` : undefined }
        : {})}
    >
      {children}
    </div>
  );
}
