/**
 * Runs once when the panel server starts (Next.js instrumentation hook): repair what a previous panel
 * process left unfinished (server/services/recovery.ts).
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { db } = await import("./server/db/client.js");
  const { recoverAfterRestart } = await import("./server/services/recovery.js");
  try {
    const r = await recoverAfterRestart(db());
    if (r.operations || r.removed || r.synced) console.log(`[panel] recovery: ${r.operations} interrupted operation(s) marked failed, ${r.removed} unfinished container(s) removed, ${r.synced} synced`);
  } catch (e) {
    console.error("[panel] recovery after restart failed; the panel runs on, stale operations stay until the next start", e);
  }
}
