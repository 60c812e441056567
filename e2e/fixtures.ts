import { test as base, expect, type Browser, type Page } from "@playwright/test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { E2E_OWNER } from "./support/constants";

export { expect };
export type Account = { email: string; password: string; storageState: string };

const AUTH_DIR = join("e2e", ".auth");

export async function signIn(page: Page, email: string, password: string) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

async function saveSession(browser: Browser, email: string, password: string, name: string): Promise<string> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, email, password);
  await expect(page.getByRole("button", { name: `Account menu for ${email}` })).toBeVisible();
  mkdirSync(AUTH_DIR, { recursive: true });
  const path = join(AUTH_DIR, `${name}.json`);
  await context.storageState({ path });
  await context.close();
  return path;
}

/** Invites an admin through the UI as the owner (or an ADMIN) and returns the invitation link, not yet accepted. */
export async function inviteWithoutAccepting(ownerPage: Page, email: string, role: string): Promise<string> {
  await ownerPage.goto("/settings/admins");
  await ownerPage.getByRole("button", { name: "Invite admin" }).click();
  const dialog = ownerPage.getByRole("dialog", { name: "Invite an admin" });
  await dialog.getByLabel("Email").fill(email);
  await dialog.getByLabel("Role").selectOption(role);
  await dialog.getByRole("button", { name: "Invite", exact: true }).click();
  const link = await dialog.getByLabel("Invitation link").inputValue();
  await dialog.getByRole("button", { name: "Done" }).click();
  return link;
}

/** Invites an admin through the UI as the owner, then accepts the invitation as them. */
export async function inviteThroughUi(ownerPage: Page, email: string, role: string, password: string): Promise<void> {
  const link = await inviteWithoutAccepting(ownerPage, email, role);
  const invitee = await ownerPage.context().browser()!.newContext();
  const page = await invitee.newPage();
  await page.goto(link);
  await expect(page.getByRole("heading", { name: "Accept your invitation" })).toBeVisible();
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByLabel("Confirm password").fill(password);
  await page.getByRole("button", { name: "Set password" }).click();
  await expect(page).toHaveURL(/\/login\?created=1/);
  await invitee.close();
}

/** The id of the admin signed in on this page, as next-auth's own session endpoint reports it. */
export async function signedInAdminId(page: Page): Promise<string> {
  const session = (await (await page.request.get("/api/auth/session")).json()) as { adminId?: string };
  if (!session.adminId) throw new Error("This page has no session.");
  return session.adminId;
}

type WorkerFixtures = { ownerAccount: Account; viewerAccount: Account };
type TestFixtures = { ownerPage: Page; viewerPage: Page };

/**
 * Accounts are made and signed in through the UI once per worker; tests then
 * start from the saved session (storageState) instead of signing in again.
 */
export const test = base.extend<TestFixtures, WorkerFixtures>({
  ownerAccount: [
    async ({ browser }, use, workerInfo) => {
      const storageState = await saveSession(browser, E2E_OWNER.email, E2E_OWNER.password, `owner-${workerInfo.workerIndex}`);
      await use({ ...E2E_OWNER, storageState });
    },
    { scope: "worker" },
  ],
  viewerAccount: [
    async ({ browser, ownerAccount }, use, workerInfo) => {
      const email = `viewer-${workerInfo.workerIndex}-${Date.now()}@warden.test`;
      const password = "viewer password 12345";
      const context = await browser.newContext({ storageState: ownerAccount.storageState });
      await inviteThroughUi(await context.newPage(), email, "VIEWER", password);
      await context.close();
      const storageState = await saveSession(browser, email, password, `viewer-${workerInfo.workerIndex}`);
      await use({ email, password, storageState });
    },
    { scope: "worker" },
  ],
  ownerPage: async ({ browser, ownerAccount }, use) => {
    const context = await browser.newContext({ storageState: ownerAccount.storageState });
    await use(await context.newPage());
    await context.close();
  },
  viewerPage: async ({ browser, viewerAccount }, use) => {
    const context = await browser.newContext({ storageState: viewerAccount.storageState });
    await use(await context.newPage());
    await context.close();
  },
});
