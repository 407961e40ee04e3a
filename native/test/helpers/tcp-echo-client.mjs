// A long-lived TCP client for checkpoint/restore tests (run inside a network namespace):
//   node tcp-echo-client.mjs <addr> <port>
// Connects once; every line read on stdin is sent over the connection; every chunk received is written
// to stdout. Prints "CONNECTED <localPort>" once connected and "CLOSED <reason>" when the connection ends
// (then exits), so a test sees whether the SAME connection survived.
import net from "node:net";
import readline from "node:readline";
const [addr, port] = process.argv.slice(2);
const sock = net.connect(Number(port), addr, () => process.stdout.write(`CONNECTED ${sock.localPort}\n`));
sock.setNoDelay(true);
sock.on("data", (d) => process.stdout.write(d));
sock.on("error", (e) => process.stdout.write(`CLOSED error ${e.code}\n`));
sock.on("close", () => {
  process.stdout.write("CLOSED close\n");
  process.exit(0);
});
readline.createInterface({ input: process.stdin }).on("line", (l) => sock.write(l + "\n"));
