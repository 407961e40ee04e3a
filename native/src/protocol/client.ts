/**
 * Typed engine client: `await client.call("container.start", { ctid: 101 })` returns the typed result
 * or throws the engine's EngineError. Params are checked with the same zod schemas before sending.
 * One connection carries many concurrent calls, matched by id. The endpoint is a Unix socket path or
 * tls://HOST:PORT (dial.ts); a broken connection is dialled again by the next call.
 */
import type net from "node:net";
import { EngineError } from "../errors.js";
import { dialEngine, type DialOptions } from "./dial.js";
import { onFrames } from "./framing.js";
import {
  methods,
  PROTOCOL_VERSION,
  replyFrame,
  type MethodName,
  type OpEvent,
  type Params,
  type Result,
} from "./schema.js";

interface Pending {
  method: MethodName;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  onEvent?: (e: OpEvent) => void;
}

export class EngineClient {
  private sock: net.Socket | null = null;
  private connecting: Promise<net.Socket> | null = null;
  private readonly pending = new Map<string, Pending>();
  private seq = 0;

  constructor(
    private readonly endpoint: string,
    private readonly dialOptions: DialOptions = {},
  ) {}

  private connect(): Promise<net.Socket> {
    if (this.sock && !this.sock.destroyed) return Promise.resolve(this.sock);
    if (this.connecting) return this.connecting;
    this.connecting = dialEngine(this.endpoint, this.dialOptions).then(
      (s) => {
        this.connecting = null;
        this.sock = s;
        let lastError: Error | null = null;
        s.on("error", (e) => (lastError = e));
        s.on("close", () => {
          if (this.sock === s) this.sock = null;
          const why = lastError ? `: ${lastError.message}` : "";
          for (const [id, p] of this.pending) {
            p.reject(
              new EngineError(
                "INTERNAL",
                `connection to the host engine closed during ${p.method} (${this.endpoint}${why}); check the operation's result before retrying`,
              ),
            );
            this.pending.delete(id);
          }
        });
        onFrames(
          s,
          (raw) => this.onReply(raw),
          () => s.destroy(),
        );
        return s;
      },
      (e: unknown) => {
        this.connecting = null;
        throw e;
      },
    );
    return this.connecting;
  }

  private onReply(raw: unknown): void {
    const f = replyFrame.safeParse(raw);
    if (!f.success) return;
    const p = this.pending.get(f.data.id);
    if (!p) return;
    if (f.data.type === "event") {
      p.onEvent?.(f.data.event);
      return;
    }
    this.pending.delete(f.data.id);
    if (f.data.type === "error") {
      p.reject(EngineError.fromInfo(f.data.error));
      return;
    }
    const r = methods[p.method].result.safeParse(f.data.result);
    if (r.success) p.resolve(r.data);
    else
      p.reject(new EngineError("INTERNAL", `engine sent an invalid ${p.method} result: ${r.error.issues[0]?.message}`));
  }

  async call<M extends MethodName>(
    method: M,
    params: Params<M>,
    opts: { onEvent?: (e: OpEvent) => void } = {},
  ): Promise<Result<M>> {
    const checked = methods[method].params.safeParse(params);
    if (!checked.success) {
      const msg = checked.error.issues.map((i) => `${i.path.join(".") || "params"}: ${i.message}`).join("; ");
      throw new EngineError("BAD_REQUEST", `invalid parameters for ${method}: ${msg}`);
    }
    const sock = await this.connect();
    const id = String(++this.seq);
    return new Promise<Result<M>>((resolve, reject) => {
      this.pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject, onEvent: opts.onEvent });
      sock.write(JSON.stringify({ v: PROTOCOL_VERSION, id, method, params }) + "\n");
    });
  }

  close(): void {
    this.sock?.destroy();
    this.sock = null;
  }
}
