/**
 * Many containers on one node (issue 16, first step): 200 busybox containers without network on the real engine.
 * The engine writes every host tool it spawns and every record file it reads to a trace (OVZ_TRACE, see
 * native/src/trace.ts); the test counts them. container.list, container.status, container.usage and
 * container.net.stats spawn nothing per container (net.stats reads all counters with a fixed number of `ip` and
 * `nft` calls), and a create reads no more record files with 200 containers than with none. The states agree with
 * what was done to the containers (running, frozen, stopped). No timing is asserted; the times are printed.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeRoot } from "../helpers/root.js";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";

const N = 200;
const FIRST = 3000;
const ctids = Array.from({ length: N }, (_, i) => FIRST + i);
const RUNNING = [FIRST, FIRST + 1, FIRST + 100, FIRST + N - 1];
const FROZEN = FIRST + 50;
const MiB = 1024 * 1024;

let te: TestEngine;
let dir = "";
let traceFile = "";
/** record reads of each create, by how many containers existed before it */
const createReads = new Map<number, number>();

const traceLines = () => readFileSync(traceFile, "utf8").split("\n").filter(Boolean);

/** What the engine spawned and read while `fn` ran: commands with their counts, and record file reads. */
async function traced<T>(fn: () => Promise<T>): Promise<{ result: T; execs: Record<string, number>; reads: number }> {
  const before = traceLines().length;
  const result = await fn();
  const lines = traceLines().slice(before);
  const execs: Record<string, number> = {};
  for (const l of lines) {
    const m = /^exec (\S+)/.exec(l);
    if (m) execs[m[1]!] = (execs[m[1]!] ?? 0) + 1;
  }
  return { result, execs, reads: lines.filter((l) => l.startsWith("record ")).length };
}

const total = (execs: Record<string, number>) => Object.values(execs).reduce((a, b) => a + b, 0);

describeRoot(`${N} containers on one node`, () => {
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "ovz-scale-"));
    traceFile = path.join(dir, "trace");
    te = await startTestEngine({ env: { OVZ_TRACE: traceFile } });
    await te.client.call("template.build", { kind: "busybox" });
    const t0 = performance.now();
    for (const [i, ctid] of ctids.entries()) {
      const { reads } = await traced(() =>
        te.client.call("container.create", {
          ctid,
          template: "busybox",
          hostname: `s${ctid}.test`,
          limits: { ram: 64 * MiB, diskspace: 64 * MiB },
        }),
      );
      createReads.set(i, reads);
    }
    console.log(`created ${N} containers in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    for (const ctid of RUNNING) await te.client.call("container.start", { ctid });
    await te.client.call("container.start", { ctid: FROZEN });
    await te.client.call("container.suspend", { ctid: FROZEN });
  }, 1_800_000);

  afterAll(async () => {
    const t0 = performance.now();
    await te?.cleanup();
    console.log(`destroyed them and cleaned up in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 1_800_000);

  it("a create reads no more record files with 200 containers than with none", () => {
    const first = [0, 1, 2].map((i) => createReads.get(i)!);
    const last = [N - 3, N - 2, N - 1].map((i) => createReads.get(i)!);
    console.log(`record files read by a create: first ${first.join(",")}; last ${last.join(",")}`);
    expect(Math.max(...last)).toBeLessThanOrEqual(Math.max(...first));
    expect(Math.max(...createReads.values())).toBeLessThanOrEqual(1);
  });

  it("container.list spawns nothing and reads no record file, and tells the states right", async () => {
    const t0 = performance.now();
    const { result: list, execs, reads } = await traced(() => te.client.call("container.list", {}));
    console.log(`container.list of ${N}: ${(performance.now() - t0).toFixed(0)} ms, spawned ${JSON.stringify(execs)}`);
    expect(execs).toEqual({});
    expect(reads).toBe(0);
    expect(list.map((c) => c.ctid)).toEqual(ctids);
    const by = new Map(list.map((c) => [c.ctid, c]));
    for (const ctid of RUNNING) expect(by.get(ctid)).toMatchObject({ state: "running", initPid: expect.any(Number) });
    expect(by.get(FROZEN)).toMatchObject({ state: "suspended", initPid: expect.any(Number) });
    const stopped = list.filter((c) => c.state === "stopped");
    expect(stopped).toHaveLength(N - RUNNING.length - 1);
    expect(stopped.every((c) => c.initPid === null)).toBe(true);
  });

  it("container.status, container.usage and container.net.stats spawn nothing per container", async () => {
    const status = await traced(() => te.client.call("container.status", { ctid: RUNNING[1]! }));
    expect(status.execs).toEqual({});
    expect(status.result.state).toBe("running");

    const usage = await traced(() => te.client.call("container.usage", {}));
    expect(usage.execs).toEqual({});
    expect(usage.result.map((u) => u.ctid).sort()).toEqual([...RUNNING, FROZEN].sort());

    const t0 = performance.now();
    const net = await traced(() => te.client.call("container.net.stats", {}));
    console.log(
      `container.net.stats of ${N}: ${(performance.now() - t0).toFixed(0)} ms, spawned ${JSON.stringify(net.execs)}`,
    );
    // one `ip` for every interface's counters, one `nft` per table family: the same for 1 container or 1000
    for (const cmd of Object.keys(net.execs)) expect(["ip", "nft"]).toContain(cmd);
    expect(total(net.execs)).toBeLessThanOrEqual(3);
    expect(net.result).toHaveLength(N);
    expect(
      net.result
        .filter((s) => s.running)
        .map((s) => s.ctid)
        .sort(),
    ).toEqual([...RUNNING, FROZEN].sort());
    // a boot id for every running one: the init pid the list shows, with its start time
    const list = new Map((await te.client.call("container.list", {})).map((c) => [c.ctid, c]));
    for (const s of net.result.filter((x) => x.running))
      expect(s.boot).toMatch(new RegExp(`^${list.get(s.ctid)!.initPid}-\\d+$`));
  });

  it("a stop and a start show in the next list, still without a spawn of its own", async () => {
    await te.client.call("container.stop", { ctid: RUNNING[0]!, force: true });
    await te.client.call("container.resume", { ctid: FROZEN });
    const { result, execs } = await traced(() => te.client.call("container.list", {}));
    expect(execs).toEqual({});
    const by = new Map(result.map((c) => [c.ctid, c.state]));
    expect(by.get(RUNNING[0]!)).toBe("stopped");
    expect(by.get(FROZEN)).toBe("running");
  });
});
