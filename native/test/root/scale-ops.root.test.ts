/**
 * The work of one container's life does not grow with the containers on the node (issue 16): the same create,
 * set, net.set, start, live set, live net.set, stop and destroy of one container, traced (OVZ_TRACE, see
 * native/src/trace.ts) once with FEW and once with MANY other containers present — each with venet addresses,
 * every third with a firewall, two of them running. Both runs must spawn the same host tools with the same
 * arguments, feed them the same number of bytes (one small `nft -f -` script of the container's own rules, never
 * the whole ruleset), get the same amount of output (no listing of every container's counters), and read the
 * same record files (none). A container without a network costs no nft call at all. host.stats (the node
 * dashboard) spawns nothing either. No timing is asserted.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeRoot } from "../helpers/root.js";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";

const FEW = 5;
const MANY = 60;
const FIRST = 3900;
const PROBE = 3990;
const BARE = 3991;
const RUNNING = [FIRST, FIRST + 1];
const MiB = 1024 * 1024;

let te: TestEngine;
let dir = "";
let traceFile = "";
let present = 0;

const traceLines = () => readFileSync(traceFile, "utf8").split("\n").filter(Boolean);

/** Background container i: venet 198.18.40.<i+2>, a firewall on every third. */
async function addOthers(upTo: number): Promise<void> {
  for (; present < upTo; present++) {
    const ctid = FIRST + present;
    await te.client.call("container.create", {
      ctid,
      template: "busybox",
      limits: { ram: 64 * MiB, diskspace: 64 * MiB },
      net: {
        venet: [`198.18.40.${present + 2}`],
        firewall:
          present % 3 === 0
            ? { enabled: true, rules: [{ direction: "in", action: "accept", proto: "tcp", ports: "22" }] }
            : {},
      },
    });
  }
}

/**
 * One container's whole life, traced: the host tools spawned (command, arguments and stdin bytes), their output
 * sizes by command, and the record files read.
 */
async function life(ctid: number, withNet: boolean): Promise<{ execs: string[]; outputs: string[]; reads: number }> {
  const c = te.client;
  const from = traceLines().length;
  const net = (a: string) => ({
    venet: [a],
    firewall: {
      enabled: true,
      rules: [{ direction: "in" as const, action: "accept" as const, proto: "icmp" as const }],
    },
  });
  await c.call("container.create", {
    ctid,
    template: "busybox",
    limits: { ram: 64 * MiB, diskspace: 64 * MiB },
    ...(withNet ? { net: net("198.18.41.2") } : {}),
  });
  await c.call("container.set", { ctid, limits: { ram: 96 * MiB } });
  if (withNet) await c.call("container.net.set", { ctid, net: { venet: ["198.18.41.2", "198.18.41.3"] } });
  await c.call("container.start", { ctid });
  await c.call("container.set", { ctid, limits: { ram: 80 * MiB } });
  if (withNet)
    await c.call("container.net.set", { ctid, net: { venet: ["198.18.41.3"], firewall: { enabled: false } } });
  await c.call("container.stop", { ctid, force: true });
  await c.call("container.destroy", { ctid });
  // ids the kernel and btrfs hand out differ from run to run: subvolume ids and pids are compared by position
  const lines = traceLines()
    .slice(from)
    .map((l) =>
      l
        .replace(/ 0\/\d+ /g, " 0/ID ")
        .replace(/(subvolume sync \S+) \d+/, "$1 ID")
        .replace(/nsenter -t \d+/, "nsenter -t PID"),
    );
  // pids and start times differ from run to run: lxc-info's answer is compared by its presence, not its size
  const outputs = lines.filter((l) => l.startsWith("output ") && !l.startsWith("output lxc-info "));
  return {
    execs: lines.filter((l) => l.startsWith("exec ")).sort(),
    outputs: outputs.sort(),
    reads: lines.filter((l) => l.startsWith("record ")).length,
  };
}

