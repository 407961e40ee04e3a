/**
 * Pure parts of joining nodes (services/nodes.ts): join tokens (32 random bytes, base64url, stored as
 * sha256), endpoint kinds and the listen address as stored. Expiry and single use need the database:
 * server/test/db/node-join.db.test.ts.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { PanelError } from "../../errors.js";
import {
  endpointKind,
  hashJoinToken,
  JOIN_TOKEN_FORMAT,
  JOIN_TOKEN_TTL_MS,
  newJoinToken,
  normalizeListen,
} from "../../services/nodes.js";

describe("join tokens", () => {
  it("are 32 random bytes in base64url (43 characters), never the same twice", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const t = newJoinToken();
      expect(t).toMatch(JOIN_TOKEN_FORMAT);
      expect(Buffer.from(t, "base64url")).toHaveLength(32);
      seen.add(t);
    }
    expect(seen.size).toBe(200);
    expect(JOIN_TOKEN_TTL_MS).toBe(3_600_000);
  });

  it("are stored as their sha256 in hex", () => {
    expect(hashJoinToken("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const t = newJoinToken();
    expect(hashJoinToken(t)).toBe(createHash("sha256").update(t).digest("hex"));
    expect(hashJoinToken(t)).not.toContain(t);
  });
});

describe("endpoints and listen addresses", () => {
  it("endpointKind: socket, tls, or null for anything else", () => {
    expect(endpointKind("/run/ovz/engine.sock")).toBe("socket");
    expect(endpointKind("tls://198.18.250.2:7443")).toBe("tls");
    expect(endpointKind("tls://[2001:db8::2]:7443")).toBe("tls");
    expect(endpointKind("tcp://198.18.250.2:7443")).toBeNull();
    expect(endpointKind("tls://198.18.250.2")).toBeNull();
  });

  it("normalizeListen: HOST:PORT as dialled (trimmed, IPv6 bracketed and lower case); a field error otherwise", () => {
    expect(normalizeListen(" 198.18.250.2:7443 ")).toBe("198.18.250.2:7443");
    expect(normalizeListen("[2001:DB8::2]:7443")).toBe("[2001:db8::2]:7443");
    expect(normalizeListen("node-2.example.com:7443")).toBe("node-2.example.com:7443");
    for (const bad of ["198.18.250.2", ":7443", "198.18.250.2:99999", "2001:db8::2:7443", "a b:1"]) {
      let e: unknown;
      try {
        normalizeListen(bad);
      } catch (x) {
        e = x;
      }
      expect(e, bad).toBeInstanceOf(PanelError);
      expect((e as PanelError).code).toBe("BAD_REQUEST");
      expect((e as PanelError).fields).toEqual({ listen: "give HOST:PORT, like 198.18.250.2:7443" });
    }
  });
});

describe("the join command the Nodes page shows", () => {
  it("passes the token in OVZ_JOIN_TOKEN, never in ovz-node's arguments (a command line is visible to local users)", async () => {
    const { execFile } = await import("node:child_process");
    const { mkdtempSync, rmSync } = await import("node:fs");
    const os = await import("node:os");
    const path = await import("node:path");
    const { joinCommand } = await import("../../services/nodes.js");
    const token = `-${"A".repeat(42)}`; // base64url: one token in 64 starts with "-"
    const cmd = joinCommand({
      panelUrl: "http://127.0.0.1:1",
      token,
      caSha256: "ab".repeat(32),
      listen: "198.18.250.2:7443",
    });
    const [assignment, tool, ...args] = cmd.split(" ");
    expect(assignment).toBe(`OVZ_JOIN_TOKEN=${token}`);
    expect(tool).toBe("ovz-node");
    expect(args.join(" ")).not.toContain(token);
    const dir = mkdtempSync(path.join(os.tmpdir(), "ovz-join-args-"));
    try {
      const run = (argv: string[], env: Record<string, string> = {}, input?: string) =>
        new Promise<{ code: number; stderr: string }>((resolve) => {
          const child = execFile(
            process.execPath,
            ["--import", "tsx", "native/src/tools/node-join.ts", ...argv, "--state-dir", dir],
            { timeout: 60_000, env: { ...process.env, OVZ_JOIN_TOKEN: "", ...env } },
            (err, _o, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
          );
          child.stdin?.end(input ?? "");
        });
      // the command as shown: the options parse; it then fails on the unreachable panel (or on not being root), not on
      // usage, and warns of nothing
      const shown = await run(args, { OVZ_JOIN_TOKEN: token });
      expect(shown.code, shown.stderr).toBe(1);
      expect(shown.stderr).not.toMatch(/usage|warning/);
      // the token from a file or standard input works the same
      const stdin = await run([...args, "--token-file", "-"], {}, `${token}\n`);
      expect(stdin.code, stdin.stderr).toBe(1);
      expect(stdin.stderr).not.toMatch(/usage|warning/);
      // no token at all: a usage error that says where the token goes
      const none = await run(args);
      expect(none.code).toBe(2);
      expect(none.stderr).toMatch(/OVZ_JOIN_TOKEN/);
      // twice: refused rather than guessing which one counts
      const twice = await run([...args, `--token=${token}`], { OVZ_JOIN_TOKEN: token });
      expect(twice.code).toBe(2);
      expect(twice.stderr).toMatch(/give the join token once/);
      // the old form still parses (a "-" start with "="), and warns that local users can read it
      const old = await run([...args, `--token=${token}`]);
      expect(old.code, old.stderr).toBe(1);
      expect(old.stderr).toMatch(/warning: a token on the command line is visible to every local user/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // five node processes compiling TypeScript: seconds each on a loaded machine, past vitest's 5 s default
  }, 240_000);
});
