/** BFQ on the engine's own pool device (native/src/drivers/storage/io-scheduler.ts), against a fake /sys. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { preferBfq } from "../../src/drivers/storage/io-scheduler.js";

let sys = "";
function fakeQueue(scheduler: string): string {
  sys = mkdtempSync(path.join(tmpdir(), "iosched-"));
  const q = path.join(sys, "block/loop7/queue");
  mkdirSync(path.join(q, "iosched"), { recursive: true });
  writeFileSync(path.join(q, "scheduler"), scheduler);
  writeFileSync(path.join(q, "iosched/low_latency"), "1\n");
  writeFileSync(path.join(q, "iosched/strict_guarantees"), "0\n");
  return q;
}
afterEach(() => rmSync(sys, { recursive: true, force: true }));

describe("preferBfq", () => {
  it("chooses BFQ where the kernel offers it, tuned for weights over latency", async () => {
    const q = fakeQueue("[none] mq-deadline bfq\n");
    await preferBfq("/dev/loop7", sys, {});
    expect(readFileSync(path.join(q, "scheduler"), "utf8")).toBe("bfq");
    expect(readFileSync(path.join(q, "iosched/low_latency"), "utf8")).toBe("0");
    expect(readFileSync(path.join(q, "iosched/strict_guarantees"), "utf8")).toBe("1");
  });

  it("reports BFQ already running, and leaves a device alone when the admin says keep", async () => {
    fakeQueue("mq-deadline [bfq] none\n");
    expect(await preferBfq("/dev/loop7", sys, {})).toBe(true);
    const q = fakeQueue("[none] mq-deadline bfq\n");
    expect(await preferBfq("/dev/loop7", sys, { OVZ_IO_SCHEDULER: "keep" })).toBe(false);
    expect(readFileSync(path.join(q, "scheduler"), "utf8")).toBe("[none] mq-deadline bfq\n");
  });

  it("changes nothing where BFQ is not offered (no module), and never throws for a missing device", async () => {
    const q = fakeQueue("[none] mq-deadline kyber\n");
    expect(await preferBfq("/dev/loop7", sys, {})).toBe(false);
    expect(readFileSync(path.join(q, "scheduler"), "utf8")).toBe("[none] mq-deadline kyber\n");
    expect(readFileSync(path.join(q, "iosched/low_latency"), "utf8")).toBe("1\n");
    expect(await preferBfq("/dev/loop99", sys, {})).toBe(false);
  });
});
