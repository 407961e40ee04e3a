/**
 * ovz-node join: makes this host a node of a panel on another host. Run as root on the node, with the
 * command the panel's Nodes page shows ("Join a remote node"):
 *
 *   OVZ_JOIN_TOKEN=TOKEN ovz-node join --panel http://PANEL:PORT --ca-sha256 HEX --listen HOST:PORT [--state-dir DIR]
 *     [--force]
 *
 * The token comes from the environment (or --token-file FILE, "-" for stdin): a command line is visible to every
 * local user in the process list while it runs, and a local user who read the token could join first with a key
 * of their own. `--token=TOKEN` still works, with a warning.
 *
 * It makes the node's key (EC P-256, never leaves this host) and a certificate request, POSTs
 * {token, csr, listen} to the panel's /api/nodes/join, checks the answer (the CA's sha256 is the one given,
 * the certificate is the CA's, for our key and for HOST), and writes <state dir>/tls/{node.key (0600),
 * node.crt, ca.crt}. The engine then serves the panel on HOST:PORT with mutual TLS once started with
 * OVZ_LISTEN=HOST:PORT. Exit 0 joined, 1 refused or failed (nothing written), 2 usage.
 */
import { X509Certificate, createPrivateKey } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, rename, rm, rmdir, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { parseArgs } from "node:util";
import { formatHostPort, parseHostPort } from "../protocol/dial.js";
import { NODE_TLS_FILES } from "../protocol/tls-server.js";
import { createCsr, fingerprint256, generateKey } from "../pki.js";

const USAGE = `usage: OVZ_JOIN_TOKEN=TOKEN ovz-node join --panel http://PANEL:PORT --ca-sha256 HEX --listen HOST:PORT [--state-dir DIR] [--force]
  OVZ_JOIN_TOKEN  the one-time join token (Nodes page → Join a remote node; valid for an hour, works once)
  --token-file F  read the token from file F instead ("-": standard input)
  --token=T       the token on the command line: works, but every local user can read it in the process list
  --panel      the panel's address as this host reaches it
  --ca-sha256  the panel CA's fingerprint shown with the token: the join fails if another CA answers
  --listen     the address and port this node's engine will listen on (OVZ_LISTEN); the panel dials it
  --state-dir  the engine's state directory (default $OVZ_STATE_DIR or /var/lib/ovz); files go to <dir>/tls
  --force      replace the key and certificate of a node that joined before
`;

class Refused extends Error {}

function usage(msg: string): never {
  process.stderr.write(`ovz-node: ${msg}\n${USAGE}`);
  process.exit(2);
}

async function writeAtomic(file: string, data: string, mode: number): Promise<void> {
  const tmp = `${file}.new`;
  await writeFile(tmp, data, { mode });
  await chmod(tmp, mode);
  await rename(tmp, file);
}

