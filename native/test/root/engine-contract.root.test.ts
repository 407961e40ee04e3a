/**
 * The engine contract (server/test/contract/engine.contract.ts) against the real engine daemon over its
 * socket, in its own network namespace, state dir and pool (startTestEngine), removed afterwards. The same
 * suite runs against the FakeEngine in server/test/unit/engine-contract.test.ts.
 */
import { engineContract } from "../../../server/test/contract/engine.contract.js";
import { startTestEngine } from "../helpers/engine.js";
import { describeRoot } from "../helpers/root.js";

describeRoot("engine contract against the real engine", () => {
  engineContract("real engine", async () => {
    const te = await startTestEngine();
    try {
      await te.client.call("template.build", { kind: "busybox" });
    } catch (e) {
      await te.cleanup();
      throw e;
    }
    return { engine: te.client, template: "busybox", cleanup: () => te.cleanup() };
  });
});
