"use client";
import { useQuery } from "@tanstack/react-query";
import { ErrorBox } from "../../_components/ErrorBox.js";
import { Loading } from "../../_components/Loading.js";
import { bytes } from "../../_lib/format.js";
import { useTRPC } from "../../_lib/trpc.js";

/** Live facts from the node's engine. */
export function NodeInfo({ nodeId, name }: { nodeId: string; name: string }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.nodes.info.queryOptions({ nodeId }));
  if (q.isPending) return <Loading what={`Asking node ${name}`} />;
  if (q.error) return <ErrorBox error={q.error} />;
  const i = q.data;
  const rows: [string, string][] = [
    ["Hostname", i.hostname],
    ["Engine version", `${i.version} (protocol ${i.protocol})`],
    ["Kernel", i.kernel],
    ["CPUs", String(i.cpus)],
    ["Memory", bytes(i.memoryBytes)],
    ["Runtime", i.runtime],
    ["cgroup version", `v${i.cgroupVersion}`],
    [
      "Storage",
      `${i.storage.driver} (quota ${i.storage.caps.quota ? "yes" : "no"}, inode quota ${i.storage.caps.inodeQuota ? "yes" : "no"}, CoW ${i.storage.caps.cow ? "yes" : "no"})`,
    ],
    ["Storage free", `${bytes(i.storage.freeBytes)} of ${bytes(i.storage.totalBytes)}`],
    ["Containers", String(i.containers)],
  ];
  return (
    <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
      {rows.map(([k, v]) => (
        <div key={k} className="contents">
          <dt className="text-slate-500">{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
