/**
 * Forgot password in Chromium against the real stack, with a real SMTP server in this test (smtp-server on
 * 127.0.0.1, a random port): the admin enters it on the Notifications page; a customer asks for a reset link from
 * the login page, the mail arrives, its link sets a new password once, and the new password logs in. The
 * Notifications page fits a 390 px phone. Defaults for customers: the admin's platform default and its default for
 * one new customer show in that customer's form as its provider's; the customer's own choice wins, and "Use the
 * defaults" goes back to them.
 */
import { expect, test } from "@playwright/test";
import { startSmtp, until } from "../server/test/helpers/notify.js";
import { createCustomer, goto, login, uniq } from "./helpers.js";
import { ADMIN } from "./stack.js";

test("forgot password: the mailed link sets a new password once", async ({ page, browser, baseURL }) => {
  const smtp = await startSmtp();
  try {
    await login(page, ADMIN.email, ADMIN.password);
    await goto(page, "/notifications");
    const form = page.getByRole("form", { name: "SMTP settings" });
    await form.getByLabel("SMTP host").fill("127.0.0.1");
    await form.getByLabel("Port", { exact: true }).fill(String(smtp.port));
    await form.getByLabel("TLS").selectOption("none");
    await form.getByLabel("From address").fill("panel@e2e.test");
    await form.getByLabel("Panel address for links").fill(baseURL!);
    await form.getByRole("button", { name: "Save SMTP settings" }).click();
    await expect(page.getByText("SMTP settings saved.")).toBeVisible();

    const name = uniq("reset");
    const email = `${name}@e2e.test`;
    await createCustomer(page, { name, email, password: "first-password-1" });

    const ctx = await browser.newContext();
    const anon = await ctx.newPage();
    await goto(anon, "/login");
    await anon.getByRole("link", { name: "Forgot password?" }).click();
    await expect(anon).toHaveURL(/\/reset$/);
    await anon.getByLabel("Email").fill(email);
    await anon.getByRole("button", { name: "Send reset link" }).click();
    await expect(anon.getByRole("status")).toContainText("a mail with a reset link is on its way");

    await until(() => smtp.mails.some((m) => m.to.includes(email)), "the reset mail", 60_000);
    const mail = smtp.mails.find((m) => m.to.includes(email))!;
    expect(mail.subject).toBe("Reset your panel password");
    const link = /(http:\/\/\S+\/reset\/[a-z2-7]+)/.exec(mail.raw.replace(/=\r?\n/g, ""))?.[1];
    expect(link).toBeTruthy();

    await anon.goto(link!);
    await anon.getByRole("textbox", { name: "New password", exact: true }).fill("second-password-2");
    await anon.getByLabel("New password again").fill("second-password-2");
    await anon.getByRole("button", { name: "Set password" }).click();
    await expect(anon.getByRole("status")).toContainText("Your password was changed");

    // the link works once
    await anon.goto(link!);
    await anon.getByRole("textbox", { name: "New password", exact: true }).fill("third-password-3");
    await anon.getByLabel("New password again").fill("third-password-3");
    await anon.getByRole("button", { name: "Set password" }).click();
    await expect(anon.getByRole("form", { name: "New password" }).getByRole("alert")).toContainText(
      "This reset link is not valid",
    );

    await login(anon, email, "second-password-2");
    await ctx.close();

    // the page fits a phone: nothing wider than the screen
    await page.setViewportSize({ width: 390, height: 844 });
    await goto(page, "/notifications");
    await expect(page.getByRole("heading", { name: "Webhooks" })).toBeVisible();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  } finally {
    // email off again, so later stories do not mail a closed port
    await page.request.post("/api/trpc/notifications.setSmtp", { data: { json: { settings: null } } });
    await smtp.close();
  }
});

test("defaults for customers: the admin's defaults show in a customer's form, the customer's choice wins", async ({
  page,
  browser,
}) => {
  await login(page, ADMIN.email, ADMIN.password);
  try {
    await goto(page, "/notifications");
    const defaults = page.getByRole("form", { name: "Defaults for your customers" });
    await expect(defaults.getByLabel("node.unreachable by email")).toHaveCount(0); // never a default
    const box = defaults.getByLabel("backup.done by email");
    await expect(box).not.toBeChecked();
    await expect(box).toHaveAccessibleDescription("default");
    await box.check();
    await defaults.getByRole("button", { name: "Save defaults" }).click();
    await expect(defaults.getByRole("status")).toHaveText("Saved.");
    await expect(box).toHaveAccessibleDescription("");

    const name = uniq("defaults");
    const email = `${name}@e2e.test`;
    await createCustomer(page, { name, email, password: "customer-password-1" });
    // and a default for this customer only
    await goto(page, "/notifications");
    await page.getByLabel("Defaults for", { exact: true }).selectOption({ label: name });
    const oom = defaults.getByLabel("container.oom by email");
    await expect(oom).toBeChecked();
    await expect(oom).toHaveAccessibleDescription("default");
    await expect(defaults.getByLabel("backup.done by email")).toHaveAccessibleDescription("default from above");
    await oom.uncheck();
    await defaults.getByRole("button", { name: "Save defaults" }).click();
    await expect(defaults.getByRole("status")).toHaveText("Saved.");
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const cust = await ctx.newPage();
    await login(cust, email, "customer-password-1");
    await goto(cust, "/notifications");
    await expect(cust.getByRole("form", { name: "Defaults for your customers" })).toHaveCount(0);
    const mine = cust.getByRole("form", { name: "Notification preferences" });
    const inherited = mine.getByLabel("backup.done by email");
    await expect(inherited).toBeChecked();
    await expect(inherited).toHaveAccessibleDescription("default from your provider");
    await expect(mine.getByLabel("container.oom by email")).not.toBeChecked();
    await expect(mine.getByLabel("container.oom by email")).toHaveAccessibleDescription("default from your provider");
    expect(await cust.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    // the customer's own choice wins over the default, and stays after a reload
    await inherited.uncheck();
    await mine.getByRole("button", { name: "Save preferences" }).click();
    await expect(mine.getByRole("status")).toHaveText("Saved.");
    await cust.reload();
    await expect(mine.getByLabel("backup.done by email")).not.toBeChecked();
    await expect(mine.getByLabel("backup.done by email")).toHaveAccessibleDescription("");
    // "Use the defaults" goes back to the provider's
    await mine.getByRole("button", { name: "Use the defaults" }).click();
    await mine.getByRole("button", { name: "Save preferences" }).click();
    await expect(mine.getByRole("status")).toHaveText("Saved.");
    await expect(mine.getByLabel("backup.done by email")).toBeChecked();
    await ctx.close();
  } finally {
    // the platform's defaults back to none, for later stories
    await page.request.post("/api/trpc/notifications.setDefaults", { data: { json: {} } });
  }
});
