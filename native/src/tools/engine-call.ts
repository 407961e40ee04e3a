/**
 * engine-call: call one engine method from a shell and print the JSON result.
 *   tsx native/src/tools/engine-call.ts container.list '{}'
 *   tsx native/src/tools/engine-call.ts template.build '{"kind":"busybox"}'
 * Progress and log events go to stderr; errors print "CODE: message" and exit 1.
 */
import { EngineClient } from "../protocol/client.js";
import { methods, type MethodName } from "../protocol/schema.js";
import { EngineError } from "../errors.js";

const [method, json = "{}"] = process.argv.slice(2);
if (!method || !Object.hasOwn(methods, method)) {
  process.stderr.write(`usage: engine-call METHOD [JSON-PARAMS]\nmethods: ${Object.keys(methods).join(", ")}\n`);
  process.exit(2);
}
const client = new EngineClient(process.env.OVZ_SOCKET ?? "/run/ovz/engine.sock");
try {
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
