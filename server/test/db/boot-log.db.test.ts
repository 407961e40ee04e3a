/**
 * containers.bootLog on both databases (fake engine): the end of a container's console output, for its owner,
 * its seller and admins (as the console), bounded by maxKb; nothing for anyone else.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { PROVIDERS } from "../helpers/db.js";
import { expectCode } from "../helpers/expect.js";
import { as, fakeEngine, type World, useWorld, waitForAllOperations } from "../helpers/world.js";

describe.each(PROVIDERS)("containers.bootLog on %s", (provider) => {
  let w: World;
  useWorld(provider, (x) => ({ w } = x));
  beforeEach(() => waitForAllOperations());
  const a1 = () => w.a.customers[0]!.container;

  it("shows what init wrote at each start, to the owner, its seller and admins", async () => {
    fakeEngine().consoleLogs.delete(a1().ctid);
    const empty = await as(w, "customerA1").containers.bootLog({ containerId: a1().id });
    expect(empty).toMatchObject({ text: "", bytes: 0, truncated: false });
    const op = await as(w, "customerA1").containers.start({ containerId: a1().id });
    await waitForAllOperations();
    expect((await w.db.operation.findUniqueOrThrow({ where: { id: op.id } })).status).toBe("succeeded");
    for (const who of ["customerA1", "resellerA", "admin"] as const) {
      const r = await as(w, who).containers.bootLog({ containerId: a1().id });
      expect(r.text).toBe(`rcS: booting ${a1().hostname} (fake engine)\nrcS: boot finished\n`);
      expect(r.truncated).toBe(false);
    }
    await expectCode(as(w, "customerA2").containers.bootLog({ containerId: a1().id }), "NOT_FOUND");
    await expectCode(as(w, "resellerB").containers.bootLog({ containerId: a1().id }), "NOT_FOUND");
    await as(w, "customerA1").containers.stop({ containerId: a1().id });
    await waitForAllOperations();
  });

  it("keeps to maxKb: the end of a longer log, marked truncated", async () => {
    fakeEngine().consoleLogs.set(a1().ctid, `${"x".repeat(3000)}\nlast line\n`);
    const r = await as(w, "customerA1").containers.bootLog({ containerId: a1().id, maxKb: 1 });
    expect(r.truncated).toBe(true);
    expect(r.bytes).toBe(3011);
    expect(Buffer.byteLength(r.text)).toBe(1024);
    expect(r.text.endsWith("last line\n")).toBe(true);
    await expectCode(as(w, "customerA1").containers.bootLog({ containerId: a1().id, maxKb: 0 }), "BAD_REQUEST");
    await expectCode(as(w, "customerA1").containers.bootLog({ containerId: a1().id, maxKb: 257 }), "BAD_REQUEST");
    fakeEngine().consoleLogs.delete(a1().ctid);
  });
});
