"use client";
import { useEffect, useRef, useState } from "react";
import { PAGE_SIZES } from "../_lib/table-params.js";
import { Button } from "./Button.js";
import { SelectField } from "./SelectField.js";
import { TextField } from "./TextField.js";

/** A labelled search box that tells the table after a pause in typing (300 ms), not at every key. */
export function SearchBox({
  label,
  value,
  onSearch,
  placeholder,
}: {
  label: string;
  value: string;
  onSearch: (q: string) => void;
  placeholder?: string;
}) {
  const [text, setText] = useState(value);
  const sent = useRef(value);
  const search = useRef(onSearch);
  useEffect(() => {
    search.current = onSearch;
  });
  // the URL changed by itself (Back, a link): show its search
  useEffect(() => {
    if (value !== sent.current) {
      sent.current = value;
      setText(value);
    }
  }, [value]);
  useEffect(() => {
    if (text.trim() === sent.current) return;
    const t = setTimeout(() => {
      sent.current = text.trim();
      search.current(text.trim());
    }, 300);
    return () => clearTimeout(t);
  }, [text]);
  return (
    <TextField
      wrapClassName="w-full sm:w-72"
      type="search"
      label={label}
      value={text}
      onChange={setText}
      placeholder={placeholder}
      autoComplete="off"
      maxLength={100}
    />
  );
}

/** Previous/Next, the page and row counts, and the page size. */
export function Pager({
  label,
  page,
  pageSize,
  total,
  onPage,
  onPageSize,
}: {
  label: string;
  page: number;
  pageSize: number;
  total: number;
  /** the new page, from the latest page asked for (which may be ahead of `page` while the URL catches up) */
  onPage: (to: (latest: number) => number) => void;
  onPageSize: (size: number) => void;
}) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const first = total === 0 ? 0 : Math.min(total, (page - 1) * pageSize + 1);
  const last = Math.min(total, page * pageSize);
  return (
    <nav aria-label={`${label} pages`} className="mt-3 flex flex-wrap items-end justify-between gap-3">
      <p className="text-sm text-slate-600" aria-live="polite" data-testid="pager-status">
        {page > pages
          ? `Page ${page} is past the end: there ${pages === 1 ? "is 1 page" : `are ${pages} pages`} (${total} rows).`
          : `${total === 0 ? "No rows" : `${first}–${last} of ${total}`} · page ${page} of ${pages}`}
      </p>
      <div className="flex flex-wrap items-end gap-2">
        <SelectField
          wrapClassName="w-28"
          label="Rows per page"
          value={String(pageSize)}
          onChange={(v) => onPageSize(Number(v))}
          options={PAGE_SIZES.map((n) => ({ value: String(n), label: String(n) }))}
        />
        {/* the second click of a double click (detail 2) is not a second page; quick single clicks each are */}
        <Button
          variant="secondary"
          disabled={page <= 1}
          onClick={(e) => e.detail < 2 && onPage((p) => Math.max(1, Math.min(p - 1, pages)))}
        >
          Previous
        </Button>
        <Button
          variant="secondary"
          disabled={page >= pages}
          onClick={(e) => e.detail < 2 && onPage((p) => Math.min(p + 1, pages))}
        >
          Next
        </Button>
      </div>
    </nav>
  );
}
