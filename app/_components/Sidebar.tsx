"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { activeHref, navFor } from "../_lib/nav.js";
import type { Me } from "../_lib/trpc.js";

export function Sidebar({ me }: { me: Me }) {
  const path = usePathname() ?? "/";
  const items = navFor(me);
  const active = activeHref(items, path);
  return (
    <nav aria-label="Main" className="flex flex-col gap-0.5 p-2">
      {items.map((i) => {
        const on = i.href === active;
        return (
          <Link
            key={i.href}
            href={i.href}
            aria-current={on ? "page" : undefined}
            className={`rounded-md px-3 py-1.5 text-sm ${on ? "bg-slate-700 font-medium text-white" : "text-slate-300 hover:bg-slate-800 hover:text-white"}`}
          >
            {i.label}
          </Link>
        );
      })}
    </nav>
  );
}
