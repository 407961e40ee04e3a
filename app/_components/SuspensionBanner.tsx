import Link from "next/link";
import type { Me } from "../_lib/trpc.js";
import { when } from "../_lib/format.js";
import { link } from "../_lib/ui.js";

/** After login: the caller's account or containers suspended by its provider, with the reason. */
export function SuspensionBanner({ me }: { me: Me }) {
  const s = me.suspensions;
  if (!s.tenant && s.containers.length === 0) return null;
  return (
    <div
      role="alert"
      data-testid="suspension-banner"
      className="mb-4 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900"
    >
      {s.tenant && (
        <p>
          Your account is suspended by your provider since {when(s.tenant.since)}:{" "}
          {s.tenant.reason ?? "no reason given"}. Its containers stay stopped until your provider unsuspends it; nothing
          was deleted. Contact your provider.
        </p>
      )}
      {!s.tenant && (
        <ul>
          {s.containers.map((c) => (
            <li key={c.id}>
              Container{" "}
              <Link className={link} href={`/containers/${c.id}`}>
                {c.hostname}
              </Link>{" "}
              is suspended by your provider: {c.reason ?? "no reason given"}. Contact your provider.
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