describeRoot("one container's life costs the same with many containers on the node", () => {
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "ovz-scale-ops-"));
    traceFile = path.join(dir, "trace");
    te = await startTestEngine({ env: { OVZ_TRACE: traceFile } });
    await te.client.call("template.build", { kind: "busybox" });
    await addOthers(FEW);
    for (const ctid of RUNNING) await te.client.call("container.start", { ctid });
  }, 600_000);

  afterAll(async () => {
    await te?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 600_000);

  it(`spawns, feeds, reads and gets back the same with ${MANY} containers as with ${FEW}`, async () => {
    const few = await life(PROBE, true);
    const fewBare = await life(BARE, false);
    await addOthers(MANY);
    const many = await life(PROBE, true);
    const manyBare = await life(BARE, false);
    console.log(`one life with a network, ${MANY} others present:\n  ${many.execs.join("\n  ")}`);
    expect(many.execs).toEqual(few.execs);
    expect(many.outputs).toEqual(few.outputs);
    expect(many.reads).toBe(0);
    expect(few.reads).toBe(0);
    expect(manyBare.execs).toEqual(fewBare.execs);
    expect(manyBare.outputs).toEqual(fewBare.outputs);
    // its own rules: small nft scripts, and none for a container without a network
    const nftIn = many.execs.filter((l) => l.startsWith("exec nft "));
    expect(nftIn.length).toBeGreaterThan(0);
    for (const l of nftIn) expect(Number(/<(\d+)$/.exec(l)?.[1] ?? 0)).toBeLessThan(4096);
    expect(manyBare.execs.filter((l) => l.startsWith("exec nft "))).toEqual([]);
  }, 900_000);

  it("host.stats (the node dashboard) counts every container and the running ones, and spawns no process", async () => {
    const from = traceLines().length;
    const s = await te.client.call("host.stats", {});
    expect(
      traceLines()
        .slice(from)
        .filter((l) => l.startsWith("exec ")),
    ).toEqual([]);
    expect(s.containers).toEqual({ total: present, running: RUNNING.length });
    expect(s.cpu.total).toBeGreaterThan(s.cpu.busy);
    expect(s.memory.totalBytes).toBe(os.totalmem());
    expect(s.pool.totalBytes).toBeGreaterThan(s.pool.freeBytes);
  });

  it("the ruleset holds nothing of the destroyed containers and nothing for one without a network", async () => {
    const rules = (await te.inNetns("nft", ["list", "ruleset"])).stdout;
    expect(rules).toMatch(/spoof_ct3900\b/);
    expect(rules).not.toMatch(/3990|3991|198\.18\.41\./);
  });

  it("a change the kernel's tables refuse is repaired by one rebuild; an engine start rebuilds from the records", async () => {
    // behind the engine's back: container 3903's chain and map entry go (its next change cannot delete them)
    const del = 'delete element inet ovz from_venet { "vn3903" }\ndelete chain inet ovz spoof_ct3903\n';
    expect((await te.inNetns("sh", ["-c", `printf '${del}' | nft -f -`])).code).toBe(0);
    await te.client.call("container.net.set", { ctid: 3903, net: { venet: ["198.18.40.99"] } });
    const rules = (await te.inNetns("nft", ["list", "ruleset"])).stdout;
    expect(rules).toMatch(/"vn3903" : jump spoof_ct3903/);
    expect(rules).toMatch(/198\.18\.40\.99/);
    expect(await te.log()).toMatch(/firewall change for container 3903 failed .*rebuilding the ruleset/s);
    // the whole ruleset gone while the engine is down: its start puts every container's rules back
    await te.stop();
    expect((await te.inNetns("nft", ["flush", "ruleset"])).code).toBe(0);
    await te.start();
    const after = (await te.inNetns("nft", ["list", "ruleset"])).stdout;
    for (const ctid of [3900, 3903, FIRST + MANY - 1]) expect(after).toMatch(new RegExp(`chain spoof_ct${ctid} `));
    expect(after).toMatch(/chain fw_ct3900_in /);
  });
});
