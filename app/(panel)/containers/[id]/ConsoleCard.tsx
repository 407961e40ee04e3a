"use client";
/**
 * The container's console in the browser: xterm.js over the panel's WebSocket (/api/console, see
 * server/http/console.ts) to a persistent shell session on the node. The session id is kept per container
 * in localStorage, so a reload or a second tab attaches to the same shell (two viewers see the same
 * screen); a dropped connection reconnects by itself with backoff. Copy: selecting text copies it;
 * paste: Ctrl+Shift+V / Cmd+V / the browser's paste go to xterm's textarea.
 */
import "@xterm/xterm/css/xterm.css";
import type { FitAddon } from "@xterm/addon-fit";
import type { Terminal } from "@xterm/xterm";
import { useCallback, useEffect, useRef, useState } from "react";
import { Button } from "../../../_components/Button.js";
import { Card } from "../../../_components/Card.js";

type ConnState = "connecting" | "connected" | "reconnecting" | "ended" | "error";
const LABEL: Record<ConnState, string> = {
  connecting: "connecting…",
  connected: "connected",
  reconnecting: "reconnecting…",
  ended: "session ended — start a new one",
  error: "not connected",
};
/** Fonts found on the user's machine (none is downloaded): Linux, macOS, Windows, then any monospace. */
const CONSOLE_FONT = '"DejaVu Sans Mono", "Liberation Mono", Menlo, Monaco, Consolas, "Courier New", monospace';
const storageKey = (containerId: string) => `ovz.console.${containerId}`;
const MAX_BACKOFF_MS = 10_000;

type ServerMessage =
  | { type: "session"; session: string; ctid: number; attached: boolean }
  | { type: "exit"; code: number; signal: string | null; message?: string }
  | { type: "error"; code: string; message: string };

/**
 * A page view opens no shell: the console connects when the user asks for it (each new session is a root
 * shell on the node and an audit entry), or by itself only to re-attach to a session this browser already
 * has (a reload, a second tab).
 */
export function ConsoleCard({ containerId, running }: { containerId: string; running: boolean }) {
  const [open, setOpen] = useState(false);
  useEffect(() => {
    if (localStorage.getItem(storageKey(containerId))) setOpen(true);
  }, [containerId]);
  if (!running) {
    return (
      <Card title="Console" testId="console">
        <p className="text-sm text-slate-600" data-testid="console-hint">
          The console is available while the container is running. Start it to open a shell.
        </p>
      </Card>
    );
  }
  if (!open) {
    return (
      <Card title="Console" testId="console">
        <div className="flex flex-wrap items-center gap-3">
          <Button onClick={() => setOpen(true)}>Open console</Button>
          <span className="text-sm text-slate-600">
            A root shell in the container, in your browser (each new session is recorded in the audit log).
          </span>
        </div>
      </Card>
    );
  }
  return <ConsoleTerminal containerId={containerId} />;
}

