/**
 * The panel's HTTP hardening seen from outside, in Chromium and plain HTTP against the production build
 * (server/http/main.ts + proxy.ts): the admin makes a customer's running container and a 24 MiB backup →
 * the security headers are on a page, a static file, /api/trpc, the download route (its 401 and a real
 * download) and /api/nodes/join, with no x-powered-by → the CSP nonce differs per request and every
 * script Next renders carries it → the login page and the container page (console, graphs) work with no
 * CSP violation, while an injected inline handler is blocked and reported → so do all pages of the
 * admin's menu, loaded in full and through in-app links → a tRPC batch of 25 calls
 * passes and one of 26 gets a 400 that names the limit → a download the client aborts half-way leaves
 * nothing uncaught in the panel's log, and the next download is whole → clean-up.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import { expect, test, type APIResponse, type Browser, type Page } from "@playwright/test";
import { EngineClient } from "../native/src/protocol/client.js";
import { NAV } from "../app/_lib/nav.js";
import {
  createContainer,
  createCustomer,
  createPlan,
  createPool,
  deleteBackupOf,
  deletePool,
  destroyContainer,
  login,
  openTab,
  shot,
  tabUrl,
  uniq,
  waitForOperation,
} from "./helpers.js";
import { ADMIN, readState } from "./stack.js";

test.describe.configure({ mode: "serial" });

const customer = {
  name: uniq("SecCustomer"),
  email: `${uniq("seccust")}@e2e.test`,
  password: "sec-customer-password-1",
};
const planName = uniq("secplan");
const poolName = uniq("secpool");
const POOL = { cidr: "198.18.208.0/24", first: "198.18.208.10", last: "198.18.208.19" };
const hostname = `${uniq("sec")}.e2e.test`;
let containerUrl = "";
let ctid = 0;
let backupUrl = "";

async function newPage(browser: Browser): Promise<Page> {
  return (await browser.newContext()).newPage();
}

async function inside(id: number, script: string): Promise<string> {
  const engine = new EngineClient(readState().engine.socket);
  try {
    const r = await engine.call("container.exec", { ctid: id, argv: ["/bin/sh", "-c", script] });
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  } finally {
    engine.close();
  }
}

/** The directives of a Content-Security-Policy header, by name. */
function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(";")
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...values]) => [name!, values]),
  );
}

function nonceOf(csp: string): string {
  const m = /'nonce-([A-Za-z0-9+/_-]+={0,2})'/.exec(directives(csp).get("script-src")?.join(" ") ?? "");
  expect(m, `a nonce in script-src: ${csp}`).toBeTruthy();
  return m![1]!;
}

/** The headers every response of the panel carries; returns its CSP. */
function expectSecurityHeaders(r: APIResponse, what: string): string {
  const h = r.headers();
  expect(h["x-frame-options"], what).toBe("DENY");
  expect(h["x-content-type-options"], what).toBe("nosniff");
  expect(h["referrer-policy"], what).toBe("strict-origin-when-cross-origin");
  expect(h["x-powered-by"], what).toBeUndefined();
  const csp = h["content-security-policy"] ?? "";
  const d = directives(csp);
  expect(d.get("default-src"), what).toEqual(["'self'"]);
  expect(d.get("script-src"), what).toEqual(["'self'", `'nonce-${nonceOf(csp)}'`, "'strict-dynamic'"]); // no 'unsafe-eval' in production
  expect(d.get("object-src"), what).toEqual(["'none'"]);
  expect(d.get("base-uri"), what).toEqual(["'self'"]);
  expect(d.get("form-action"), what).toEqual(["'self'"]);
  expect(d.get("frame-ancestors"), what).toEqual(["'none'"]);
  expect(d.get("connect-src"), what).toEqual(["'self'"]);
  return csp;
}

/**
 * Collects a page's CSP violations across navigations: the DOM's securitypolicyviolation events (reported
 * to the test through an exposed function) and Chromium's console reports.
 */
