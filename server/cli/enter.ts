/** vzctl enter / prlctl enter: an interactive shell in the container through the engine's console. */
import type { FullContainer } from "../services/containers.js";

export async function enterCt(c: FullContainer, exec?: string): Promise<number> {
  const { enterContainer } = await import("../../native/src/enter.js");
  return enterContainer({ socketPath: c.node.endpoint, ctid: c.ctid, ...(exec ? { command: ["/bin/sh", "-c", exec] } : {}) });
}
