import path from "node:path";
import { defineConfig } from "vitest/config";

// The VM suites: run inside the Debian 12 guest by scripts/vm/guest.sh (bash scripts/vm/test.sh on the host),
// never by the repository's own projects (vitest.config.ts does not include native/test/vm/).
export default defineConfig({
  test: {
    name: "vm",
    root: path.resolve(import.meta.dirname, "../../.."),
    include: ["native/test/vm/**/*.vm.test.ts"],
    // one host, real containers; each engine call takes seconds under emulation
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 900_000,
  },
});
