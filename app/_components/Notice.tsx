import type { ReactNode } from "react";

export function Notice({ children, tone = "success" }: { children: ReactNode; tone?: "success" | "info" | "warn" }) {
  const cls = {
    success: "border-green-300 bg-green-50 text-green-900",
    info: "border-blue-200 bg-blue-50 text-blue-900",
    warn: "border-amber-300 bg-amber-50 text-amber-900",
  }[tone];
  return (
    <div role="status" className={`rounded-md border px-3 py-2 text-sm ${cls}`}>
      {children}
    </div>
  );
}
