/**
 * Test tracing: with OVZ_TRACE=<file> the engine appends one line per event a test wants to count:
 * - "exec <cmd> <args> [<stdin bytes]" for every host tool it spawns, "output <cmd> <stdout bytes>" when it exits
 *   (exec.ts);
 * - "record <ctid>" for every container record file it reads (records.ts).
 * Off (and free) when unset. Root tests use it to prove that a query spawns nothing per container, and that one
 * container's create, start, stop or destroy does the same work with 5 or 60 containers on the node.
 */
import { appendFileSync } from "node:fs";

export type TraceEvent = "exec" | "output" | "record";

export function trace(event: TraceEvent, what: string): void {
  const file = process.env.OVZ_TRACE;
  if (!file) return;
  try {
    appendFileSync(file, `${event} ${what}\n`);
  } catch {
    /* a trace that cannot be written must not break the engine */
  }
}
