import os from "node:os";
import path from "node:path";
import { defineConfig } from "vitest/config";

// the panel's CA and client certificate for handler tests (join tokens); global-setup removes it
const testPki = path.join(os.tmpdir(), `ovz-test-pki-${process.pid}`);

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["native/test/unit/**/*.test.ts", "server/test/unit/**/*.test.ts"],
        },
      },
      {
        test: {
          // Handlers on real databases: SQLite files and a private PostgreSQL cluster (globalSetup).
          name: "server",
          include: ["server/test/**/*.db.test.ts"],
          globalSetup: ["server/test/helpers/global-setup.ts"],
          env: { OVZ_PANEL_ENGINE: "fake", CHECKPOINT_DISABLE: "1", OVZ_PANEL_PKI: testPki },
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "root",
          include: ["native/test/root/**/*.root.test.ts"],
          // Real containers, loop devices and cgroups: one file at a time on a 2-core host.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
