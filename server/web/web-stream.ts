/**
 * A Node stream as the body of a fetch Response (route handlers), read only as fast as the client takes
 * it. A client that goes away cancels the body, which destroys the source at once (for a backup download:
 * the engine connection); a source that fails ends the response early and is reported to `onError`,
 * never thrown.
 *
 * Not Readable.toWeb: when Next cancels its body because the client disconnected while the source still
 * delivers data, toWeb's event handlers call enqueue()/close() on the closed controller and Node reports
 * an uncaught "ERR_INVALID_STATE: Controller is already closed". Here every controller call happens in
 * pull(), after a check that the body was not cancelled.
 */
import type { Readable } from "node:stream";

export function webStreamOf(src: Readable, onError: (e: unknown) => void): ReadableStream<Uint8Array> {
  const chunks = src[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  let cancelled = false;
  // Errors reach the reader through the iterator (it sees src.errored even when it starts later); this
  // listener keeps an error that comes before the first read from being an uncaught 'error' event.
  src.on("error", () => {});
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const r = await chunks.next();
          if (cancelled) return;
          if (r.done) controller.close();
          else controller.enqueue(typeof r.value === "string" ? Buffer.from(r.value) : r.value);
        } catch (e) {
          if (cancelled) return; // the destroy below ends a pending read with a premature-close error
          onError(e);
          controller.error(e);
        }
      },
      cancel() {
        cancelled = true;
        src.destroy();
      },
    },
    { highWaterMark: 0 },
  );
}
