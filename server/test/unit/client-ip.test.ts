/**
 * The client address behind the login delay and the audit log: a client's own X-Forwarded-For never
 * counts; a named proxy's does, hop by hop.
 */
import { describe, expect, it } from "vitest";
import { clientAddress, normalizeIp, parseTrustedProxies } from "../../auth/client-ip.js";
import { delayAfter, POLICY, waitText } from "../../auth/rate-limit.js";

const none = parseTrustedProxies(undefined);

describe("client address", () => {
  it("without a trusted proxy the peer is the client, whatever X-Forwarded-For says", () => {
    const seen = new Set(
      ["203.0.113.1", "203.0.113.2", "1.2.3.4, 5.6.7.8", "garbage", ""].map((x) =>
        clientAddress("198.51.100.7", x, none),
      ),
    );
    expect([...seen]).toEqual(["198.51.100.7"]);
    expect(clientAddress("::ffff:198.51.100.7", "203.0.113.1", none)).toBe("198.51.100.7");
    expect(clientAddress(null, "203.0.113.1", none)).toBeNull();
  });

  it("a proxy on this host (loopback, or the old value 1): the hop it appended is the client", () => {
    for (const spec of ["loopback", "1"]) {
      const lo = parseTrustedProxies(spec);
      expect(clientAddress("127.0.0.1", "203.0.113.9", lo)).toBe("203.0.113.9");
      expect(clientAddress("::1", "2001:db8::5", lo)).toBe("2001:db8::5");
      // the client's own header comes first; the proxy appends the real peer: only that one counts
      expect(clientAddress("127.0.0.1", "6.6.6.6, 203.0.113.9", lo)).toBe("203.0.113.9");
      // a request that did not come through the proxy keeps its own address
      expect(clientAddress("198.51.100.7", "203.0.113.9", lo)).toBe("198.51.100.7");
      // no header, or a broken one: the proxy itself
      expect(clientAddress("127.0.0.1", null, lo)).toBe("127.0.0.1");
      expect(clientAddress("127.0.0.1", "not-an-ip", lo)).toBe("127.0.0.1");
    }
  });

  it("a chain of named proxies by address and subnet is walked from the right", () => {
    const t = parseTrustedProxies("10.0.0.5, 192.0.2.0/28, 2001:db8:1::/48");
    expect(clientAddress("10.0.0.5", "203.0.113.9, 192.0.2.3", t)).toBe("203.0.113.9");
    expect(clientAddress("10.0.0.5", "203.0.113.9, 192.0.2.99", t)).toBe("192.0.2.99"); // .99 is outside /28: it is the client
    expect(clientAddress("2001:db8:1::7", "[2001:db8:2::1]", t)).toBe("2001:db8:2::1");
  });

  it("bad OVZ_TRUST_PROXY entries are reported and trust nothing", () => {
    const warned: string[] = [];
    const t = parseTrustedProxies("proxy.example, 10.0.0.0/40", (m) => warned.push(m));
    expect(warned).toHaveLength(2);
    expect(warned[0]).toMatch(/"proxy\.example" is not an address/);
    expect(clientAddress("10.0.0.1", "203.0.113.9", t)).toBe("10.0.0.1");
    expect(normalizeIp(" 2001:DB8::1 ")).toBe("2001:db8::1");
  });
});

describe("login delay policy", () => {
  it("free failures, then a doubling wait up to the cap", () => {
    expect([0, 1, 2, 3].map((n) => delayAfter(n, POLICY.pair))).toEqual([0, 0, 0, 0]);
    expect([4, 5, 6, 7].map((n) => delayAfter(n, POLICY.pair))).toEqual([1000, 2000, 4000, 8000]);
    expect(delayAfter(40, POLICY.pair)).toBe(15 * 60_000);
    expect(delayAfter(1e6, POLICY.account)).toBe(60_000);
  });
  it("says the wait in words, never shorter than it is", () => {
    expect(waitText(1)).toBe("1 second");
    expect(waitText(1500)).toBe("2 seconds");
    expect(waitText(89_000)).toBe("89 seconds");
    expect(waitText(15 * 60_000)).toBe("15 minutes");
    expect(waitText(91_000)).toBe("2 minutes");
  });
});
