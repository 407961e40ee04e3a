"use client";
import { useRef, useState } from "react";
import { TEMPLATE_NAME_RE, TEMPLATE_NAME_RULE } from "../../../native/src/identity.js";
import { Button } from "../../_components/Button.js";
import { ProgressBar } from "../../_components/ProgressBar.js";
import { TextField } from "../../_components/TextField.js";
import { bytes } from "../../_lib/format.js";

const EXT = /\.(tar\.gz|tgz|tar\.zst|tar\.xz)$/i;

/** The template name a file suggests: its name without the tarball extension, in lower case. */
export function nameFromFile(file: string): string {
  return file
    .replace(EXT, "")
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[^a-z0-9]+/, "")
    .slice(0, 64);
}

/**
 * Uploads a tarball to POST /api/templates/upload (server/http/template-upload.ts) with XMLHttpRequest, whose
 * upload events drive the progress bar; the engine's import then goes on as the operation it answers with.
 */
export function UploadForm({ nodeId, onStarted }: { nodeId: string; onStarted: (operationId: string) => void }) {
  const fileRef = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState("");
  const [sent, setSent] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const nameError = name && !TEMPLATE_NAME_RE.test(name) ? `Use ${TEMPLATE_NAME_RULE}.` : undefined;

  const start = () => {
    if (!file) return setError("Choose a .tar.gz, .tar.zst or .tar.xz file first.");
    if (!EXT.test(file.name)) return setError("Choose a .tar.gz, .tar.zst or .tar.xz file (a packed root filesystem).");
    if (!name || nameError) return setError(`Give the template a name: ${TEMPLATE_NAME_RULE}.`);
    setError(null);
    setSent(0);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/templates/upload?nodeId=${encodeURIComponent(nodeId)}&name=${encodeURIComponent(name)}`);
    xhr.upload.onprogress = (e) => setSent(e.loaded);
    xhr.onload = () => {
      setSent(null);
      let body: { operationId?: string; error?: string } = {};
      try {
        body = JSON.parse(xhr.responseText) as typeof body;
      } catch {
        /* not JSON: a proxy's page */
      }
      if (xhr.status === 202 && body.operationId) {
        onStarted(body.operationId);
        setFile(null);
        setName("");
        if (fileRef.current) fileRef.current.value = "";
      } else setError(body.error ?? `The upload was refused (HTTP ${xhr.status}); try again.`);
    };
    xhr.onerror = () => {
      setSent(null);
      setError(
        "The upload was cut off: the connection dropped, or the file is larger than the panel takes " +
          "(OVZ_TEMPLATE_UPLOAD_MAX_MB, 2048 MiB by default). Try again, or import it on the node.",
      );
    };
    xhr.send(file);
  };

  return (
    <form
      aria-label="Upload a template"
      className="flex flex-col gap-3"
      onSubmit={(e) => {
        e.preventDefault();
        start();
      }}
    >
      <div className="flex flex-wrap items-end gap-3">
        <label className="flex flex-col gap-1 text-sm font-medium text-slate-700">
          Tarball (.tar.gz, .tar.zst, .tar.xz)
          <input
            ref={fileRef}
            type="file"
            accept=".tar.gz,.tgz,.tar.zst,.tar.xz,application/gzip,application/zstd,application/x-xz"
            className="text-sm"
            onChange={(e) => {
              const f = e.target.files?.[0] ?? null;
              setFile(f);
              if (f) setName(nameFromFile(f.name));
            }}
          />
        </label>
        <TextField label="Template name" value={name} onChange={setName} error={nameError} maxLength={64} />
        <Button type="submit" busy={sent !== null} disabled={!file}>
          Upload
        </Button>
      </div>
      {file && (
        <p className="text-xs text-slate-500">
          {file.name}, {bytes(file.size)}
        </p>
      )}
      {sent !== null && file && (
        <div className="flex items-center gap-2">
          <div className="flex-1">
            <ProgressBar value={(sent * 100) / Math.max(1, file.size)} label="Upload progress" />
          </div>
          <span className="text-xs tabular-nums text-slate-600">
            {bytes(sent)} of {bytes(file.size)}
          </span>
        </div>
      )}
      {error && (
        <p role="alert" className="text-sm text-red-700">
          {error}
        </p>
      )}
    </form>
  );
}
