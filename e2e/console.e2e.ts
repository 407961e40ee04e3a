/**
 * The container console in the browser, in Chromium against the real stack (engine, server/http/main.ts with
 * its WebSocket, the production build): a customer starts its container, opens the console, runs a
 * command and sees its output, and `a_b_c` with its underscores drawn (pixels under each "_" in a screenshot
 * of the row); sets a shell variable, reloads the page and finds the same shell; a second tab watches the
 * same session; the shell's exit offers a new session. The WebSocket refuses an anonymous client, another
 * tenant's customer and a cross-site page. The admin sees one audit entry per new session, destroys the
 * container and deletes the pool.
 */
import { expect, test, type Browser, type Page } from "@playwright/test";
import WebSocket from "ws";
import {
  createContainer,
  createCustomer,
  createPlan,
  createPool,
  deletePool,
  destroyContainer,
  login,
  shot,
  tabUrl,
  uniq,
  waitForOperation,
} from "./helpers.js";
import { ADMIN, readState } from "./stack.js";

test.describe.configure({ mode: "serial" });

const customer = {
  name: uniq("ConCustomer"),
  email: `${uniq("concust")}@e2e.test`,
  password: "console-customer-password-1",
};
const stranger = {
  name: uniq("ConStranger"),
  email: `${uniq("constr")}@e2e.test`,
  password: "console-stranger-password-1",
};
const planName = uniq("conplan");
const poolName = uniq("conpool");
const POOL = { cidr: "198.18.203.0/24", first: "198.18.203.10", last: "198.18.203.19" };
const hostname = `${uniq("con")}.e2e.test`;
const kept = `kept-${Math.random().toString(36).slice(2, 10)}`;
let containerUrl = "";
let containerId = "";

async function newPage(browser: Browser): Promise<Page> {
  return (await browser.newContext()).newPage();
}

/** The terminal's screen as text (xterm's DOM renderer: one element per row). */
async function screen(page: Page): Promise<string> {
  return (await page.getByTestId("console").locator(".xterm-rows").innerText()).replace(/\u00a0/g, " ");
}

/** A line of the screen that is exactly `text` (so the typed command line does not count). */
function line(text: string): RegExp {
  return new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*$`, "m");
}

/**
 * For the terminal row whose text is `text`: how many pixels in the lower 40 % of the row, under each character,
 * are far from the terminal's background (#0f172a) in a screenshot of the row. An underscore clipped away by
 * the row's height leaves 0 under its cell.
 */
async function litUnderChars(page: Page, text: string): Promise<number[]> {
  const box = await page.getByTestId("console").evaluate((card, want) => {
    const row = [...card.querySelectorAll(".xterm-rows > div")].find(
      (d) => (d.textContent ?? "").replace(/\u00a0/g, " ").trim() === want,
    );
    if (!row) throw new Error(`no terminal row reads ${want}`);
    const texts: Text[] = [];
    const walk = document.createTreeWalker(row, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) texts.push(n as Text);
    const char = (i: number) => {
      for (const t of texts) {
        if (i < t.length) {
          const r = document.createRange();
          r.setStart(t, i);
          r.setEnd(t, i + 1);
          const b = r.getBoundingClientRect();
          return { x: b.x, width: b.width };
        }
        i -= t.length;
      }
      throw new Error(`the row has no character ${i}`);
    };
    const r = row.getBoundingClientRect();
    return { row: { x: r.x, y: r.y, width: r.width, height: r.height }, chars: [...want].map((_, i) => char(i)) };
  }, text);
  const png = await page.screenshot({ clip: box.row });
  return page.evaluate(
    async ({ b64, box }) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const canvas = document.createElement("canvas");
      canvas.width = img.width;
      canvas.height = img.height;
      const g = canvas.getContext("2d")!;
      g.drawImage(img, 0, 0);
      const px = g.getImageData(0, 0, img.width, img.height).data;
      const scale = img.width / box.row.width;
      return box.chars.map((c) => {
        let lit = 0;
        const x0 = Math.round((c.x - box.row.x) * scale);
        const x1 = Math.round((c.x - box.row.x + c.width) * scale);
        for (let y = Math.floor(img.height * 0.6); y < img.height; y++)
          for (let x = x0; x < x1; x++) {
            const i = (y * img.width + x) * 4;
            if (Math.abs(px[i]! - 15) + Math.abs(px[i + 1]! - 23) + Math.abs(px[i + 2]! - 42) > 90) lit++;
          }
        return lit;
      });
    },
    { b64: png.toString("base64"), box },
  );
}

async function typeLine(page: Page, text: string): Promise<void> {
  await page.getByTestId("console-terminal").click();
  await page.keyboard.type(text);
  await page.keyboard.press("Enter");
}

/** Opens the console WebSocket from Node; resolves with the HTTP refusal status or the first message. */
function probe(query: string, headers: Record<string, string>): Promise<{ status?: number; first?: string }> {
  const base = readState().baseURL.replace(/^http/, "ws");
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base}/api/console?${query}`, { headers });
    ws.on("unexpected-response", (_req, res) => {
      resolve({ status: res.statusCode });
      ws.terminate();
    });
    ws.on("message", (data, binary) => {
      if (!binary) {
        resolve({ first: data.toString() });
        ws.close();
      }
    });
    ws.on("error", (e) => reject(e));
    setTimeout(() => reject(new Error("no answer from the console WebSocket")), 15_000);
  });
}

