/**
 * Root-only tests. CI runs as root, so these run there. When not root they are skipped — loudly, with
 * the reason printed — never silently passed.
 */
import { describe } from "vitest";

export const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

export const describeRoot: typeof describe = (
  isRoot
    ? describe
    : (name: string, ...rest: unknown[]) => {
        console.warn(`\n!!! SKIPPED root-only suite "${name}": needs uid 0 (run the tests as root, as CI does) !!!\n`);
        return (describe.skip as (...a: unknown[]) => unknown)(name, ...rest);
      }
) as typeof describe;
