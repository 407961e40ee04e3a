/**
 * What the README's run command sets up on the host, checked piece by piece where it can run without
 * starting a second panel: the log directory and files (they name every tenant's containers, so local
 * users must not read them) and the packages a production node needs.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { REPO } from "../helpers/engine.js";
import { describeRoot } from "../helpers/root.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ovz-logs-"));
const gid = (name: string) => Number(execFileSync("getent", ["group", name], { encoding: "utf8" }).split(":")[2]);
const uid = (name: string) => Number(execFileSync("id", ["-u", name], { encoding: "utf8" }).trim());
const mode = (p: string) => fs.statSync(p).mode & 0o777;

describeRoot("run.sh: logs", () => {
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("the log directory is root:ovz 0750 and every log 0640 group ovz, also over files an older install left 0644", () => {
    const dir = path.join(tmp, "log");
    fs.mkdirSync(dir, { mode: 0o755 });
    fs.writeFileSync(path.join(dir, "engine.log"), "old\n", { mode: 0o644 });
    fs.chmodSync(path.join(dir, "engine.log"), 0o644);
    // run.sh's own code, as run.sh runs it (install.sh made the ovz group and the ovz-panel user)
    execFileSync("bash", ["-c", `set -euo pipefail; source scripts/lib/logs.sh; prepare_logs "$1"`, "sh", dir], {
      cwd: REPO,
    });
    expect(mode(dir).toString(8)).toBe("750");
    expect(fs.statSync(dir).gid).toBe(gid("ovz"));
    for (const f of ["engine.log", "panel.log", "panel-build.log"]) {
      const st = fs.statSync(path.join(dir, f));
      expect({ f, mode: (st.mode & 0o777).toString(8), gid: st.gid }).toEqual({ f, mode: "640", gid: gid("ovz") });
    }
    expect(fs.statSync(path.join(dir, "panel.log")).uid).toBe(uid("ovz-panel"));
    expect(fs.readFileSync(path.join(dir, "engine.log"), "utf8")).toBe("old\n"); // kept, only its mode changed
    // a local user who is not in group ovz reads none of it
    const nobody = execFileSync(
      "setpriv",
      [
        "--reuid=nobody",
        "--regid=nogroup",
        "--clear-groups",
        "--",
        "sh",
        "-c",
        `cat "$1"/engine.log 2>&1 || true`,
        "sh",
        dir,
      ],
      { encoding: "utf8" },
    );
    expect(nobody).toMatch(/Permission denied/);
  });

  it("run.sh writes its logs only through prepare_logs' files (no log created with the default umask)", () => {
    const run = fs.readFileSync(path.join(REPO, "scripts/run.sh"), "utf8");
    expect(run).toMatch(/^prepare_logs "\$logs"$/m);
    expect(run).not.toMatch(/\/var\/log\/ovz\/[a-z-]+\.log/);
  });
});
