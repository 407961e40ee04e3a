/**
 * The first frame of a raw-stream channel (backup.download, template.upload): the request is checked as the
 * framed protocol checks it (frame shape, protocol version, the method's parameters) and a refusal is sent
 * as an error frame before the connection ends. Returns the request's id, its parameters and `refuse`, or
 * null when it was refused.
 */
import type { Socket } from "node:net";
import type { z } from "zod";
import { EngineError } from "../errors.js";
import { endConnection } from "./console-server.js";
import { sendFrame } from "./framing.js";
import { PROTOCOL_VERSION, requestFrame } from "./schema.js";

export function openRawRequest<S extends z.ZodTypeAny>(
  sock: Socket,
  raw: unknown,
  method: string,
  schema: S,
  log: (line: string) => void,
): { id: string; params: z.infer<S>; refuse: (e: EngineError) => void } | null {
  const id = typeof (raw as { id?: unknown })?.id === "string" ? (raw as { id: string }).id : "?";
  const refuse = (e: EngineError) => {
    log(`${method} #${id}: ${e.code} ${e.message}`);
    sendFrame(sock, { v: PROTOCOL_VERSION, id, type: "error", error: e.toInfo() });
    endConnection(sock);
  };
  const frame = requestFrame.safeParse(raw);
  if (!frame.success) {
    refuse(new EngineError("BAD_REQUEST", "malformed request frame: expected {v, id, method, params}"));
    return null;
  }
  if (frame.data.v !== PROTOCOL_VERSION) {
    refuse(
      new EngineError(
        "PROTOCOL_VERSION",
        `engine speaks protocol ${PROTOCOL_VERSION}, client sent ${frame.data.v}; upgrade the client`,
      ),
    );
    return null;
  }
  const params = schema.safeParse(frame.data.params ?? {});
  if (!params.success) {
    const why = params.error.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message));
    refuse(new EngineError("BAD_REQUEST", `invalid parameters for ${method}: ${why.join("; ")}`));
    return null;
  }
  return { id, params: params.data as z.infer<S>, refuse };
}
