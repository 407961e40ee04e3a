/**
 * The shape of a driver table. Each host subsystem (cgroup, storage, runtime; network devices later) keeps
 * one table of its drivers in its index.ts, keyed by driver name:
 *
 *   export const STORAGE_DRIVERS = { btrfs: {...}, dir: {...} } as const satisfies Record<string, StorageDriverEntry>;
 *   export type StorageDriverName = keyof typeof STORAGE_DRIVERS;
 *
 * The keys are the names config accepts, so a new driver is one module beside the others plus one row, and
 * nothing else lists driver names. Drivers never import each other; what they share lives in common.ts.
 */

/** One row of a driver table: a line for errors and docs, and how to build the driver from its options. */
export interface DriverEntry<Options, Driver> {
  readonly describe: string;
  create(opts: Options): Driver;
}

/** Is `name` a key of `table` (own keys only: "constructor" or "toString" are not driver names)? */
export function isDriverName<Table extends object>(table: Table, name: unknown): name is keyof Table & string {
  return typeof name === "string" && Object.hasOwn(table, name);
}

/** The table's driver names for a message: "btrfs", "btrfs or dir", "a, b or c". */
export function driverNames(table: object): string {
  const names = Object.keys(table);
  return names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names.at(-1)}` : (names[0] ?? "");
}