function ConsoleTerminal({ containerId }: { containerId: string }) {
  const hostRef = useRef<HTMLDivElement>(null);
  const termRef = useRef<Terminal | null>(null);
  const fitRef = useRef<FitAddon | null>(null);
  const wsRef = useRef<WebSocket | null>(null);
  const retryRef = useRef(0);
  const timerRef = useRef<ReturnType<typeof setTimeout> | null>(null);
  const disposedRef = useRef(false);
  const [state, setState] = useState<ConnState>("connecting");
  const [detail, setDetail] = useState<string | null>(null);
  const [session, setSession] = useState<string | null>(null);

  const send = (data: string | Uint8Array) => {
    const ws = wsRef.current;
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(data);
  };

  const connect = useCallback(() => {
    const term = termRef.current;
    if (!term || disposedRef.current) return;
    if (timerRef.current) clearTimeout(timerRef.current);
    const stored = localStorage.getItem(storageKey(containerId));
    const q = new URLSearchParams({ containerId, cols: String(term.cols), rows: String(term.rows) });
    if (stored) q.set("session", stored);
    const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/console?${q}`);
    ws.binaryType = "arraybuffer";
    wsRef.current = ws;
    let final = false; // the server said how it ended: do not reconnect
    ws.onmessage = (ev) => {
      if (typeof ev.data !== "string") {
        term.write(new Uint8Array(ev.data as ArrayBuffer));
        return;
      }
      let m: ServerMessage;
      try {
        m = JSON.parse(ev.data) as ServerMessage;
      } catch {
        return;
      }
      if (m.type === "session") {
        // the engine replays the recent screen to an attaching client: draw it on a clean terminal
        if (m.attached) term.reset();
        localStorage.setItem(storageKey(containerId), m.session);
        retryRef.current = 0;
        setSession(m.session);
        setDetail(null);
        setState("connected");
        // our size may have changed while we were away
        send(JSON.stringify({ type: "resize", cols: term.cols, rows: term.rows }));
      } else if (m.type === "exit") {
        final = true;
        localStorage.removeItem(storageKey(containerId));
        setDetail(m.message ?? `the shell exited with status ${m.code}`);
        setState("ended");
      } else if (m.type === "error") {
        final = true;
        if (m.code === "NOT_FOUND" && stored) {
          localStorage.removeItem(storageKey(containerId));
          setDetail(m.message);
          setState("ended");
        } else {
          setDetail(m.message);
          setState("error");
        }
      }
    };
    ws.onclose = () => {
      if (wsRef.current !== ws) return;
      wsRef.current = null;
      if (final || disposedRef.current) return;
      setState("reconnecting");
      const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** retryRef.current++);
      timerRef.current = setTimeout(connect, delay);
    };
  }, [containerId]);

  const startNew = () => {
    localStorage.removeItem(storageKey(containerId));
    termRef.current?.reset();
    setSession(null);
    setDetail(null);
    setState("connecting");
    retryRef.current = 0;
    wsRef.current?.close();
    wsRef.current = null;
    connect();
  };

  useEffect(() => {
    disposedRef.current = false;
    let observer: ResizeObserver | null = null;
    const onWindowResize = () => fitRef.current?.fit();
    void (async () => {
      // xterm touches the DOM when loaded: load it in the browser only
      const [{ Terminal }, { FitAddon }] = await Promise.all([import("@xterm/xterm"), import("@xterm/addon-fit")]);
      if (disposedRef.current || !hostRef.current) return;
      const term = new Terminal({
        cursorBlink: true,
        fontFamily: CONSOLE_FONT,
        fontSize: 14,
        // xterm's DOM renderer clips each row to the font's height: DejaVu Sans Mono (Linux's usual monospace)
        // draws "_" below that, so `a_b_c` showed as `a b c`. A taller row leaves room under the baseline.
        lineHeight: 1.2,
        scrollback: 5000,
        theme: { background: "#0f172a", foreground: "#e2e8f0" },
      });
      const fit = new FitAddon();
      term.loadAddon(fit);
      term.open(hostRef.current);
      fit.fit();
      termRef.current = term;
      fitRef.current = fit;
      const enc = new TextEncoder();
      term.onData((d) => send(enc.encode(d)));
      term.onBinary((d) => send(Uint8Array.from(d, (ch) => ch.charCodeAt(0) & 0xff)));
      term.onResize(({ cols, rows }) => send(JSON.stringify({ type: "resize", cols, rows })));
      term.onSelectionChange(() => {
        const text = term.getSelection();
        if (text) navigator.clipboard?.writeText(text).catch(() => {});
      });
      observer = new ResizeObserver(() => fit.fit());
      observer.observe(hostRef.current);
      window.addEventListener("resize", onWindowResize);
      connect();
    })();
    return () => {
      disposedRef.current = true;
      if (timerRef.current) clearTimeout(timerRef.current);
      observer?.disconnect();
      window.removeEventListener("resize", onWindowResize);
      const ws = wsRef.current;
      wsRef.current = null;
      ws?.close(); // detaches: the shell keeps running on the node
      termRef.current?.dispose();
      termRef.current = null;
      fitRef.current = null;
    };
  }, [connect]);

  const dot =
    state === "connected" ? "bg-green-500" : state === "ended" || state === "error" ? "bg-slate-400" : "bg-amber-500";
  return (
    <Card
      title="Console"
      testId="console"
      actions={
        <span className="flex items-center gap-2 text-xs text-slate-600">
          <span aria-hidden className={`h-2 w-2 rounded-full ${dot}`} />
          <span role="status" data-testid="console-state">
            {LABEL[state]}
          </span>
          {session && state === "connected" && (
            <span
              className="font-mono text-slate-500"
              title="Shell session on the node (a reload or another tab attaches to it)"
            >
              #{session.slice(0, 8)}
            </span>
          )}
        </span>
      }
    >
      {(state === "ended" || state === "error") && (
        <div className="mb-2 flex items-center gap-3 text-sm text-slate-700">
          {detail && <span data-testid="console-detail">{detail}</span>}
          <Button variant="secondary" onClick={startNew}>
            {state === "ended" ? "Start a new session" : "Try again"}
          </Button>
        </div>
      )}
      <div
        ref={hostRef}
        data-testid="console-terminal"
        className="h-96 w-full overflow-hidden rounded-md bg-slate-900 p-1"
        onClick={() => termRef.current?.focus()}
      />
      <p className="mt-1 text-xs text-slate-500">
        Select to copy · paste with Ctrl+Shift+V (⌘V on a Mac) · the shell keeps running when you leave this page.
      </p>
    </Card>
  );
}
