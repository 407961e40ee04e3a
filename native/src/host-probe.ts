/** Small reads of the host's /proc, /sys and /etc the engine needs (pure helpers, no engine state). */
import { appendFileSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import os from "node:os";

export function hostCpuCount(): number {
  try {
    const text = readFileSync("/sys/devices/system/cpu/online", "utf8").trim();
    let n = 0;
    for (const part of text.split(",")) {
      const [a, b] = part.split("-").map(Number);
      n += b === undefined ? 1 : b - a! + 1;
    }
    return n || os.cpus().length;
  } catch {
    return os.cpus().length;
  }
}

export function ownHardNofile(): number {
  try {
    const m = /^Max open files\s+\S+\s+(\d+|unlimited)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    return m && m[1] !== "unlimited" ? Number(m[1]) : 1_048_576;
  } catch {
    return 1_048_576;
  }
}

/** "<pid>-<start time in clock ticks since boot>": unique per run of a container's init. */
export async function bootId(pid: number): Promise<string | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // fields after the command (which may contain spaces) start after the last ")"
    const starttime = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
    return starttime ? `${pid}-${starttime}` : null;
  } catch {
    return null;
  }
}

export async function readNofile(pid: number): Promise<number | null> {
  try {
    const text = await readFile(`/proc/${pid}/limits`, "utf8");
    const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(text);
    return m && m[1] !== "unlimited" ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** The max= of the devpts mounted at /dev/pts in the mount namespace of `pid` (the container's PTY limit). */
export async function readPtyMax(pid: number): Promise<number | null> {
  try {
    const text = await readFile(`/proc/${pid}/mountinfo`, "utf8");
    for (const line of text.split("\n")) {
      const [pre, post] = line.split(" - ");
      if (pre?.split(" ")[4] !== "/dev/pts" || !post?.startsWith("devpts ")) continue;
      const m = /(?:^|,)max=(\d+)/.exec(post.split(" ")[2] ?? "");
      return m ? Number(m[1]) : null;
    }
    return null;
  } catch {
    return null;
  }
}

/** LXC maps container ids into the host range it finds delegated to root in /etc/subuid and /etc/subgid. */
export function ensureSubIds(base: number, count: number): void {
  for (const f of ["/etc/subuid", "/etc/subgid"]) {
    let text = "";
    try {
      text = readFileSync(f, "utf8");
    } catch {
      /* created below */
    }
    const covered = text.split("\n").some((l) => {
      const [u, s, c] = l.split(":");
      return u === "root" && Number(s) <= base && Number(s) + Number(c) >= base + count;
    });
    if (!covered) appendFileSync(f, `${text && !text.endsWith("\n") ? "\n" : ""}root:${base}:${count}\n`);
  }
}
