"use client";
import Link from "next/link";
import { OperationPanel } from "../../../_components/OperationPanel.js";
import type { LiveOperation } from "../../../_lib/useOperation.js";

/** The running create's operation, then a link to the new container once it succeeded. */
export function CreateProgress({
  op,
  result,
  onFinished,
}: {
  op: { id: string; containerId: string | null } | null;
  result: LiveOperation | null;
  onFinished: (o: LiveOperation) => void;
}) {
  return (
    <>
      {op && <OperationPanel key={op.id} operationId={op.id} onFinished={onFinished} title="Creating container" />}
      {result?.status === "succeeded" && op?.containerId && (
        <p>
          <Link
            href={`/containers/${op.containerId}`}
            className="inline-block rounded-md bg-blue-600 px-3 py-1.5 text-sm font-medium text-white shadow-sm hover:bg-blue-700"
          >
            Open container
          </Link>
        </p>
      )}
    </>
  );
}
