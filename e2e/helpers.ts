/** Page-level helpers for the e2e specs (lxd-ui style): log in, wait for an operation, screenshots. */
import { expect, type Page } from "@playwright/test";
import fs from "node:fs";
import path from "node:path";

export const SHOTS = path.resolve("test-results/screenshots");

export async function login(page: Page, email: string, password: string): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/containers/);
}

/**
 * Waits until the operation panel on the page (for an operation of `type`, when given) shows a final
 * status; fails with the panel's log if the operation failed.
 */
export async function waitForOperation(page: Page, type?: string): Promise<void> {
  const panel = type ? page.locator(`[data-testid="operation"][data-operation-type="${type}"]`) : page.getByTestId("operation");
  await expect(panel).toBeVisible();
  await expect(panel.getByTestId("operation-status")).toHaveText(/succeeded|failed/, { timeout: 120_000 });
  const status = await panel.getByTestId("operation-status").innerText();
  if (!/succeeded/.test(status)) throw new Error(`operation failed:\n${await panel.innerText()}`);
}

export async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

export function uniq(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
}
