export const AMOUNTS = [
  ["containers", "Containers"],
  ["cpus", "vCPUs"],
  ["ramMb", "RAM (MiB)"],
  ["swapMb", "Swap (MiB)"],
  ["diskMb", "Disk (MiB)"],
  ["ipCount", "IP addresses"],
] as const;
export type AmountKey = (typeof AMOUNTS)[number][0];
