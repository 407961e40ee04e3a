/**
 * The per-container files the engine writes into a container: /etc/hostname, /etc/hosts, /etc/resolv.conf.
 * A running container writes them itself (exec inside: its own view of its files, no symlink games with host
 * paths); a stopped one gets them through rootfs.ts, which never follows the container's symlinks.
 */
import type { Drivers } from "./engine-types.js";
import type { ContainerRecord } from "./records.js";
import { readInRootfs, writeInRootfs } from "./rootfs.js";

type Runtime = Pick<Drivers, "runtime" | "storage">;

export async function writeHostname(d: Runtime, rec: ContainerRecord, running: boolean): Promise<void> {
  const rootfs = d.storage.containerPath(rec.ctid);
  if (running) {
    await d.runtime.exec(rec.ctid, ["hostname", rec.hostname]);
    await d.runtime.exec(rec.ctid, ["/bin/sh", "-c", "cat > /etc/hostname"], { input: `${rec.hostname}\n` });
    return;
  }
  await writeInRootfs(rootfs, "etc/hostname", `${rec.hostname}\n`);
  // never readFile(): a planted /etc/hosts → /etc/shadow symlink would copy the HOST's file in here
  const hosts = await readInRootfs(rootfs, "etc/hosts");
  const line = `127.0.1.1\t${rec.hostname}`;
  const kept = (hosts ?? "127.0.0.1\tlocalhost\n").split("\n").filter((l) => !/^127\.0\.1\.1\s/.test(l) && l !== "");
  await writeInRootfs(rootfs, "etc/hosts", [...kept, line].join("\n") + "\n");
}

export async function writeResolvConf(d: Runtime, rec: ContainerRecord, running: boolean): Promise<void> {
  const ns = rec.net?.nameservers ?? [];
  if (!ns.length) return;
  const text = ns.map((n) => `nameserver ${n}`).join("\n") + "\n";
  if (running) {
    await d.runtime.exec(rec.ctid, ["/bin/sh", "-c", "cat > /etc/resolv.conf"], { input: text });
    return;
  }
  await writeInRootfs(d.storage.containerPath(rec.ctid), "etc/resolv.conf", text);
}

/** Both, into a stopped container (create, start, reinstall, clone). */
export async function writeSystemFiles(d: Runtime, rec: ContainerRecord): Promise<void> {
  await writeHostname(d, rec, false);
  await writeResolvConf(d, rec, false);
}
