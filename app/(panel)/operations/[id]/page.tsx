"use client";
import { useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useParams } from "next/navigation";
import { OperationPanel } from "../../../_components/OperationPanel.js";
import { PageHeader } from "../../../_components/PageHeader.js";
import { useTRPC } from "../../../_lib/trpc.js";
import { link } from "../../../_lib/ui.js";

export default function OperationPage() {
  const { id } = useParams<{ id: string }>();
  const trpc = useTRPC();
  const qc = useQueryClient();
  return (
    <>
      <PageHeader
        title="Operation"
        subtitle={
          <Link className={link} href="/operations">
            All operations
          </Link>
        }
      />
      <OperationPanel
        key={id}
        operationId={id}
        showContainerLink
        onFinished={() => {
          void qc.invalidateQueries(trpc.operations.pathFilter());
          void qc.invalidateQueries(trpc.containers.pathFilter());
        }}
      />
    </>
  );
}
