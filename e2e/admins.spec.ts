import { expect, inviteThroughUi, signIn, test } from "./fixtures";
import { E2E_OWNER } from "./support/constants";

test.describe("Settings → Admins", () => {
  test("an owner invites an admin, changes their role, disables and re-enables them", async ({ ownerPage, browser }) => {
    const email = `managed-${Date.now()}@warden.test`;
    const password = "managed admin password";
    await inviteThroughUi(ownerPage, email, "AUDITOR", password);

    await ownerPage.goto(`/settings/admins?q=${encodeURIComponent(email)}`);
    const row = ownerPage.getByRole("row", { name: new RegExp(email) });
    await row.getByLabel(`Role of ${email}`).selectOption("ADMIN");
    await expect(ownerPage.getByRole("status").filter({ hasText: `${email} is now ADMIN.` })).toBeVisible();
    await expect(row.getByLabel(`Role of ${email}`)).toHaveValue("ADMIN");

    // Destructive: asks first, and Cancel changes nothing.
    await row.getByRole("button", { name: "Disable" }).click();
    const confirm = ownerPage.getByRole("alertdialog", { name: `Disable ${email}?` });
    await confirm.getByRole("button", { name: "Cancel" }).click();
    await expect(row).toContainText("active");
    await row.getByRole("button", { name: "Disable" }).click();
    await confirm.getByRole("button", { name: "Disable admin" }).click();
    await expect(row).toContainText("disabled");

    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, email, password);
    await expect(page.getByRole("alert").filter({ hasText: "This account is disabled" })).toBeVisible();

    await row.getByRole("button", { name: "Enable" }).click();
    await expect(row).toContainText("active");
    await signIn(page, email, password);
    await expect(page.getByRole("button", { name: `Account menu for ${email}` })).toBeVisible();
    await context.close();
  });

  test("the last owner cannot demote themselves", async ({ ownerPage }) => {
    await ownerPage.goto(`/settings/admins?q=${encodeURIComponent(E2E_OWNER.email)}`);
    await ownerPage.getByLabel(`Role of ${E2E_OWNER.email}`).selectOption("ADMIN");
    await expect(ownerPage.getByRole("alert").filter({ hasText: "You cannot demote the last owner" })).toBeVisible();
    await expect(ownerPage.getByLabel(`Role of ${E2E_OWNER.email}`)).toHaveValue("OWNER");
  });

  test("search, filters and paging live in the URL", async ({ ownerPage }) => {
    await ownerPage.goto("/settings/admins");
    await ownerPage.getByLabel("Role", { exact: true }).selectOption("OWNER");
    await expect(ownerPage).toHaveURL(/role=OWNER/);
    await expect(ownerPage.getByRole("row", { name: new RegExp(E2E_OWNER.email) })).toBeVisible();
    await ownerPage.getByLabel("Search by email or name").fill("no-such-admin-anywhere");
    await expect(ownerPage).toHaveURL(/q=no-such-admin-anywhere/);
    await expect(ownerPage.getByText("No admin matches these filters")).toBeVisible();
  });

  test("every admin change appears in the recent activity", async ({ ownerPage }) => {
    const email = `audited-${Date.now()}@warden.test`;
    await inviteThroughUi(ownerPage, email, "VIEWER", "audited admin password");
    await ownerPage.goto("/dev");
    await expect(ownerPage.getByRole("region", { name: "Recent admin activity" })).toContainText("admin.invitation_accepted");
  });
});
