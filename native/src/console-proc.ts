/**
 * /proc helpers of console sessions (console.ts, console-session.ts): a session's processes are matched by
 * session id AND the container's pid namespace, so a reused pid on the host is never hit.
 */
import { readdir, readFile, readlink } from "node:fs/promises";
import os from "node:os";

/** What is recorded of a live session, so a later engine can kill its remains (ConsoleManager.recover). */
export interface SessionRecord {
  ctid: number;
  leaders: number[];
  pidns: string;
}

interface ProcStat {
  state: string;
  ppid: number;
  session: number;
  /** wait(2)-style status of an exited (zombie) process */
  exitCode: number;
}

export async function procStat(pid: number): Promise<ProcStat | null> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, "utf8");
    const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
    // fields after "pid (comm)": state(3) ppid(4) pgrp(5) session(6) ... exit_code(52)
    return { state: f[0]!, ppid: Number(f[1]), session: Number(f[3]), exitCode: Number(f[49] ?? 0) };
  } catch {
    return null;
  }
}

export async function pidNs(pid: number): Promise<string | null> {
  return readlink(`/proc/${pid}/ns/pid`).catch(() => null);
}

/** Processes (zombies optional) whose session id is one of `leaders` and that live in pid namespace `ns`. */
export async function sessionMembers(leaders: ReadonlySet<number>, ns: string, live: boolean): Promise<number[]> {
  const out: number[] = [];
  for (const e of await readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    const st = await procStat(pid);
    if (!st || !leaders.has(st.session)) continue;
    if (live && (st.state === "Z" || st.state === "X")) continue;
    if ((await pidNs(pid)) === ns) out.push(pid);
  }
  return out;
}

export async function childrenOf(pid: number): Promise<number[]> {
  const out: number[] = [];
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  for (const t of tasks) {
    const text = await readFile(`/proc/${pid}/task/${t}/children`, "utf8").catch(() => "");
    for (const c of text.split(" ")) if (c.trim()) out.push(Number(c));
  }
  return out;
}

export function signalName(n: number): string | null {
  if (!n) return null;
  for (const [name, num] of Object.entries(os.constants.signals)) if (num === n) return name;
  return `SIG${n}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
