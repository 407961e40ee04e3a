/**
 * enter: an interactive shell inside a container through the engine's console, as `vzctl enter`.
 *   tsx native/src/tools/enter.ts CTID|NAME [-- COMMAND [ARG...]]
 * See native/src/enter.ts. Socket: $OVZ_SOCKET.
 */
import { pathToFileURL } from "node:url";
import { enterContainer } from "../enter.js";
import { EngineClient } from "../protocol/client.js";

export { enterContainer };

async function main(argv: string[]): Promise<number> {
  const socketPath = process.env.OVZ_SOCKET ?? "/run/ovz/engine.sock";
  const [ref, sep, ...rest] = argv;
  if (!ref || (sep !== undefined && sep !== "--") || (sep === "--" && rest.length === 0)) {
    process.stderr.write("usage: enter CTID|NAME [-- COMMAND [ARG...]]\n");
    return 2;
  }
  let ctid = Number(ref);
  if (!/^\d+$/.test(ref)) {
    const client = new EngineClient(socketPath);
    try {
      ctid = (await client.call("container.resolve", { ref })).ctid;
    } catch (e) {
      process.stderr.write(`enter into CT ${ref} failed\n${(e as Error).message}\n`);
      return 1;
    } finally {
      client.close();
    }
  }
  return enterContainer({ socketPath, ctid, command: sep === "--" ? rest : undefined });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.stdout.write("", () => process.exit(code)),
    (e) => {
      process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
