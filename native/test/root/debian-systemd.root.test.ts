/**
 * The debian-12 template (debootstrap minbase + systemd-sysv + iproute2, built once and cached)
 * boots under the engine as an unprivileged container with systemd as PID 1 and reaches
 * `systemctl is-system-running` = running or degraded. template.import takes it from the node's template cache
 * only: a path outside it (the cached tarball's own, /etc/shadow) is refused.
 */
import { copyFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeRoot } from "../helpers/root.js";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";
import { cachedDebianTarball } from "../../src/templates/debian.js";

let te: TestEngine;
const CT = 401;

describeRoot("debian-12 template boots systemd", () => {
  beforeAll(async () => {
    const tarball = await cachedDebianTarball((l) => process.stderr.write(`debian: ${l}\n`));
    te = await startTestEngine({ poolSize: "4G" });
    // template.import reads only from the node's template cache (<state dir>/template-cache)
    const cache = path.join(te.stateDir, "template-cache");
    await mkdir(cache, { recursive: true, mode: 0o700 });
    await copyFile(tarball, path.join(cache, path.basename(tarball)));
    const meta = await te.client.call("template.import", { path: path.basename(tarball), name: "debian-12" });
    expect(meta).toMatchObject({ init: "systemd", haltSignal: "SIGRTMIN+3" });
  }, 900_000);
  afterAll(async () => {
    await te?.cleanup();
  });

  it("template.import refuses the tarball's own path and any host path outside the template cache", async () => {
    for (const p of [await cachedDebianTarball(), "/etc/shadow", "../containers"]) {
      const e = await te.client.call("template.import", { path: p, name: "stolen" }).then(
        () => null,
        (x: { code?: string; message?: string }) => x,
      );
      expect(e?.code, p).toBe("TEMPLATE_INVALID");
      expect(e?.message).toContain("reads tarballs only from the node's template cache");
    }
    expect((await te.client.call("template.list", {})).map((t) => t.name)).not.toContain("stolen");
  });

  it("boots to running or degraded with systemd as PID 1", async () => {
    await te.client.call("container.create", {
      ctid: CT,
      template: "debian-12",
      hostname: "deb12",
      limits: { ram: "512M" },
    });
    await te.client.call("container.start", { ctid: CT });
    let state = "";
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      const r = await te.client.call("container.exec", { ctid: CT, argv: ["systemctl", "is-system-running"] });
      state = r.stdout.trim();
      if (state === "running" || state === "degraded") break;
      await new Promise((res) => setTimeout(res, 500));
    }
    if (state === "degraded") {
      const failed = await te.client.call("container.exec", {
        ctid: CT,
        argv: ["systemctl", "--failed", "--no-legend"],
      });
      console.warn(`debian-12 booted degraded; failed units:\n${failed.stdout}`);
    }
    expect(["running", "degraded"]).toContain(state);
    const pid1 = await te.client.call("container.exec", { ctid: CT, argv: ["cat", "/proc/1/comm"] });
    expect(pid1.stdout.trim()).toBe("systemd");
    const host = await te.client.call("container.exec", { ctid: CT, argv: ["hostname"] });
    expect(host.stdout.trim()).toBe("deb12");
  });

  it("stops cleanly with SIGRTMIN+3 well before the kill timeout", async () => {
    const t0 = Date.now();
    await te.client.call("container.stop", { ctid: CT, timeoutSec: 60 });
    const took = Date.now() - t0;
    // Not a speed assertion: a halt that needed the kill fallback would take the full 60 s.
    expect(took).toBeLessThan(55_000);
    await te.client.call("container.destroy", { ctid: CT });
  });
});
