import { expect, type Page } from "@playwright/test";
import { OIDC_TEST_ISSUER } from "./oidc-provider";

/** Signs in through the test identity provider's own login screen (served by oidc-provider). */
export async function signInWithSso(page: Page, login: string) {
  await page.goto("/login");
  await page.getByRole("button", { name: "Continue with Test SSO" }).click();
  await expect(page).toHaveURL(new RegExp(`${OIDC_TEST_ISSUER}/interaction/`));
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill("any password works at the test provider");
  await page.locator('button[type="submit"]').click();
}