/** The token from OVZ_JOIN_TOKEN, --token-file or (with a warning) --token; exactly one of them. */
async function readToken(arg: string | undefined, file: string | undefined): Promise<string> {
  const env = process.env.OVZ_JOIN_TOKEN?.trim() || undefined;
  const given = [env, arg, file].filter((x) => x !== undefined).length;
  if (given === 0) usage("give the join token in OVZ_JOIN_TOKEN (as the Nodes page's command does) or --token-file");
  if (given > 1) usage("give the join token once: OVZ_JOIN_TOKEN, --token-file or --token");
  if (arg !== undefined) {
    process.stderr.write(
      "ovz-node: warning: a token on the command line is visible to every local user while this runs; " +
        "pass it in OVZ_JOIN_TOKEN instead\n",
    );
    return arg;
  }
  if (file === undefined) return env!;
  const text = file === "-" ? await readStdin() : await readFile(file, "utf8").catch((e: Error) => usage(e.message));
  const t = text.trim();
  if (!t) usage(`--token-file ${file}: no token in it`);
  return t;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function join(argv: string[]): Promise<void> {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      panel: { type: "string" },
      token: { type: "string" },
      "token-file": { type: "string" },
      "ca-sha256": { type: "string" },
      listen: { type: "string" },
      "state-dir": { type: "string" },
      force: { type: "boolean", default: false },
    },
    strict: true,
  });
  const token = await readToken(v.token, v["token-file"]);
  if (!v.panel || !v.listen) usage("--panel and --listen are required");
  let panel: URL;
  try {
    panel = new URL(v.panel);
    if (panel.protocol !== "http:" && panel.protocol !== "https:") throw new Error();
  } catch {
    usage(`--panel ${v.panel} is not an http:// or https:// address`);
  }
  let listen: { host: string; port: number };
  try {
    listen = parseHostPort(v.listen);
  } catch (e) {
    usage(`--listen: ${(e as Error).message}`);
  }
  const caSha256 = v["ca-sha256"]?.replace(/:/g, "").toLowerCase();
  if (caSha256 !== undefined && !/^[0-9a-f]{64}$/.test(caSha256)) usage("--ca-sha256 must be 64 hex digits");
  if (process.getuid?.() !== 0) throw new Refused("must run as root: it writes the engine's private key");

  const stateDir = path.resolve(v["state-dir"] ?? process.env.OVZ_STATE_DIR ?? "/var/lib/ovz");
  const dir = path.join(stateDir, "tls");
  const file = (k: keyof typeof NODE_TLS_FILES) => path.join(dir, NODE_TLS_FILES[k]);
  if (existsSync(file("cert")) && !v.force) {
    throw new Refused(
      `this node joined a panel already (${file("cert")} exists); --force replaces its key and certificate (the node's old entry in that panel then stops working)`,
    );
  }
  const madeDir = !existsSync(dir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  let joined = false;

  const newKey = `${file("key")}.new`;
  try {
    await writeFile(newKey, await generateKey(), { mode: 0o600 });
    await chmod(newKey, 0o600);
    const csr = await createCsr(newKey, listen.host);
    const listenText = formatHostPort(listen.host, listen.port);
    const url = new URL("/api/nodes/join", panel);
    let res: Response;
    try {
      res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "ovz-node join" },
        body: JSON.stringify({ token, csr, listen: listenText }),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (e) {
      const cause = (e as { cause?: { message?: string } }).cause?.message ?? (e as Error).message;
      throw new Refused(
        `cannot reach the panel at ${url.origin}: ${cause}; check --panel (the panel's address as this host reaches it)`,
      );
    }
    const body = (await res.json().catch(() => null)) as {
      error?: string;
      nodeName?: string;
      endpoint?: string;
      cert?: string;
      caCert?: string;
    } | null;
    if (!res.ok) throw new Refused(`the panel refused the join (HTTP ${res.status}): ${body?.error ?? res.statusText}`);
    if (!body?.cert || !body.caCert || !body.nodeName)
      throw new Refused(`the panel's answer has no certificate (HTTP ${res.status}); is ${url.origin} an ovz panel?`);

    // trust nothing in the answer before checking it
    const ca = new X509Certificate(body.caCert);
    const cert = new X509Certificate(body.cert);
    const got = fingerprint256(body.caCert);
    if (caSha256 && got !== caSha256) {
      throw new Refused(
        `the CA that answered (sha256 ${got}) is not the panel's (--ca-sha256 ${caSha256}): something between this host and the panel may be impersonating it; nothing was written`,
      );
    }
    if (!ca.ca || !cert.verify(ca.publicKey))
      throw new Refused("the certificate the panel sent is not signed by the CA it sent; nothing was written");
    if (!cert.checkPrivateKey(createPrivateKey(await readFile(newKey))))
      throw new Refused("the certificate the panel sent is not for this node's key; nothing was written");
    if (!(net.isIP(listen.host) ? cert.checkIP(listen.host) : cert.checkHost(listen.host)))
      throw new Refused(`the certificate the panel sent is not for ${listen.host}; nothing was written`);

    await writeAtomic(file("ca"), body.caCert, 0o644);
    await writeAtomic(file("cert"), body.cert, 0o644);
    await rename(newKey, file("key"));
    const lines = [
      `Joined the panel at ${url.origin} as node "${body.nodeName}" (${body.endpoint ?? `tls://${listenText}`}).`,
      `Wrote ${file("key")} (0600), ${file("cert")} and ${file("ca")}.`,
      ...(caSha256
        ? []
        : [
            `warning: no --ca-sha256 given, so the panel's CA (sha256 ${got}) was not checked against the one the Nodes page shows.`,
          ]),
      "",
      `Now start (or restart) this node's engine with OVZ_LISTEN=${listenText}${v["state-dir"] ? ` OVZ_STATE_DIR=${stateDir}` : ""} in its environment, e.g. from the ovz checkout:`,
      `  OVZ_LISTEN=${listenText}${v["state-dir"] ? ` OVZ_STATE_DIR=${stateDir}` : ""} node --import tsx native/src/main.ts`,
      `and let the panel reach TCP port ${listen.port} on ${listen.host}. The Nodes page then shows the node as reachable.`,
    ];
    process.stdout.write(lines.join("\n") + "\n");
    joined = true;
  } finally {
    await rm(newKey, { force: true });
    if (!joined && madeDir) await rmdir(dir).catch(() => {}); // nothing written: not even an empty tls/
  }
}

const [cmd, ...rest] = process.argv.slice(2);
if (cmd === "--help" || cmd === "-h" || cmd === "help") {
  process.stdout.write(USAGE);
} else if (cmd !== "join") {
  usage(cmd ? `unknown command "${cmd}"` : "missing command");
} else {
  try {
    await join(rest);
  } catch (e) {
    if (e instanceof Refused) process.stderr.write(`ovz-node: ${e.message}\n`);
    else if (
      (e as { code?: string }).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" ||
      (e as { code?: string }).code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE"
    )
      usage((e as Error).message);
    else process.stderr.write(`ovz-node: join failed: ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}