async function watchCsp(page: Page): Promise<() => string[]> {
  const seen: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) seen.push(`console: ${m.text()}`);
  });
  await page.exposeFunction("__reportCsp", (line: string) => void seen.push(line));
  await page.addInitScript(() => {
    const report = (window as unknown as { __reportCsp: (l: string) => void }).__reportCsp;
    document.addEventListener("securitypolicyviolation", (e) =>
      report(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`),
    );
  });
  return () => [...seen];
}

test("the admin makes a plan, a pool, a customer's running container and a backup of 24 MiB", async ({ browser }) => {
  const page = await newPage(browser);
  await login(page, ADMIN.email, ADMIN.password);
  await createPlan(page, planName);
  await createPool(page, poolName, POOL, 10);
  await createCustomer(page, { ...customer, userName: "Sec Customer" });
  ({ url: containerUrl, ctid } = await createContainer(page, { customer: customer.name, plan: planName, hostname }));
  await page.getByRole("button", { name: "Start", exact: true }).click();
  await waitForOperation(page, "start");
  // random bytes do not compress: the archive is ~24 MiB, far more than the sockets on the way buffer
  await inside(ctid, "dd if=/dev/urandom of=/root/noise bs=1M count=24 2>/dev/null");
  await openTab(page, "Backups");
  const card = page.getByTestId("backups-card");
  await card.getByRole("button", { name: "Back up now" }).click();
  await waitForOperation(page, "backup");
  await expect(card.locator("tbody tr")).toHaveCount(1);
  backupUrl = (await card.getByRole("link", { name: "Download" }).getAttribute("href"))!;
  expect(backupUrl).toMatch(/^\/api\/backups\/[^/]+\/download$/);
});

test("security headers on a page, a static file, /api/trpc, the download route and /api/nodes/join", async ({
  browser,
  request,
}) => {
  const loginPage = await request.get("/login");
  expect(loginPage.status()).toBe(200);
  expectSecurityHeaders(loginPage, "GET /login");
  const script = /<script[^>]* src="(\/_next\/static\/[^"]+\.js)"/.exec(await loginPage.text())?.[1];
  expect(script, "the login page loads Next's scripts").toBeTruthy();
  expectSecurityHeaders(await request.get(script!), `GET ${script}`);
  const me = await request.get("/api/trpc/auth.me");
  expect(me.status()).toBe(401);
  expectSecurityHeaders(me, "GET /api/trpc/auth.me (anonymous)");
  const anon = await request.get(backupUrl);
  expect(anon.status()).toBe(401);
  expectSecurityHeaders(anon, "GET download (anonymous)");
  const join = await request.post("/api/nodes/join", { data: {} });
  expect(join.status()).toBe(400);
  expectSecurityHeaders(join, "POST /api/nodes/join (no token)");

  const page = await newPage(browser);
  await login(page, customer.email, customer.password);
  const dl = await page.request.get(backupUrl);
  expect(dl.status()).toBe(200);
  expectSecurityHeaders(dl, "GET download (the owner)");
  expect(dl.headers()["content-type"]).toBe("application/zstd");
  expect(
    crypto
      .createHash("sha256")
      .update(await dl.body())
      .digest("hex"),
  ).toBe(dl.headers()["x-checksum-sha256"]);
  const authed = await page.request.get("/api/trpc/auth.me");
  expect(authed.status()).toBe(200);
  expectSecurityHeaders(authed, "GET /api/trpc/auth.me (logged in)");
});

test("the CSP nonce differs per request and is on every script Next renders", async ({ request }) => {
  const nonces = new Set<string>();
  for (let i = 0; i < 3; i++) {
    const r = await request.get("/login");
    const nonce = nonceOf(r.headers()["content-security-policy"]!);
    nonces.add(nonce);
    const tags = (await r.text()).match(/<script\b[^>]*>/g) ?? [];
    expect(tags.length, "Next renders scripts (external chunks and its inline payload)").toBeGreaterThan(3);
    for (const tag of tags) expect(tag, "a script without this response's nonce").toContain(` nonce="${nonce}"`);
    expect(Buffer.from(nonce, "base64").length, "128-bit nonce").toBe(16);
  }
  expect(nonces.size).toBe(3);
  // a client cannot choose the nonce by sending its own CSP header
  const forged = await request.get("/login", {
    headers: { "content-security-policy": "script-src 'nonce-AAAAAAAAAAAAAAAAAAAAAA=='" },
  });
  expect(await forged.text()).not.toContain('nonce="AAAAAAAAAAAAAAAAAAAAAA=="');
});

test("the login page and the container page (console, graphs) work with no CSP violation; an injected handler is blocked", async ({
  browser,
}) => {
  const page = await newPage(browser);
  const violations = await watchCsp(page);
  await login(page, customer.email, customer.password); // the login form's script logs in and navigates
  expect(violations()).toEqual([]);
  await page.goto(tabUrl(containerUrl, "Console"));
  await expect(page.getByTestId("container-state")).toContainText(/running/i);
  // the console: xterm's <style> elements and the same-origin WebSocket
  await page.getByTestId("console").getByRole("button", { name: "Open console" }).click();
  await expect(page.getByTestId("console-state")).toHaveText("connected");
  await page.getByTestId("console-terminal").click();
  await page.keyboard.type("echo csp-$((40+2))");
  await page.keyboard.press("Enter");
  await expect
    .poll(async () => (await page.getByTestId("console").locator(".xterm-rows").innerText()).replace(/\u00a0/g, " "))
    .toMatch(/^csp-42\s*$/m);
  await openTab(page, "Resources");
  await expect(page.getByTestId("usage-graphs")).toBeVisible();
  await shot(page, "security-container-page");
  expect(violations()).toEqual([]);

  // the watcher sees violations: an injected inline event handler (the XSS case) is refused and reported
  await page.evaluate(() =>
    document.body.insertAdjacentHTML("beforeend", '<img src="/csp-probe.png" onerror="window.__ran = 1">'),
  );
  await expect.poll(violations).toContainEqual(expect.stringMatching(/^script-src/));
  expect(await page.evaluate(() => (window as unknown as { __ran?: number }).__ran)).toBeUndefined();
});

test("every page of the admin's menu renders with no CSP violation, reached by full loads and in-app links", async ({
  browser,
}) => {
  const page = await newPage(browser);
  const violations = await watchCsp(page);
  await login(page, ADMIN.email, ADMIN.password);
  for (const item of NAV.admin) {
    await page.goto(item.href); // a full load: the HTML with this response's nonce
    await expect(page.locator("main")).toBeVisible();
    await page.waitForLoadState("networkidle");
  }
  // client-side navigation: Next loads further chunks from its nonced scripts ('strict-dynamic')
  await page.goto("/containers");
  for (const label of ["Plans", "Usage", "Nodes"]) {
    await page.getByRole("navigation").getByRole("link", { name: label, exact: true }).click();
    await page.waitForLoadState("networkidle");
  }
  expect(violations()).toEqual([]);
});

test("a tRPC batch of 25 calls passes, one of 26 gets a 400 that names the limit", async ({ browser }) => {
  const page = await newPage(browser);
  await login(page, customer.email, customer.password);
  const batch = (n: number) =>
    `/api/trpc/${Array(n).fill("auth.me").join(",")}?batch=1&input=${encodeURIComponent("{}")}`;
  const ok = await page.request.get(batch(25));
  expect(ok.status()).toBe(200);
  expect(await ok.json()).toHaveLength(25);
  for (const r of [await page.request.get(batch(26)), await page.request.post(batch(200), { data: {} })]) {
    expect(r.status()).toBe(400);
    expectSecurityHeaders(r, "an oversized batch");
    const body = await r.json();
    expect(body.error.json.message).toBe("This request batches more than 25 calls; send at most 25 calls per request.");
    expect(body.error.json.data).toMatchObject({ code: "BAD_REQUEST", domainCode: "BATCH_TOO_LARGE" });
  }
});

test("a download the client aborts half-way leaves nothing uncaught in the panel's log; the next one is whole", async ({
  browser,
}) => {
  const page = await newPage(browser);
  await login(page, customer.email, customer.password);
  const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
  const s = readState();
  const logFrom = fs.statSync(s.panelLog).size;
  for (let round = 0; round < 3; round++) {
    const got = await new Promise<number>((resolve, reject) => {
      const req = http.get(`${s.baseURL}${backupUrl}`, { headers: { cookie } }, (res) => {
        if (res.statusCode !== 200) return reject(new Error(`download answered ${res.statusCode}`));
        let n = 0;
        res.on("data", (chunk: Buffer) => {
          n += chunk.length;
          if (n > 256 * 1024) {
            req.destroy(); // the browser's tab closed mid-download
            resolve(n);
          }
        });
        res.on("end", () => reject(new Error(`the whole archive (${n} bytes) arrived before the abort`)));
      });
      req.on("error", () => {}); // our own destroy
    });
    expect(got).toBeLessThan(24 * 1024 * 1024);
  }
  // afterwards a download is whole (the aborted ones did not wedge the engine or the panel)
  const dl = await page.request.get(backupUrl);
  expect(dl.status()).toBe(200);
  const body = await dl.body();
  expect(body.length).toBeGreaterThan(24 * 1024 * 1024);
  expect(crypto.createHash("sha256").update(body).digest("hex")).toBe(dl.headers()["x-checksum-sha256"]);
  // the log of this test: nothing uncaught, no failed pipe, no stream error (give late events a moment)
  await new Promise((r) => setTimeout(r, 1000));
  const log = fs.readFileSync(s.panelLog, "utf8").slice(logFrom);
  expect(log).not.toMatch(/uncaught|unhandled|ERR_INVALID_STATE|failed to pipe|stream failed/i);
});

test("clean-up: the container, its backup and the pool go", async ({ browser }) => {
  const page = await newPage(browser);
  await login(page, ADMIN.email, ADMIN.password);
  await destroyContainer(page, containerUrl, hostname);
  await deleteBackupOf(page, hostname);
  await deletePool(page, poolName);
});
