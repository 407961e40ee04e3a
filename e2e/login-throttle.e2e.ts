/**
 * Login throttling through the production server, as an attacker on the network meets it: the client
 * address is the socket's, so rotating X-Forwarded-For gains nothing; failing on purpose delays the
 * attacker's address for that account (the message says the real wait) and never locks the owner out.
 */
import { expect, test, type APIRequestContext } from "@playwright/test";
import { login } from "./helpers.js";
import { ADMIN } from "./stack.js";

async function tryLogin(request: APIRequestContext, email: string, password: string, xff: string) {
  const r = await request.post("/api/trpc/auth.login", {
    data: { json: { email, password } },
    headers: { "x-forwarded-for": xff },
  });
  const body = (await r.json()) as { error?: { json?: { message?: string } } };
  return { status: r.status(), message: body.error?.json?.message ?? "" };
}

test("rotating X-Forwarded-For does not reset the delay; the owner still logs in from its own browser", async ({
  request,
  page,
}) => {
  const victim = ADMIN.email;
  const seen: number[] = [];
  for (let i = 0; i < 4; i++) seen.push((await tryLogin(request, victim, `wrong-${i}`, `203.0.113.${i + 1}`)).status);
  expect(seen).toEqual([401, 401, 401, 401]); // 3 free failures, the 4th starts a 1 s delay
  const next = await tryLogin(request, victim, "wrong-again", "198.51.100.77");
  expect(next.status).toBe(429);
  expect(next.message).toMatch(
    /Too many failed logins for this account from your address: try again in \d+ seconds?\./,
  );
  // Not a lockout: once the announced wait is over the right password gets in (here the browser shares
  // the attacker's loopback address, so it waits too; from another address the admin would not).
  const wait = Number(/try again in (\d+) seconds?/.exec(next.message)![1]);
  await page.waitForTimeout(wait * 1000 + 300);
  await login(page, ADMIN.email, ADMIN.password);
  // the audit log names the socket's address, not the forged header
  await page.goto("/audit");
  await expect(page.getByText("auth.loginFailed").first()).toBeVisible();
  await expect(page.getByText("203.0.113.1")).toHaveCount(0);
});
