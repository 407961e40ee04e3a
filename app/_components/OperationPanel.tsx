"use client";
import Link from "next/link";
import { useEffect, useRef } from "react";
import { when } from "../_lib/format.js";
import { isActive, useOperation, type LiveOperation } from "../_lib/useOperation.js";
import { ErrorBox } from "./ErrorBox.js";
import { ProgressBar } from "./ProgressBar.js";
import { StateBadge } from "./StateBadge.js";

/** Progress bar, live log and final status of one operation; calls onFinished once when it ends. */
export function OperationPanel({
  operationId,
  onFinished,
  title,
  showContainerLink = false,
}: {
  operationId: string;
  onFinished?: (op: LiveOperation) => void;
  title?: string;
  showContainerLink?: boolean;
}) {
  const q = useOperation(operationId);
  const op = q.data;
  const logRef = useRef<HTMLPreElement>(null);
  const reported = useRef(false);
  const finishedCb = useRef(onFinished);
  finishedCb.current = onFinished;

  useEffect(() => {
    if (op && !isActive(op.status) && !reported.current) {
      reported.current = true;
      finishedCb.current?.(op);
    }
  }, [op]);

  useEffect(() => {
    const el = logRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [op?.lines.length]);

  if (q.error && !op) return <ErrorBox error={q.error} />;
  if (!op) return <p className="text-sm text-slate-500">Loading operation…</p>;
  const failed = op.status === "failed";
  const label = title ?? `Operation: ${op.type}`;

  return (
    <section
      aria-label={label}
      data-testid="operation"
      data-operation-type={op.type}
      className="flex flex-col gap-2 rounded-lg border border-slate-200 bg-white p-3 shadow-sm"
    >
      <div className="flex flex-wrap items-center justify-between gap-2">
        <div className="flex items-center gap-2">
          <h3 className="text-sm font-semibold text-slate-800">{label}</h3>
          <span className="text-sm" aria-live="polite" data-testid="operation-status">
            <StateBadge state={op.status} />
          </span>
          {showContainerLink && op.container && (
            <Link className="text-sm text-blue-700 hover:underline" href={`/containers/${op.container.id}`}>
              container {op.container.ctid} ({op.container.hostname})
            </Link>
          )}
        </div>
        <span className="text-xs text-slate-500">
          {op.actor} · started {when(op.startedAt ?? op.createdAt)}
          {op.finishedAt ? ` · finished ${when(op.finishedAt)}` : ""}
        </span>
      </div>
      <div className="flex items-center gap-2">
        <div className="flex-1">
          <ProgressBar value={op.progress} label={`${label} progress`} failed={failed} />
        </div>
        <span className="w-10 text-right text-xs tabular-nums text-slate-600">{op.progress}%</span>
      </div>
      {op.message && <p className="text-xs text-slate-600">{op.message}</p>}
      <pre
        ref={logRef}
        aria-label="Operation log"
        className="max-h-56 min-h-16 overflow-auto rounded-md bg-slate-900 p-2 font-mono text-xs leading-relaxed text-slate-100"
      >
        {op.lines.length === 0 ? (
          <span className="text-slate-400">(no log lines yet)</span>
        ) : (
          op.lines.map((l) => <div key={l.id}>{l.line}</div>)
        )}
      </pre>
      {op.status === "succeeded" && (
        <p className="text-sm font-medium text-green-700">Operation {op.type} succeeded.</p>
      )}
      {failed && (
        <p role="alert" className="text-sm font-medium text-red-700">
          Operation {op.type} failed: {op.error ?? "no reason given"}
        </p>
      )}
      {q.error && <ErrorBox error={q.error} />}
    </section>
  );
}
