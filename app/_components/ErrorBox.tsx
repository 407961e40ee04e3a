import { errInfo } from "../_lib/errors.js";

/** The server's sentence (what to do), prominently, as an alert. */
export function ErrorBox({ error, title }: { error: unknown; title?: string }) {
  const info = errInfo(error);
  if (!info) return null;
  return (
    <div role="alert" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800">
      {title && <p className="font-semibold">{title}</p>}
      <p>{info.message}</p>
    </div>
  );
}
