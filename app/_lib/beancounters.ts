/**
 * Plain-words hints for a beancounter whose fail count is above zero (like OpenVZ's
 * /proc/user_beancounters failcnt): what happened inside the container and what to do about it.
 */
const HINTS: Record<string, string> = {
  memory:
    "Processes were killed or slowed down because RAM ran out. Raise the RAM limit, or find the program that keeps growing (a leak).",
  swap: "RAM plus swap ran out, so the kernel refused memory or killed processes. Raise RAM or swap, or make the programs use less.",
  numproc:
    "New processes or threads were refused because the process limit was reached (fork failed). Raise the process limit, or look for a runaway program that keeps starting processes.",
  cpu: "The container wanted more CPU than its CPU limit allows and was held back (throttled) that many times. If it feels slow, raise the CPU limit or the number of vCPUs.",
  blkio: "Disk I/O was held back by the I/O limit. Raise the I/O limit if the container needs more disk throughput.",
  numfile:
    "Opening files was refused because the open-files limit was reached. Raise the limit, or find the program that leaves files open.",
  diskspace: "Writes failed because the disk is full (no space left on device). Delete files, or raise the disk limit.",
  diskinodes:
    "Creating files failed because the container has too many files (inodes). Delete small files (caches, mail queues, sessions) or raise the inode limit.",
};

/** The hint for a resource that was hit, or null when it was never hit. */
export function beancounterHint(resource: string, failcnt: number): string | null {
  if (failcnt <= 0) return null;
  return HINTS[resource] ?? `The ${resource} limit was hit ${failcnt} time(s). Raise it if the container needs more.`;
}

/** What each resource means, for the table's first column. */
export const RESOURCE_LABELS: Record<string, string> = {
  memory: "RAM",
  swap: "RAM + swap",
  numproc: "Processes",
  cpu: "CPU time",
  blkio: "Disk I/O",
  numfile: "Open files",
  diskspace: "Disk space",
  diskinodes: "Files (inodes)",
};
