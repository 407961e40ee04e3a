"use client";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useRef } from "react";

export const PAGE_SIZES = [10, 25, 50, 100] as const;

type Patch<S extends string> = Partial<TableParams<S>> | ((latest: TableParams<S>) => Partial<TableParams<S>>);

export interface TableParams<S extends string> {
  sort: S;
  dir: "asc" | "desc";
  q: string;
  page: number;
  pageSize: number;
}

/**
 * A table's sort, search and page in the URL (?sort=hostname or ?sort=-hostname for descending, &q=, &page=,
 * &size=), so Back, reload and a shared link show the same page. Unknown values fall back to the defaults.
 * A change asked for before the URL shows the one before it (two quick clicks on Next, a sort right after typing
 * a search) builds on that one, not on the stale URL: `patch` may be a function of the latest asked-for state.
 */
export function useTableParams<S extends string>(
  sorts: readonly S[],
  defaults: { sort: S; dir: "asc" | "desc"; pageSize?: number },
): TableParams<S> & { set: (patch: Patch<S>, how?: "push" | "replace") => void } {
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const rawSort = params.get("sort") ?? "";
  const desc = rawSort.startsWith("-");
  const name = (desc ? rawSort.slice(1) : rawSort) as S;
  const known = sorts.includes(name);
  const size = Number(params.get("size"));
  const page = Number(params.get("page"));
  const cur: TableParams<S> = {
    sort: known ? name : defaults.sort,
    dir: known ? (desc ? "desc" : "asc") : defaults.dir,
    q: (params.get("q") ?? "").slice(0, 100),
    page: Number.isInteger(page) && page >= 1 && page <= 100_000 ? page : 1,
    pageSize: (PAGE_SIZES as readonly number[]).includes(size) ? size : (defaults.pageSize ?? 25),
  };
  // the last change asked for, and the URL it was asked from: while the URL still shows that, it is the latest state
  const pending = useRef<{ from: string; next: TableParams<S> } | null>(null);
  const here = `${pathname}?${params.toString()}`;
  const set = (patch: Patch<S>, how: "push" | "replace" = "push") => {
    const latest = pending.current?.from === here ? pending.current.next : cur;
    const next = { ...latest, ...(typeof patch === "function" ? patch(latest) : patch) };
    pending.current = { from: here, next };
    const q = new URLSearchParams(params.toString());
    const put = (k: string, v: string, dflt: string) => (v === dflt ? q.delete(k) : q.set(k, v));
    const sortOf = (s: S, d: string) => (d === "desc" ? `-${s}` : s);
    put("sort", sortOf(next.sort, next.dir), sortOf(defaults.sort, defaults.dir));
    put("q", next.q, "");
    put("page", String(next.page), "1");
    put("size", String(next.pageSize), String(defaults.pageSize ?? 25));
    const s = q.toString();
    router[how](s ? `${pathname}?${s}` : pathname, { scroll: false });
  };
  return { ...cur, set };
}
