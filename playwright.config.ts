/**
 * End-to-end tests in Debian's Chromium against the real stack: a real engine (own netns, btrfs loop
 * pool, busybox template), the production build of the panel (server/http/main.ts: Next + the console WebSocket)
 * running as the unprivileged
 * ovz-panel user, and a fresh database on a private PostgreSQL cluster (several nodes need it).
 * e2e/global-setup.ts starts them; teardown removes them.
 */
import { defineConfig } from "@playwright/test";
import { CHROMIUM_LAUNCH } from "./e2e/chromium.js";

export const E2E_PORT = Number(process.env.OVZ_E2E_PORT ?? 3917);

export default defineConfig({
  testDir: "e2e",
  testMatch: "**/*.e2e.ts",
  globalSetup: "./e2e/global-setup.ts",
  globalTeardown: "./e2e/global-teardown.ts",
  outputDir: "test-results/e2e",
  timeout: 180_000,
  expect: { timeout: 30_000 },
  workers: 1,
  fullyParallel: false,
  retries: 0,
  reporter: [["list"], ["json", { outputFile: "test-results/playwright.json" }]],
  use: {
    baseURL: `http://127.0.0.1:${E2E_PORT}`,
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
    viewport: { width: 1366, height: 768 },
    launchOptions: CHROMIUM_LAUNCH,
  },
});
