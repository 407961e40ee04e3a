/**
 * The one place operations become events (called by operations.ts only): the operation's own event, and for
 * the start and end of an operation on a container, the container's (its state, or the row itself, changes).
 */
import { publish, type OperationPhase } from "./bus.js";

export interface OperationRef {
  id: string;
  type: string;
  tenantId: string;
  containerId: string | null;
}

export function publishOperation(op: OperationRef, phase: OperationPhase, status?: string): void {
  publish({
    kind: "operation",
    phase,
    operationId: op.id,
    type: op.type,
    tenantId: op.tenantId,
    containerId: op.containerId,
    ...(status ? { status } : {}),
  });
  if (op.containerId && (phase === "created" || phase === "finished"))
    publish({ kind: "container", containerId: op.containerId, tenantId: op.tenantId });
}
