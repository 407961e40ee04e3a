/** Retrying a step that lost a lock race (server/db/retry.ts): deadlocks and write conflicts only. */
import { describe, expect, it } from "vitest";
import { isRetryableConflict, retryOnConflict } from "../../db/retry.js";

describe("retryOnConflict", () => {
  it("recognises PostgreSQL deadlocks and write conflicts as Prisma reports them, and nothing else", () => {
    expect(
      isRetryableConflict({ code: "P2034", message: "Transaction failed due to a write conflict or a deadlock" }),
    ).toBe(true);
    expect(isRetryableConflict({ message: "deadlock detected", meta: { code: "40P01" } })).toBe(true);
    expect(isRetryableConflict(new Error("ERROR: could not serialize access due to concurrent update"))).toBe(true);
    expect(isRetryableConflict({ code: "P2002", message: "Unique constraint failed" })).toBe(false);
    expect(isRetryableConflict(new Error("connection refused"))).toBe(false);
    expect(isRetryableConflict(null)).toBe(false);
  });

  it("runs the step again after a conflict, gives up after its tries, never retries other errors", async () => {
    let n = 0;
    expect(await retryOnConflict(async () => (++n < 3 ? Promise.reject({ code: "P2034" }) : "done"))).toBe("done");
    expect(n).toBe(3);
    n = 0;
    await expect(retryOnConflict(async () => (n++, Promise.reject({ code: "P2034" })), 2)).rejects.toMatchObject({
      code: "P2034",
    });
    expect(n).toBe(2);
    n = 0;
    await expect(retryOnConflict(async () => (n++, Promise.reject(new Error("boom"))))).rejects.toThrow("boom");
    expect(n).toBe(1);
  });
});
