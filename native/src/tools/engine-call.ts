/**
 * engine-call: call one engine method from a shell and print the JSON result.
 *   tsx native/src/tools/engine-call.ts container.list '{}'
 *   tsx native/src/tools/engine-call.ts template.build '{"kind":"busybox"}'
 *   tsx native/src/tools/engine-call.ts --wait 300 host.boot '{"force":true}'
 * --wait SEC: wait up to SEC seconds for the engine's socket to answer first (a unit started right after
 * the engine's). Progress and log events go to stderr; errors print "CODE: message" and exit 1.
 */
import { EngineClient } from "../protocol/client.js";
import { isUnreachable } from "../protocol/dial.js";
import { methods, type MethodName } from "../protocol/schema.js";
import { EngineError } from "../errors.js";

const args = process.argv.slice(2);
let waitSec = 0;
if (args[0] === "--wait") {
  waitSec = Number(args[1]);
  args.splice(0, 2);
}
const [method, json = "{}"] = args;
if (!method || !Object.hasOwn(methods, method) || !(waitSec >= 0)) {
  process.stderr.write(
    `usage: engine-call [--wait SEC] METHOD [JSON-PARAMS]\nmethods: ${Object.keys(methods).join(", ")}\n`,
  );
  process.exit(2);
}
const socket = process.env.OVZ_SOCKET ?? "/run/ovz/engine.sock";

/** Until the engine answers engine.info, or the wait is over (then the last error is thrown). */
async function waitForEngine(sec: number): Promise<void> {
  const end = Date.now() + sec * 1000;
  for (;;) {
    const probe = new EngineClient(socket);
    try {
      await probe.call("engine.info", {});
      return;
    } catch (e) {
      if (!isUnreachable(e) || Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      probe.close();
    }
  }
}

const client = new EngineClient(socket);
try {
  if (waitSec > 0) await waitForEngine(waitSec);
  const result = await client.call(method as MethodName, JSON.parse(json) as never, {
    onEvent: (e) => process.stderr.write(e.kind === "log" ? `${e.line}\n` : `[${e.percent}%] ${e.message ?? ""}\n`),
  });
  process.stdout.write(JSON.stringify(result, null, 2) + "\n");
} catch (e) {
  process.stderr.write(e instanceof EngineError ? `${e.code}: ${e.message}\n` : `${(e as Error).message}\n`);
  process.exitCode = 1;
} finally {
  client.close();
}
