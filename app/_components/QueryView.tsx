import type { ReactNode } from "react";
import { Empty } from "./Empty.js";
import { ErrorBox } from "./ErrorBox.js";
import { Loading } from "./Loading.js";

/**
 * The three states every list query shows before its data: loading, the server's error sentence, and
 * (for lists, when `empty` is given) an empty-state line. `children` renders the loaded data.
 */
export function QueryView<T>({
  q,
  empty,
  loading,
  lines,
  children,
}: {
  q: { isPending: boolean; error: unknown; data: T | undefined };
  empty?: ReactNode;
  loading?: string;
  /** grey bars while loading (a skeleton of this many lines) */
  lines?: number;
  children: (data: T) => ReactNode;
}) {
  if (q.isPending) return <Loading what={loading} lines={lines} />;
  if (q.error) return <ErrorBox error={q.error} />;
  const data = q.data as T;
  if (empty !== undefined && Array.isArray(data) && data.length === 0) return <Empty>{empty}</Empty>;
  return <>{children(data)}</>;
}
