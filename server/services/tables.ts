/**
 * The panel's big tables (containers, operations, audit): one page at a time, sorted by a whitelisted column,
 * filtered by a short search text, with the total for the pager. Offset pagination with a bounded page size:
 * every query has a fixed number of parameters whatever the number of rows (issue 16's rule).
 */
import { z } from "zod";
import { providerOfDb, type Db } from "../db/client.js";

export const PAGE_SIZES = [10, 25, 50, 100] as const;
export const MAX_PAGE_SIZE = 100;

/** The input of a `*.table` procedure: sort by one of `columns`, a search text, a page of at most 100 rows. */
export function tableInput<C extends readonly [string, ...string[]]>(
  columns: C,
  defaults: { sort: C[number]; dir: "asc" | "desc" },
) {
  return z.object({
    sort: z.enum(columns).default(defaults.sort as never),
    dir: z.enum(["asc", "desc"]).default(defaults.dir),
    q: z.string().trim().max(100, "search for at most 100 characters").default(""),
    page: z.number().int().min(1).max(100_000).default(1),
    pageSize: z.number().int().min(1).max(MAX_PAGE_SIZE).default(25),
  });
}

export interface TableArgs<S extends string = string> {
  sort: S;
  dir: "asc" | "desc";
  q: string;
  page: number;
  pageSize: number;
}

export interface TablePage<R> {
  rows: R[];
  /** rows matching the search, over all pages */
  total: number;
  page: number;
  pageSize: number;
}

/** skip/take of a page. */
export function pageOf(a: Pick<TableArgs, "page" | "pageSize">): { skip: number; take: number } {
  return { skip: (a.page - 1) * a.pageSize, take: a.pageSize };
}

/** A case-insensitive "contains" filter: SQLite's LIKE is already so (ASCII), PostgreSQL needs the mode. */
export function contains(db: Db, q: string): { contains: string } {
  let pg = false;
  try {
    pg = providerOfDb(db) === "postgresql";
  } catch {
    pg = false; // a client not made by createDb (none in the panel): plain LIKE
  }
  return pg ? ({ contains: q, mode: "insensitive" } as { contains: string }) : { contains: q };
}
