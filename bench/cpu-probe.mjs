// Request-latency probe for bench/cpu.bench.ts. The bench moves this process into a container's cpu,
// cpuacct and cpuset cgroups (so it is scheduled exactly like the container's own processes: same cores,
// same CFS quota), then writes "go" on stdin. Every PERIOD ms a "request" arrives: a fixed amount of work
// (ITERS rounds of integer arithmetic, calibrated by the bench). Prints JSON: per request the response
// time (from its arrival to the end of its work) and the wake-up lateness, in ms.
import { createInterface } from "node:readline";

const [n, periodMs, iters] = process.argv.slice(2).map(Number);
let sink = 0;
const work = () => {
  let x = sink | 0;
  for (let i = 0; i < iters; i++) x = (Math.imul(x, 1103515245) + 12345) | 0;
  sink = x;
};
work(); // JIT warm-up before the clock runs
const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const now = () => Number(process.hrtime.bigint()) / 1e6;

createInterface({ input: process.stdin }).once("line", async () => {
  const response = [];
  const late = [];
  const t0 = now() + periodMs;
  for (let i = 0; i < n; i++) {
    const due = t0 + i * periodMs;
    await sleep(due - now());
    const woke = now();
    work();
    const done = now();
    late.push(Math.max(0, woke - due));
    response.push(done - due);
  }
  process.stdout.write(JSON.stringify({ response, late, sink }) + "\n");
  process.exit(0);
});
