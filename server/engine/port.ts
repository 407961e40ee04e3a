/**
 * What the panel needs from a node's host engine: the typed protocol call. The real implementation is
 * native/src/protocol/client.ts (Unix socket); server/engine/fake.ts is an in-memory stand-in for fast
 * handler and UI tests. Which one runs is chosen in server/engine/index.ts, nowhere else.
 */
import type { MethodName, OpEvent, Params, Result } from "../../native/src/protocol/schema.js";

export interface EnginePort {
  call<M extends MethodName>(
    method: M,
    params: Params<M>,
    opts?: { onEvent?: (e: OpEvent) => void },
  ): Promise<Result<M>>;
  close(): void;
}
