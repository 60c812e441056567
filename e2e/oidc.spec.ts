import { expect, inviteThroughUi, test } from "./fixtures";
import { signInWithSso } from "./support/sso";

// A real OpenID Connect provider (oidc-provider) runs beside Warden for these tests.
test.describe("single sign-on", () => {
  test("an invited admin signs in with SSO and gets the invited role", async ({ ownerPage, browser }) => {
    const email = `sso-admin-${Date.now()}@warden.test`;
    await inviteThroughUi(ownerPage, email, "ADMIN", "an unused password 123");

    const context = await browser.newContext();
    const page = await context.newPage();
    await signInWithSso(page, email);
    await expect(page.getByRole("button", { name: `Account menu for ${email}` })).toBeVisible();
    await page.getByRole("button", { name: `Account menu for ${email}` }).click();
    await expect(page.getByRole("menu")).toContainText("ADMIN");
    await context.close();

    // The owner sees that the admin has now signed in with SSO.
    await ownerPage.goto(`/settings/admins?q=${encodeURIComponent(email)}`);
    await expect(ownerPage.getByRole("row", { name: new RegExp(email) })).toContainText("active");
  });

  test("someone who was never invited is turned away with a clear message", async ({ page }) => {
    await signInWithSso(page, `stranger-${Date.now()}@elsewhere.test`);
    await expect(page).toHaveURL(/\/login/);
    await expect(page.getByRole("alert").filter({ hasText: "has not been invited" })).toBeVisible();
  });

  test("an unverified email never matches an invitation", async ({ ownerPage, page }) => {
    const email = `unverified-target-${Date.now()}@warden.test`;
    await inviteThroughUi(ownerPage, email, "ADMIN", "an unused password 123");
    await signInWithSso(page, `unverified+${email}`);
    await expect(page.getByRole("alert").filter({ hasText: "has not been invited" })).toBeVisible();
  });

  test("a user from an allowed email domain joins as VIEWER and cannot edit", async ({ page }) => {
    const email = `reader-${Date.now()}@viewers.test`;
    await signInWithSso(page, email);
    await expect(page.getByRole("button", { name: `Account menu for ${email}` })).toBeVisible();
    await page.goto("/settings/admins");
    await expect(page.getByRole("heading", { name: "Admins" })).toBeVisible();
    await expect(page.getByRole("button", { name: "Invite admin" })).toHaveCount(0);
  });
});
