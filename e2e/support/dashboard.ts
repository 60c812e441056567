import { expect, type Page } from "@playwright/test";

// What the suites that run a Warden of their own do in its dashboard, said once.

/** Signs in with a local account and waits for the account menu. */
export async function signInToDashboard(page: Page, wardenUrl: string, account: { email: string; password: string }) {
  await page.goto(`${wardenUrl}/login`);
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("button", { name: `Account menu for ${account.email}` })).toBeVisible();
}

/**
 * Publishes the next version of Development. A draft that refuses calls
 * allowed in recent traffic asks first (e2e/impact.spec.ts covers that); the
 * suites that only need the version live confirm it.
 */
export async function publishDevelopment(page: Page, wardenUrl: string, version: number) {
  await page.goto(`${wardenUrl}/dev/config`);
  await page.getByRole("button", { name: `Publish version ${version} to Development` }).click();
  const live = page.getByRole("status").filter({ hasText: `Version ${version} is live in Development.` });
  const confirm = page.getByRole("dialog", { name: `Publish version ${version} anyway?` });
  await expect(live.or(confirm)).toBeVisible();
  if (await confirm.isVisible()) await confirm.getByRole("button", { name: "Publish and refuse these calls" }).click();
  await expect(live).toBeVisible();
}
