import { expect, signIn, test } from "./fixtures";
import { E2E_OWNER } from "./support/constants";

test.describe("password sign-in", () => {
  test("an owner signs in, lands on the dashboard, and signs out", async ({ page }) => {
    await page.goto("/dev/servers");
    await expect(page).toHaveURL(/\/login\?callbackUrl=%2Fdev%2Fservers/);
    await page.getByLabel("Email").fill(E2E_OWNER.email);
    await page.getByLabel("Password").fill(E2E_OWNER.password);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    // Back where they were going.
    await expect(page).toHaveURL(/\/dev\/servers$/);
    await expect(page.getByRole("heading", { name: "Servers & Tools" })).toBeVisible();

    await page.getByRole("button", { name: `Account menu for ${E2E_OWNER.email}` }).click();
    await page.getByRole("menuitem", { name: "Sign out", exact: true }).click();
    await expect(page).toHaveURL(/\/login/);
    await page.goto("/dev");
    await expect(page).toHaveURL(/\/login/);
  });

  test("a wrong password is refused with a clear message", async ({ page }) => {
    await signIn(page, E2E_OWNER.email, "not the password at all");
    await expect(page.getByRole("alert").filter({ hasText: "Wrong email or password." })).toBeVisible();
    await expect(page).toHaveURL(/\/login/);
  });

  test("repeated failures lock the account for a while, even with the right password", async ({ page }) => {
    const email = `locked-${Date.now()}@warden.test`;
    for (let attempt = 0; attempt < 5; attempt++) {
      await signIn(page, email, `wrong password ${attempt}`);
      await expect(page.getByRole("alert").filter({ hasText: "Wrong email or password." })).toBeVisible();
    }
    await signIn(page, email, "whatever it is");
    await expect(page.getByRole("alert").filter({ hasText: "Too many failed sign-in attempts" })).toBeVisible();
  });
});