async function sessionCookie(browser: Browser, who: { email: string; password: string }): Promise<string> {
  const page = await newPage(browser);
  await login(page, who.email, who.password);
  const c = (await page.context().cookies()).find((x) => x.name === "ovz_session");
  expect(c).toBeTruthy();
  return `ovz_session=${c!.value}`;
}

test("the admin makes a plan, a pool, two customers and a container for one of them", async ({ browser }) => {
  const page = await newPage(browser);
  await login(page, ADMIN.email, ADMIN.password);
  await createPlan(page, planName);
  await createPool(page, poolName, POOL, 10);
  await createCustomer(page, customer);
  await createCustomer(page, stranger);

  ({ url: containerUrl } = await createContainer(page, { customer: customer.name, plan: planName, hostname }));
  containerId = containerUrl.split("/").pop()!;
});

test("the customer starts the container, runs a command in the console, reloads and finds the same shell; a second tab watches it", async ({
  browser,
}) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await login(page, customer.email, customer.password);
  await page.goto(tabUrl(containerUrl, "Console"));
  await expect(page.getByTestId("console-hint")).toBeVisible(); // stopped: no terminal yet
  await page.getByRole("button", { name: "Start", exact: true }).click();
  await waitForOperation(page, "start");

  // a page view opens no shell: the console connects when asked
  const console1 = page.getByRole("region", { name: "Console" });
  await expect(console1.getByTestId("console-state")).toHaveCount(0);
  await console1.getByRole("button", { name: "Open console" }).click();
  await expect(console1.getByTestId("console-state")).toHaveText("connected");
  await expect.poll(() => screen(page)).toMatch(/#\s*$/m); // the shell's prompt
  await typeLine(page, "echo $((6*7))");
  await expect.poll(() => screen(page)).toMatch(line("42"));
  // underscores are drawn: the row that reads a_b_c has the text's colour under each "_"
  await typeLine(page, "echo a_b_c");
  await expect.poll(() => screen(page)).toMatch(line("a_b_c"));
  const lit = await litUnderChars(page, "a_b_c");
  expect(lit[1], `pixels lit under "_" in a_b_c: ${lit.join(",")}`).toBeGreaterThan(2);
  expect(lit[3], `pixels lit under "_" in a_b_c: ${lit.join(",")}`).toBeGreaterThan(2);
  await typeLine(page, `X=${kept}; echo set-$X`);
  await expect.poll(() => screen(page)).toMatch(line(`set-${kept}`));
  await shot(page, "console-customer");

  const t0 = Date.now();
  await page.reload();
  await expect(page.getByTestId("console-state")).toHaveText("connected");
  // the recent screen is replayed, and the shell is the same one: it still has X
  await expect.poll(() => screen(page)).toMatch(line(`set-${kept}`));
  console.log(`console re-attached ${Date.now() - t0} ms after the reload started`);
  await typeLine(page, "echo $X");
  await expect.poll(() => screen(page)).toMatch(line(kept));
  await shot(page, "console-after-reload");

  // a second tab of the same browser attaches to the same session: it sees what the first one types
  const second = await context.newPage();
  await second.goto(tabUrl(containerUrl, "Console"));
  await expect(second.getByTestId("console-state")).toHaveText("connected");
  await expect.poll(() => screen(second)).toMatch(line(kept));
  await page.bringToFront();
  await typeLine(page, "echo shared-$((20+1))");
  await expect.poll(() => screen(second)).toMatch(line("shared-21"));
  await shot(second, "console-second-viewer");

  // the shell exits: both tabs say so and offer a new session, which is a new shell (no X)
  await typeLine(page, "exit");
  await expect(page.getByTestId("console-state")).toHaveText("session ended — start a new one");
  await expect(second.getByTestId("console-state")).toHaveText("session ended — start a new one");
  await page.getByRole("button", { name: "Start a new session" }).click();
  await expect(page.getByTestId("console-state")).toHaveText("connected");
  await expect.poll(() => screen(page)).toMatch(/#\s*$/m);
  await typeLine(page, "echo x=[$X]");
  await expect.poll(() => screen(page)).toMatch(line("x=[]"));
  await context.close();
});

test("the console WebSocket refuses an anonymous client, another tenant's customer and a cross-site page", async ({
  browser,
}) => {
  const origin = readState().baseURL;
  const q = `containerId=${containerId}&cols=80&rows=24`;
  expect(await probe(q, { Origin: origin })).toEqual({ status: 401 });
  const strangerCookie = await sessionCookie(browser, stranger);
  expect(await probe(q, { Origin: origin, Cookie: strangerCookie })).toEqual({ status: 404 });
  const ownerCookie = await sessionCookie(browser, customer);
  expect(await probe(q, { Origin: "http://evil.example", Cookie: ownerCookie })).toEqual({ status: 403 });
  expect(await probe(q, { Cookie: ownerCookie })).toEqual({ status: 403 }); // no Origin at all
  // the owner, properly: a session of its own container; a session id that does not exist is refused
  const ok = await probe(q, { Origin: origin, Cookie: ownerCookie });
  expect(JSON.parse(ok.first!)).toMatchObject({ type: "session", attached: false });
  const gone = await probe(`${q}&session=0123456789abcdef`, { Origin: origin, Cookie: ownerCookie });
  expect(JSON.parse(gone.first!)).toMatchObject({ type: "error", code: "NOT_FOUND" });
});

test("the admin sees the console sessions in the audit log, destroys the container and deletes the pool", async ({
  browser,
}) => {
  const page = await newPage(browser);
  await login(page, ADMIN.email, ADMIN.password);
  await page.goto("/audit");
  await page.getByLabel("Search by action or user").fill("container.console");
  const rows = page.getByRole("table", { name: "Audit log" }).getByRole("row").filter({ hasText: hostname });
  // new sessions only: the first console, the "new session" after exit and the probe's; not the re-attaches,
  // and none from the admin's page of the container, still open since the first test (no console opened there)
  await expect(rows).toHaveCount(3);
  await expect(rows.first()).toContainText(customer.email);

  await destroyContainer(page, containerUrl, hostname);
  await deletePool(page, poolName);
});
