/**
 * The engine contract (server/test/contract/engine.contract.ts) against the in-memory FakeEngine the
 * panel's handler tests and fast UI runs use; native/test/root/engine-contract.root.test.ts runs the same
 * suite against the real engine, so the fake cannot drift from it.
 */
import { FakeEngine } from "../../engine/fake.js";
import { engineContract } from "../contract/engine.contract.js";

engineContract("fake engine", async () => ({ engine: new FakeEngine(), template: "busybox", cleanup: async () => {} }));
