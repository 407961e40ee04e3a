/**
 * A revert stack, modelled on incus' shared/revert: register how to undo each host change right after
 * making it (`add`); when the operation completes, `success()` drops them; when it fails, `await fail()` runs
 * them in reverse order. A failing undo is logged with its cause and the rest still run — it never replaces
 * the operation's own error, which the caller rethrows.
 *
 *   const r = new Revert(log);
 *   try {
 *     await openGate(...);
 *     r.add("close the rootfs gate", () => closeGate(...));
 *     ...
 *     r.success();
 *   } catch (e) {
 *     await r.fail();
 *     throw wrapError(e, "Failed to start container 101");
 *   }
 *
 * The journal stays the crash-recovery layer: a revert stack lives in memory and only covers failures the
 * engine survives.
 */

export type Undo = () => Promise<unknown> | unknown;

export class Revert {
  private steps: Array<{ what: string; undo: Undo }> = [];

  constructor(private readonly log: (line: string) => void) {}

  /** Register the undo of a change just made; `what` names it in the log when the undo fails. */
  add(what: string, undo: Undo): void {
    this.steps.push({ what, undo });
  }

  /** The operation completed: nothing is undone. */
  success(): void {
    this.steps = [];
  }

  /** The operation failed: undo every registered change, last first. Never throws. */
  async fail(): Promise<void> {
    const steps = this.steps.reverse();
    this.steps = [];
    for (const { what, undo } of steps) {
      try {
        await undo();
      } catch (e) {
        this.log(`undo failed: ${what}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
}
