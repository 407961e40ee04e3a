/**
 * The walk through every page a role reaches, shared by the accessibility and phone specs: the role's paths
 * (its sidebar's links, the container page with each tab and an operation's page, a tenant's page) are collected
 * at desktop size, where the sidebar is shown, and each page is then checked at 1366x768 and at 390x844 (a phone
 * context, isMobile and hasTouch, with the same login): axe's serious and critical violations, a screenshot
 * (`test-results/screenshots/pages/<role>-<page>-<width>x<height>.png`) and, on the phone, no sideways scroll.
 */
import { AxeBuilder } from "@axe-core/playwright";
import { expect, type Browser, type Locator, type Page } from "@playwright/test";
import path from "node:path";
import { SHOTS, goto, tabUrl, type ContainerTab } from "./helpers.js";

export const DESKTOP = { width: 1366, height: 768 };
export const PHONE = { width: 390, height: 844 };
export const PAGE_SHOTS = path.join(SHOTS, "pages");
export const TABS: ContainerTab[] = [
  "Summary",
  "Console",
  "Resources",
  "Network",
  "Firewall",
  "Snapshots",
  "Backups",
  "Settings",
];

/** A page to check: its name in screenshots and failures, and its path. */
export type Stop = { name: string; path: string };

/** A stop named after its path: `/containers/new` → `containers-new`. */
export function stop(p: string): Stop {
  return { name: p.replace(/^\//, "").replace(/[/?=]+/g, "-") || "home", path: p };
}

/** The container page with each tab: `container-network`, …. */
export function tabStops(url: string): Stop[] {
  return TABS.map((t) => ({ name: `container-${t.toLowerCase()}`, path: tabUrl(url, t) }));
}

/** A page for the same login as `page` (its cookies) on a phone: 390x844, isMobile, hasTouch. */
export async function onPhone(browser: Browser, page: Page): Promise<Page> {
  const storageState = await page.context().storageState();
  const ctx = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, storageState });
  return ctx.newPage();
}

/** Waits until the page's data is here: a heading, no skeleton, no "Loading…". */
export async function settle(page: Page): Promise<void> {
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  await expect(page.getByTestId("skeleton")).toHaveCount(0);
  await expect(page.getByText(/^Loading.*…$/)).toHaveCount(0);
}

/** axe's serious and critical WCAG 2 A/AA violations on the page, one line each (rule, help, where). */
export async function violations(page: Page, name: string): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa"]).analyze();
  // the moderate and minor ones do not fail the test; they are in its output, to be fixed next
  for (const v of result.violations.filter((x) => x.impact !== "serious" && x.impact !== "critical"))
    console.log(`${name}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes[0]?.target.join(" ") ?? ""}`);
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => {
      const where = v.nodes
        .slice(0, 3)
        .map((n) => n.target.join(" "))
        .join(" | ");
      return `${name}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes.length} element(s): ${where}`;
    });
}

/** The size of the page's viewport as `1366x768`. */
export function sizeOf(page: Page): string {
  const v = page.viewportSize() ?? DESKTOP;
  return `${v.width}x${v.height}`;
}

