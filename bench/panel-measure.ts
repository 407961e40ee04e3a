/**
 * One page load in Chromium, timed in the page (bench/panel.bench.ts). An init script, run before the page's own
 * scripts, watches the DOM (MutationObserver) for the page's settled state:
 *   - `main` holds the page's h1 and no loading placeholder (no "Loading …" status, no skeleton), and
 *   - list: the table shows exactly the expected rows; container page: the Summary card and the header's CTID are
 *     the container's, and its Recent operations table is there.
 * Times are from the navigation's start (performance.timeOrigin):
 *   rendered    = the mutation that made the page settled (the DOM is final; measured in the observer callback),
 *   interactive = the first requestIdleCallback after the frame that shows it: the main thread has nothing left
 *                 to do (hydration, effects, the commit's layout and paint), so a click is handled at once.
 * "interactive" is the time-to-interactive the bench reports. Also taken: the navigation entry (document
 * response, DOMContentLoaded), every /api/trpc request (sent, first byte, end) and long tasks (> 50 ms) before
 * interactive.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";

export type Spec = { kind: "list"; rows: number } | { kind: "container"; ctid: number } | { kind: "plain" };

export interface Sample {
  rendered: number;
  interactive: number;
  /** the document's last byte */
  document: number;
  domContentLoaded: number;
  longTasks: number;
  longTaskMs: number;
  /**
   * /api/trpc requests: procedures, who sent it ("fetch": the tRPC client, "link": a preload), sent (fetchStart),
   * first byte and end, ms from navigation start
   */
  trpc: { procs: string; initiator: string; start: number; firstByte: number; end: number }[];
  heading: string;
}

/** The init script, as a string: a function of this file would be compiled by tsx with helpers the page lacks. */
function initScript(spec: Spec): string {
  return `(() => {
  const spec = ${JSON.stringify(spec)};
  performance.setResourceTimingBufferSize(2000);
  const t = (window.__tti = { rendered: null, interactive: null, longTasks: 0, longTaskMs: 0 });
  let resolve;
  window.__ttiDone = new Promise((r) => (resolve = r));
  try {
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) {
        if (t.interactive !== null) continue;
        t.longTasks++;
        t.longTaskMs += e.duration;
      }
    }).observe({ type: "longtask", buffered: true });
  } catch {}
  const loading = (root) =>
    !!root.querySelector("[data-testid=skeleton]") ||
    [...root.querySelectorAll("[role=status]")].some((e) => /^Loading/.test((e.textContent || "").trim()));
  const settled = () => {
    const main = document.querySelector("main");
    if (!main || !main.querySelector("h1") || loading(main)) return false;
    if (spec.kind === "list") return main.querySelectorAll("table tbody tr").length === spec.rows;
    if (spec.kind === "container") {
      const ctid = main.querySelector("[data-testid=container-ctid]");
      return (
        !!ctid &&
        ctid.textContent.trim() === String(spec.ctid) &&
        !!main.querySelector("[data-testid=summary-card]") &&
        !!main.querySelector('table[aria-label="Recent operations"]')
      );
    }
    return true;
  };
  const mo = new MutationObserver(() => {
    if (t.rendered !== null || !settled()) return;
    t.rendered = performance.now();
    mo.disconnect();
    requestAnimationFrame(() =>
      requestIdleCallback(
        () => {
          t.interactive = performance.now();
          resolve();
        },
        { timeout: 5000 },
      ),
    );
  });
  mo.observe(document, { childList: true, subtree: true, characterData: true, attributes: true });
})();`;
}

const COLLECT = `(async () => {
  await window.__ttiDone;
  const t = window.__tti;
  const nav = performance.getEntriesByType("navigation")[0];
  const trpc = performance
    .getEntriesByType("resource")
    .filter((e) => e.name.includes("/api/trpc/") && e.startTime < t.interactive)
    .map((e) => ({
      procs: decodeURIComponent(new URL(e.name).pathname.slice("/api/trpc/".length)),
      initiator: e.initiatorType,
      start: e.startTime,
      firstByte: e.responseStart,
      end: e.responseEnd,
    }));
  return {
    rendered: t.rendered,
    interactive: t.interactive,
    document: nav.responseEnd,
    domContentLoaded: nav.domContentLoadedEventEnd,
    longTasks: t.longTasks,
    longTaskMs: t.longTaskMs,
    trpc,
    heading: document.querySelector("main h1").textContent,
  };
})()`;

async function load(page: Page, url: string): Promise<Sample> {
  await page.goto(url, { waitUntil: "commit", timeout: 60_000 });
  const sample = await Promise.race([
    page.evaluate(COLLECT) as Promise<Sample>,
    new Promise<never>((_r, reject) =>
      setTimeout(() => reject(new Error(`${url} did not settle within 60 s`)), 60_000).unref(),
    ),
  ]).catch(async (e: unknown) => {
    const main = await page
      .locator("body")
      .innerText()
      .catch(() => "?");
    throw new Error(`${(e as Error).message}; the page shows: ${main.slice(0, 400)}`, { cause: e });
  });
  if (new URL(page.url()).pathname !== new URL(url).pathname)
    throw new Error(`${url} ended on ${page.url()}: is the session cookie accepted?`);
  return sample;
}

/**
 * Waits until the page's own requests after it settled are over (Next's link prefetches: two requests per link in
 * view): no request finished for 500 ms, at most 5 s. Else they would still keep the server busy while the next
 * load is measured.
 */
const QUIET = `new Promise((resolve) => {
  const t0 = performance.now();
  let n = -1;
  const tick = () => {
    const m = performance.getEntriesByType("resource").length;
    if (m === n || performance.now() - t0 > 5000) resolve(m);
    else {
      n = m;
      setTimeout(tick, 500);
    }
  };
  tick();
})`;

/**
 * One cold and one warm sample of `url`: a fresh browser context (empty HTTP cache, only the session cookie), the
 * first load is cold; the second, in the same tab, is warm (HTTP cache and V8 code cache filled by the first). Before
 * each next load (and before the context closes) the page's requests end (QUIET).
 */
export async function coldAndWarm(
  browser: Browser,
  base: string,
  path: string,
  session: string,
  spec: Spec,
  prepare?: (ctx: BrowserContext) => Promise<void>,
): Promise<{ cold: Sample; warm: Sample }> {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  try {
    await prepare?.(ctx);
    await ctx.addCookies([
      { name: "ovz_session", value: session, url: base, httpOnly: true, sameSite: "Lax", secure: false },
    ]);
    await ctx.addInitScript(initScript(spec));
    const page = await ctx.newPage();
    const cold = await load(page, base + path);
    await page.evaluate(QUIET);
    const warm = await load(page, base + path);
    await page.evaluate(QUIET);
    return { cold, warm };
  } finally {
    await ctx.close();
  }
}
