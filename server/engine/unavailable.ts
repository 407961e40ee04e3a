/**
 * A node's engine that cannot be reached (socket missing or refused, TLS refused, no answer) is one typed
 * panel error, ENGINE_UNAVAILABLE (server/errors.ts: 503 "service unavailable"), made here where the panel
 * connects, so nothing downstream reads error messages. The sentence stays the dial's own, which says what
 * to check ("cannot reach the host engine at /run/ovz/engine.sock: …; is it running?").
 */
import type { MethodName, OpEvent, Params, Result } from "../../native/src/protocol/schema.js";
import { isUnreachable } from "../../native/src/protocol/dial.js";
import { PanelError } from "../errors.js";
import type { EnginePort } from "./port.js";

/** A failed connection as ENGINE_UNAVAILABLE; null for any other error. */
export function unavailableError(e: unknown): PanelError | null {
  if (!isUnreachable(e)) return null;
  return new PanelError("ENGINE_UNAVAILABLE", e.message, undefined, { cause: e });
}

/** An engine whose connection failures are ENGINE_UNAVAILABLE; every other error passes unchanged. */
export class NodeEngine implements EnginePort {
  constructor(readonly inner: EnginePort) {}

  async call<M extends MethodName>(
    method: M,
    params: Params<M>,
    opts?: { onEvent?: (e: OpEvent) => void },
  ): Promise<Result<M>> {
    try {
      return await this.inner.call(method, params, opts);
    } catch (e) {
      throw unavailableError(e) ?? e;
    }
  }

  close(): void {
    this.inner.close();
  }
}