/** A full-page screenshot `<role>-<name>-<size>.png` in PAGE_SHOTS. */
export async function shoot(page: Page, role: string, name: string): Promise<string> {
  const file = path.join(PAGE_SHOTS, `${role}-${name}-${sizeOf(page)}.png`.replace(/\s+/g, "-"));
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** On a phone-sized page: a line naming the page if the document is wider than the viewport. */
export async function sideways(page: Page, what: string): Promise<string[]> {
  const width = page.viewportSize()?.width ?? DESKTOP.width;
  if (width > PHONE.width) return [];
  const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
  return scroll <= width ? [] : [`${what}: the page is ${scroll} px wide on a ${width} px screen (sideways scroll)`];
}

/** Each stop once settled: axe, a screenshot and, on a phone, the width. Returns what was found and the shots. */
export async function checkStops(page: Page, role: string, stops: Stop[]): Promise<{ found: string[]; shots: number }> {
  const found: string[] = [];
  for (const s of stops) {
    await goto(page, s.path);
    await settle(page);
    const what = `${role} ${s.name} (${s.path}) at ${sizeOf(page)}`;
    found.push(...(await violations(page, what)), ...(await sideways(page, what)));
    await shoot(page, role, s.name);
  }
  return { found, shots: stops.length };
}

/** The sidebar's links as stops, in their order; `must` are paths the role has to find there. */
export async function sidebarStops(page: Page, must: string[]): Promise<Stop[]> {
  const links = page.getByRole("navigation", { name: "Main" }).getByRole("link");
  await expect(links.first()).toBeVisible();
  const hrefs = await links.evaluateAll((as) => as.map((a) => new URL((a as HTMLAnchorElement).href).pathname));
  for (const m of must) expect(hrefs).toContain(m);
  return hrefs.map(stop);
}

/** The container page with each tab, and the page of the newest operation (from the Operations page). */
export async function containerStops(page: Page, url: string): Promise<Stop[]> {
  await goto(page, "/operations");
  const first = page.locator('a[href^="/operations/"]').first();
  await expect(first).toBeVisible();
  const opPath = (await first.getAttribute("href")) ?? "";
  expect(opPath).toMatch(/^\/operations\/./);
  return [...tabStops(url), { name: "operation", path: opPath }];
}

/** The page of the tenant named `name`, from the link on `list` (the Tenants or Customers page). */
export async function tenantStop(page: Page, list: string, name: string): Promise<Stop> {
  await goto(page, list);
  const href = await page.getByRole("link", { name, exact: true }).getAttribute("href");
  expect(href).toMatch(/^\/tenants\/./);
  return { name: "tenant", path: href! };
}

/** Whether an expectation (waited for as expect does) came true; a failure is reported by the caller. */
async function holds(p: Promise<unknown>): Promise<boolean> {
  return p.then(
    () => true,
    () => false,
  );
}

const FOCUSABLE =
  "a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea, [tabindex]";

/**
 * A modal dialog that `opener` just opened: the focus is in it, it fits the screen, axe finds nothing serious with
 * it open (and a screenshot `<role>-<name>-<size>.png`), Tab and Shift+Tab (once more than it has stops) keep the
 * focus in it, Escape closes it and gives the focus back to `opener`. Returns what failed, one line each.
 */
export async function checkDialog(page: Page, role: string, name: string, dialog: Locator, opener: Locator) {
  const what = `${role} ${name} at ${sizeOf(page)}`;
  const found: string[] = [];
  await expect(dialog).toBeVisible();
  const inside = () => dialog.evaluate((d) => d.contains(document.activeElement));
  if (!(await holds(expect.poll(inside).toBe(true))))
    found.push(`${what}: the focus did not move into the dialog when it opened`);
  const box = await dialog.boundingBox();
  const width = page.viewportSize()?.width ?? DESKTOP.width;
  if (!box || box.x < 0 || box.x + box.width > width)
    found.push(`${what}: the dialog is not within the ${width} px screen (${JSON.stringify(box)})`);
  found.push(...(await violations(page, `${what} (open)`)));
  await shoot(page, role, name);
  const stops = await dialog.evaluate(
    (d, sel) => [...d.querySelectorAll<HTMLElement>(sel)].filter((e) => e.tabIndex >= 0).length,
    FOCUSABLE,
  );
  for (const key of ["Tab", "Shift+Tab"]) {
    for (let i = 1; i <= stops + 1; i++) {
      await page.keyboard.press(key);
      if (await inside()) continue;
      found.push(`${what}: ${key} pressed ${i} time(s) moved the focus out of the dialog`);
      await dialog.locator(FOCUSABLE).first().focus();
      break;
    }
  }
  await page.keyboard.press("Escape");
  if (!(await holds(expect(dialog).toBeHidden()))) {
    found.push(`${what}: Escape did not close the dialog`);
    return found;
  }
  if (!(await holds(expect(opener).toBeFocused())))
    found.push(`${what}: the focus did not go back to the button that opened the dialog`);
  return found;
}

/**
 * An inline confirmation (InlineConfirm) in `row` that `opener` opens with the keyboard: it is a group named as
 * the action, the focus moves to its Cancel button, axe finds nothing serious with it open, it is within the
 * screen, and Escape cancels it with the focus back on `opener`. Returns what failed, one line each.
 */
export async function checkInlineConfirm(page: Page, role: string, name: string, row: Locator, opener: Locator) {
  const what = `${role} ${name} at ${sizeOf(page)}`;
  const found: string[] = [];
  const label = (await opener.getAttribute("aria-label")) ?? (await opener.innerText());
  await opener.focus();
  await page.keyboard.press("Enter");
  const cancel = row.getByRole("button", { name: "Cancel", exact: true });
  await expect(cancel).toBeVisible();
  if ((await row.getByRole("group", { name: label, exact: true }).count()) !== 1)
    found.push(`${what}: the confirmation is not a group named "${label}"`);
  if (!(await holds(expect(cancel).toBeFocused())))
    found.push(`${what}: the focus did not move to the confirmation's Cancel button`);
  const box = await cancel.boundingBox();
  const width = page.viewportSize()?.width ?? DESKTOP.width;
  if (!box || box.x < 0 || box.x + box.width > width)
    found.push(`${what}: the confirmation is not within the ${width} px screen (${JSON.stringify(box)})`);
  found.push(...(await violations(page, `${what} (open)`)));
  await shoot(page, role, name);
  await page.keyboard.press("Escape");
  if (!(await holds(expect(cancel).toBeHidden()))) {
    found.push(`${what}: Escape did not cancel the confirmation`);
    await cancel.click();
  }
  await expect(opener).toBeVisible();
  if (!(await holds(expect(opener).toBeFocused())))
    found.push(`${what}: cancelling did not give the focus back to the button that opened the confirmation`);
  return found;
}
