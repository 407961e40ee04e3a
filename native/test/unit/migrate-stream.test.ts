/** The chunk framing of migration streams (pure): a receiver tells a complete stream from a cut or failed one. */
import { describe, expect, it } from "vitest";
import { ChunkDecoder, failFrame } from "../../src/protocol/migrate-stream.js";

const chunk = (s: string) => {
  const b = Buffer.from(s);
  const h = Buffer.alloc(4);
  h.writeUInt32BE(b.length);
  return Buffer.concat([h, b]);
};
const END = Buffer.alloc(4);

describe("migration stream chunks", () => {
  it("reassembles chunks split anywhere and stops at the end marker", () => {
    const wire = Buffer.concat([chunk("hello "), chunk("world"), END, Buffer.from("ignored")]);
    for (let cut = 0; cut <= wire.length; cut++) {
      const d = new ChunkDecoder();
      const got = [...d.push(wire.subarray(0, cut)), ...d.push(wire.subarray(cut))].map((b) => b.toString()).join("");
      expect(got).toBe("hello world");
      expect(d.state).toBe("end");
      expect(d.bytes).toBe(11);
    }
  });

  it("a stream cut before its end marker is still 'data' (the receiver keeps nothing)", () => {
    const d = new ChunkDecoder();
    d.push(Buffer.concat([chunk("abc"), chunk("def")]).subarray(0, 9));
    expect(d.state).toBe("data");
    expect(d.bytes).toBe(3);
  });

  it("a sender failure carries its message; an absurd length is refused", () => {
    const d = new ChunkDecoder();
    d.push(Buffer.concat([chunk("x"), failFrame("btrfs send failed: no space")]));
    expect(d.state).toBe("failed");
    expect(d.failure).toBe("btrfs send failed: no space");
    const bad = new ChunkDecoder();
    const h = Buffer.alloc(4);
    h.writeUInt32BE(50 * 1024 * 1024);
    bad.push(h);
    expect(bad.state).toBe("failed");
    expect(bad.failure).toMatch(/bad chunk length/);
  });
});
