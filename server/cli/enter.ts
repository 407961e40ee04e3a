/**
 * vzctl enter / prlctl enter: an interactive shell in the container through the engine's console. With
 * `exec` (vzctl enter --exec), the text is typed into that shell first, as OpenVZ's vzctl does: the shell
 * stays afterwards (`--exec "apt-get install vim && logout"` leaves it when the command succeeds).
 */
import type { FullContainer } from "../services/container-state.js";

export async function enterCt(c: FullContainer, exec?: string): Promise<number> {
  const { enterContainer } = await import("../../native/src/enter.js");
  return enterContainer({ socketPath: c.node.endpoint, ctid: c.ctid, ...(exec ? { typed: exec } : {}) });
}
