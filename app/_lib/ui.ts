/** Shared Tailwind class strings. */
export const input =
  "block w-full rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm shadow-sm focus:border-blue-500 focus:outline-none focus:ring-2 focus:ring-blue-500/30 aria-[invalid=true]:border-red-500 disabled:bg-slate-100";
export const table = "w-full border-collapse text-left text-sm";
export const th =
  "border-b border-slate-200 bg-slate-50 px-3 py-2 text-xs font-semibold uppercase tracking-wide text-slate-500";
export const td = "border-b border-slate-100 px-3 py-2 align-top";
export const link = "text-blue-700 hover:underline";
export const mono = "font-mono text-xs";
