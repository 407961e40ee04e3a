// Minimal TCP throughput meter for network tests and benchmarks (run inside a network namespace).
//   node tcp-meter.mjs serve <addr> <port>     → prints {"bytes":N,"seconds":S} for the first connection, then exits
//   node tcp-meter.mjs send <addr> <port> <bytes>  → sends exactly <bytes> bytes, then closes
import net from "node:net";
const [mode, addr, port, bytesArg] = process.argv.slice(2);
if (mode === "serve") {
  const srv = net.createServer((sock) => {
    let bytes = 0;
    let first = 0;
    let last = 0;
    sock.on("data", (d) => {
      const now = performance.now();
      if (!first) first = now;
      last = now;
      bytes += d.length;
    });
    sock.on("end", () => {
      process.stdout.write(JSON.stringify({ bytes, seconds: (last - first) / 1000 }) + "\n");
      srv.close();
      sock.destroy();
    });
  });
  srv.listen(Number(port), addr, () => process.stdout.write("listening\n"));
} else if (mode === "send") {
  let left = Number(bytesArg);
  const chunk = Buffer.alloc(64 * 1024, 120);
  const sock = net.connect(Number(port), addr, () => {
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!sock.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return sock.once("drain", pump);
      }
      sock.end();
    };
    pump();
  });
  sock.on("close", () => process.exit(0));
  sock.on("error", (e) => {
    console.error(e.message);
    process.exit(1);
  });
} else {
  console.error("usage: tcp-meter.mjs serve|send addr port [bytes]");
  process.exit(2);
}
