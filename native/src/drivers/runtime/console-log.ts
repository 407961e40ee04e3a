/**
 * Reading a container's console log (lxc.console.logfile, rotated once to <file>.1 by LXC at
 * lxc.console.size): the end of the output across both files, bounded, as text for people.
 */
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import type { ConsoleTail } from "./types.js";

/** The last `max` bytes of a file (none when it is missing), never following a symlink. */
async function tailOf(file: string, max: number): Promise<{ data: Buffer; size: number }> {
  let fh;
  try {
    fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { data: Buffer.alloc(0), size: 0 };
    throw e;
  }
  try {
    const { size } = await fh.stat();
    const n = Math.min(size, max);
    const data = Buffer.alloc(n);
    const { bytesRead } = await fh.read(data, 0, n, size - n);
    return { data: data.subarray(0, bytesRead), size };
  } finally {
    await fh.close();
  }
}

/** Terminal output as plain text: CRLF line ends (the pty's), colour and cursor sequences and other controls. */
export function consoleText(raw: string): string {
  return (
    raw
      .replace(/\r\n/g, "\n")
      // CSI (colours, cursor moves) and OSC (titles) sequences
      .replace(/\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)?/g, "")
      .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, "")
  );
}

export async function readConsoleTail(file: string, maxBytes: number): Promise<ConsoleTail> {
  const cur = await tailOf(file, maxBytes);
  const old = await tailOf(`${file}.1`, Math.max(0, maxBytes - cur.data.length));
  const bytes = cur.size + old.size;
  const data = Buffer.concat([old.data, cur.data]);
  const truncated = data.length < bytes;
  let text = consoleText(new TextDecoder("utf-8", { fatal: false }).decode(data));
  // a cut in the middle of a line starts at the next whole one
  if (truncated) {
    const nl = text.indexOf("\n");
    if (nl >= 0 && nl < text.length - 1) text = text.slice(nl + 1);
  }
  return { text, bytes, truncated };
}
