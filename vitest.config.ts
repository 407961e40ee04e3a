import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["native/test/unit/**/*.test.ts"],
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
