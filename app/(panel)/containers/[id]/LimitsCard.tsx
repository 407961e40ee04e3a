import { Card } from "../../../_components/Card.js";
import { LIMIT_KEYS, LIMITS, showLimit } from "../../../_lib/limits.js";
import { table, td, th } from "../../../_lib/ui.js";
import type { ContainerView } from "./types.js";

/** Effective limits: the plan's, with per-container overrides marked. */
export function LimitsCard({ c }: { c: ContainerView }) {
  return (
    <Card title="Limits">
      <table className={table} aria-label="Effective limits">
        <thead>
          <tr>
            <th className={th}>Limit</th>
            <th className={th}>Value</th>
            <th className={th}>Source</th>
          </tr>
        </thead>
        <tbody>
          {LIMIT_KEYS.map((k) => (
            <tr key={k}>
              <td className={td} title={LIMITS[k].description}>
                {LIMITS[k].label}
              </td>
              <td className={`${td} tabular-nums`}>{showLimit(k, c.limits[k])}</td>
              <td className={`${td} text-xs text-slate-500`}>
                {k in c.overrides ? (
                  <span className="font-medium text-amber-700">override</span>
                ) : (
                  `plan ${c.plan.name}`
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Card>
  );
}
