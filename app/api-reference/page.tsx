/**
 * The billing API's reference, rendered on the server from the OpenAPI document (server/api/v1/openapi.ts):
 * every route with its roles, parameters, body and answers. No client script, no outside assets.
 */
import type { Metadata } from "next";
import { openApiDocument } from "../../server/api/v1/openapi.js";

export const metadata: Metadata = { title: "Billing API v1 reference" };

type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  description?: string;
  $ref?: string;
};
type Param = { name: string; in: string; required: boolean; description?: string; schema: Schema };
type Op = {
  operationId: string;
  summary: string;
  description?: string;
  "x-roles"?: string[];
  parameters?: Param[];
  requestBody?: { content: { "application/json": { schema: Schema } } };
  responses: Record<string, { description: string; content?: { "application/json": { schema: Schema } } }>;
};

function typeOf(s: Schema): string {
  if (s.$ref) return s.$ref.split("/").pop()!;
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.anyOf) return s.anyOf.map(typeOf).join(" | ");
  if (s.type === "array") return `${s.items ? typeOf(s.items) : "any"}[]`;
  if (Array.isArray(s.type)) return s.type.join(" | ");
  return s.type ?? "any";
}

function Fields({ schema }: { schema: Schema }) {
  const props = Object.entries(schema.properties ?? {});
  if (!props.length) return <span className="text-slate-500">{typeOf(schema)}</span>;
  return (
    <ul className="ml-4 list-disc">
      {props.map(([name, s]) => (
        <li key={name}>
          <code>{name}</code>
          {schema.required?.includes(name) ? "" : "?"}: <span className="text-slate-600">{typeOf(s)}</span>
          {s.description && <span className="text-slate-500"> — {s.description}</span>}
          {s.type === "object" && s.properties && <Fields schema={s} />}
          {s.type === "array" && s.items?.properties && <Fields schema={s.items} />}
        </li>
      ))}
    </ul>
  );
}

export default function ApiReference() {
  const doc = openApiDocument() as unknown as {
    info: { title: string; version: string; description: string };
    paths: Record<string, Record<string, Op>>;
  };
  const ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ path, method: method.toUpperCase(), op })),
  );
  return (
    <main className="mx-auto max-w-4xl px-6 py-8">
      <h1 className="text-xl font-semibold">
        {doc.info.title} {doc.info.version}
      </h1>
      <p className="mt-2 text-slate-700">{doc.info.description}</p>
      <p className="mt-2">
        Base URL <code>/api/v1</code>; machine-readable:{" "}
        <a className="text-blue-700 underline" href="/api/v1/openapi.json">
          /api/v1/openapi.json
        </a>
        . Errors are <code>{`{"error": {"code", "message", "fields?"}}`}</code>.
      </p>
      <nav className="mt-4">
        <ul className="columns-2 text-xs">
          {ops.map(({ path, method, op }) => (
            <li key={op.operationId}>
              <a className="text-blue-700 underline" href={`#${op.operationId}`}>
                {method} {path}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {ops.map(({ path, method, op }) => (
        <section
          key={op.operationId}
          id={op.operationId}
          className="mt-6 rounded-md border border-slate-200 bg-white p-4"
        >
          <h2 className="font-mono font-semibold">
            {method} /api/v1{path}
          </h2>
          <p className="mt-1">{op.summary}</p>
          {op.description && <p className="mt-1 text-slate-600">{op.description}</p>}
          {op["x-roles"] && <p className="mt-1 text-xs text-slate-500">token roles: {op["x-roles"].join(", ")}</p>}
          {op.parameters && (
            <>
              <h3 className="mt-3 font-semibold">Parameters</h3>
              <ul className="ml-4 list-disc">
                {op.parameters.map((p) => (
                  <li key={`${p.in}:${p.name}`}>
                    <code>{p.name}</code> ({p.in}
                    {p.required ? ", required" : ""}): {typeOf(p.schema)}
                    {p.description && <span className="text-slate-500"> — {p.description}</span>}
                  </li>
                ))}
              </ul>
            </>
          )}
          {op.requestBody && (
            <>
              <h3 className="mt-3 font-semibold">Body (JSON)</h3>
              <Fields schema={op.requestBody.content["application/json"].schema} />
            </>
          )}
          <h3 className="mt-3 font-semibold">Responses</h3>
          <ul className="ml-4 list-disc">
            {Object.entries(op.responses).map(([status, r]) => (
              <li key={status}>
                <code>{status}</code> {r.description}
                {status.startsWith("2") && r.content && <Fields schema={r.content["application/json"].schema} />}
              </li>
            ))}
          </ul>
        </section>
      ))}
    </main>
  );
}
