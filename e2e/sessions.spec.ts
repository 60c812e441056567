import type { Browser, BrowserContext, Page, PlaywrightWorkerArgs } from "@playwright/test";
import { expect, inviteThroughUi, inviteWithoutAccepting, signedInAdminId, signIn, test } from "./fixtures";
import { SAME_ORIGIN } from "./support/constants";

const SESSION_COOKIE = "next-auth.session-token";
const PASSWORD = "session test password";

type Signed = { context: BrowserContext; page: Page };

/** A browser of its own, signed in through the sign-in page. */
async function signedInBrowser(browser: Browser, email: string, password = PASSWORD): Promise<Signed> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, email, password);
  await expect(page.getByRole("button", { name: `Account menu for ${email}` })).toBeVisible();
  return { context, page };
}

async function sessionCookieOf(context: BrowserContext): Promise<string> {
  const cookie = (await context.cookies()).find((candidate) => candidate.name === SESSION_COOKIE);
  if (!cookie) throw new Error("No session cookie in this browser.");
  return cookie.value;
}

/**
 * Replays a session cookie with plain HTTP requests, outside any browser: a
 * page and an API route, as someone who copied the cookie would. Returns
 * whether the server still treats it as signed in.
 */
async function cookieStillWorks(playwright: PlaywrightWorkerArgs["playwright"], baseURL: string, cookie: string): Promise<boolean> {
  const request = await playwright.request.newContext({ baseURL, extraHTTPHeaders: { cookie: `${SESSION_COOKIE}=${cookie}` } });
  try {
    const page = await request.get("/settings/admins", { maxRedirects: 0 });
    const api = await request.get("/api/policy/dev");
    const pageSignedIn = page.status() === 200;
    const apiSignedIn = api.status() === 200;
    if (!apiSignedIn) expect(api.status()).toBe(401);
    // Both must agree: one check for every page, action and route.
    expect(pageSignedIn, `the page answered ${page.status()} while the API answered ${api.status()}`).toBe(apiSignedIn);
    if (!pageSignedIn) expect(page.headers()["location"] ?? "").toContain("/login");
    return pageSignedIn;
  } finally {
    await request.dispose();
  }
}

async function openAccountMenu(page: Page, email: string) {
  await page.getByRole("button", { name: `Account menu for ${email}` }).click();
}

/** A new admin with a password, invited and accepted through the UI. */
async function newAdmin(ownerPage: Page, prefix: string, role = "VIEWER"): Promise<string> {
  const email = `${prefix}-${Date.now()}@warden.test`;
  await inviteThroughUi(ownerPage, email, role, PASSWORD);
  return email;
}

test.describe("admin sessions end when they should", () => {
  test("signing out ends the session: its cookie, replayed afterwards over plain HTTP, is treated as signed out", async ({ ownerPage, browser, playwright, baseURL }) => {
    const email = await newAdmin(ownerPage, "signout");
    const laptop = await signedInBrowser(browser, email);
    const phone = await signedInBrowser(browser, email);
    const cookie = await sessionCookieOf(laptop.context);
    expect(await cookieStillWorks(playwright, baseURL!, cookie)).toBe(true);

    await openAccountMenu(laptop.page, email);
    await laptop.page.getByRole("menuitem", { name: "Sign out", exact: true }).click();
    await expect(laptop.page).toHaveURL(/\/login/);

    expect(await cookieStillWorks(playwright, baseURL!, cookie)).toBe(false);
    // Signing out ends this session only; "sign out everywhere" is there for the rest.
    await phone.page.reload();
    await expect(phone.page.getByRole("button", { name: `Account menu for ${email}` })).toBeVisible();
    await laptop.context.close();
    await phone.context.close();
  });

  test("changing one's password ends the session in another browser, and this browser stays signed in", async ({ ownerPage, browser, playwright, baseURL }) => {
    const email = await newAdmin(ownerPage, "passwd");
    const here = await signedInBrowser(browser, email);
    const elsewhere = await signedInBrowser(browser, email);
    const oldCookie = await sessionCookieOf(here.context);
    const newPassword = "a different session password";

    await openAccountMenu(here.page, email);
    await here.page.getByRole("menuitem", { name: "Change password…" }).click();
    const dialog = here.page.getByRole("dialog", { name: "Change your password" });
    await dialog.getByLabel("Current password").fill("not my password at all");
    await dialog.getByLabel("New password", { exact: true }).fill(newPassword);
    await dialog.getByLabel("Confirm new password").fill(newPassword);
    await dialog.getByRole("button", { name: "Change password" }).click();
    await expect(dialog.getByRole("alert").filter({ hasText: "Your current password is not correct." })).toBeVisible();
    await dialog.getByLabel("Current password").fill(PASSWORD);
    await dialog.getByRole("button", { name: "Change password" }).click();
    await expect(dialog.getByRole("status").filter({ hasText: "Your password was changed" })).toBeVisible();
    await dialog.getByRole("button", { name: "Done" }).click();

    await elsewhere.page.reload();
    await expect(elsewhere.page).toHaveURL(/\/login/);
    expect(await cookieStillWorks(playwright, baseURL!, oldCookie)).toBe(false);
    await here.page.reload();
    await expect(here.page.getByRole("button", { name: `Account menu for ${email}` })).toBeVisible();

    await signIn(elsewhere.page, email, PASSWORD);
    await expect(elsewhere.page.getByRole("alert").filter({ hasText: "Wrong email or password." })).toBeVisible();
    await signIn(elsewhere.page, email, newPassword);
    await expect(elsewhere.page.getByRole("button", { name: `Account menu for ${email}` })).toBeVisible();
    await here.context.close();
    await elsewhere.context.close();
  });

  test("disabling and then enabling an admin does not bring an old session cookie back", async ({ ownerPage, browser, playwright, baseURL }) => {
    const email = await newAdmin(ownerPage, "reenabled");
    const admin = await signedInBrowser(browser, email);
    const cookie = await sessionCookieOf(admin.context);

    await ownerPage.goto(`/settings/admins?q=${encodeURIComponent(email)}`);
    const row = ownerPage.getByRole("row", { name: new RegExp(email) });
    await row.getByRole("button", { name: "Disable" }).click();
    await ownerPage.getByRole("alertdialog", { name: `Disable ${email}?` }).getByRole("button", { name: "Disable admin" }).click();
    await expect(row).toContainText("disabled");
    await row.getByRole("button", { name: "Enable" }).click();
    await expect(row).toContainText("active");

    expect(await cookieStillWorks(playwright, baseURL!, cookie)).toBe(false);
    await admin.page.reload();
    await expect(admin.page).toHaveURL(/\/login/);
    await signIn(admin.page, email, PASSWORD);
    await expect(admin.page.getByRole("button", { name: `Account menu for ${email}` })).toBeVisible();
    await admin.context.close();
  });

  test("a role change ends the admin's old sessions; they sign in again with the new role", async ({ ownerPage, browser, playwright, baseURL }) => {
    const email = await newAdmin(ownerPage, "promoted");
    const admin = await signedInBrowser(browser, email);
    const cookie = await sessionCookieOf(admin.context);

    await ownerPage.goto(`/settings/admins?q=${encodeURIComponent(email)}`);
    await ownerPage.getByLabel(`Role of ${email}`).selectOption("AUDITOR");
    await expect(ownerPage.getByRole("status").filter({ hasText: `${email} is now AUDITOR.` })).toBeVisible();

    expect(await cookieStillWorks(playwright, baseURL!, cookie)).toBe(false);
    await admin.page.reload();
    await expect(admin.page).toHaveURL(/\/login/);
    await signIn(admin.page, email, PASSWORD);
    await openAccountMenu(admin.page, email);
    await expect(admin.page.getByRole("menu")).toContainText("AUDITOR");
    await admin.context.close();
  });

  test("sign out everywhere, used from the keyboard, ends every session of the account and lands on sign-in with a message", async ({ ownerPage, browser, playwright, baseURL }) => {
    const email = await newAdmin(ownerPage, "everywhere");
    const here = await signedInBrowser(browser, email);
    const elsewhere = await signedInBrowser(browser, email);
    const cookie = await sessionCookieOf(here.context);

    const trigger = here.page.getByRole("button", { name: `Account menu for ${email}` });
    await trigger.focus();
    await here.page.keyboard.press("Enter");
    const item = here.page.getByRole("menuitem", { name: "Sign out everywhere…" });
    await expect(item).toBeVisible();
    // The last item of the menu.
    await here.page.keyboard.press("End");
    await expect(item).toBeFocused();
    await here.page.keyboard.press("Enter");
    const confirm = here.page.getByRole("alertdialog", { name: "Sign out everywhere?" });
    // Nothing happens without confirming: Cancel has the focus.
    await expect(confirm.getByRole("button", { name: "Cancel" })).toBeFocused();
    await here.page.keyboard.press("Escape");
    await expect(confirm).toBeHidden();
    await elsewhere.page.reload();
    await expect(elsewhere.page.getByRole("button", { name: `Account menu for ${email}` })).toBeVisible();

    await trigger.focus();
    await here.page.keyboard.press("Enter");
    await here.page.keyboard.press("End");
    await here.page.keyboard.press("Enter");
    await expect(confirm.getByRole("button", { name: "Cancel" })).toBeFocused();
    await here.page.keyboard.press("Tab");
    await expect(confirm.getByRole("button", { name: "Sign out everywhere" })).toBeFocused();
    await here.page.keyboard.press("Enter");

    await expect(here.page).toHaveURL(/\/login\?signedOut=everywhere/);
    await expect(here.page.getByRole("status").filter({ hasText: "You were signed out everywhere" })).toBeVisible();
    await elsewhere.page.reload();
    await expect(elsewhere.page).toHaveURL(/\/login/);
    expect(await cookieStillWorks(playwright, baseURL!, cookie)).toBe(false);
    await here.context.close();
    await elsewhere.context.close();
  });
});

test.describe("invitations and password resets cannot take over an account", () => {
  test("an ADMIN re-issuing an active admin's invitation is refused by the server, and the admin's password still works", async ({ ownerPage, browser }) => {
    const activeEmail = await newAdmin(ownerPage, "active");
    const adminEmail = await newAdmin(ownerPage, "reissuer", "ADMIN");
    const invitedEmail = `still-invited-${Date.now()}@warden.test`;
    await inviteWithoutAccepting(ownerPage, invitedEmail, "VIEWER");
    const active = await signedInBrowser(browser, activeEmail);
    const activeId = await signedInAdminId(active.page);
    const attacker = await signedInBrowser(browser, adminEmail);

    // The UI offers neither a new invitation nor a reset for an active admin to an ADMIN.
    await attacker.page.goto(`/settings/admins?q=${encodeURIComponent(activeEmail)}`);
    const activeRow = attacker.page.getByRole("row", { name: new RegExp(activeEmail) });
    await expect(activeRow.getByRole("button", { name: "Disable" })).toBeVisible();
    await expect(activeRow.getByRole("button", { name: "New invitation link" })).toHaveCount(0);
    await expect(activeRow.getByRole("button", { name: "Reset password" })).toHaveCount(0);

    // Capture the real action on an admin who is still invited...
    await attacker.page.goto(`/settings/admins?q=${encodeURIComponent(invitedEmail)}`);
    const [actionRequest] = await Promise.all([
      attacker.page.waitForRequest((request) => request.method() === "POST" && Boolean(request.headers()["next-action"])),
      attacker.page.getByRole("row", { name: new RegExp(invitedEmail) }).getByRole("button", { name: "New invitation link" }).click(),
    ]);
    await expect(attacker.page.getByRole("status").filter({ hasText: `New invitation link for ${invitedEmail}` })).toBeVisible();

    // ...and send it for the active admin.
    const response = await attacker.page.request.post(actionRequest.url(), {
      headers: {
        ...SAME_ORIGIN,
        "next-action": actionRequest.headers()["next-action"]!,
        "content-type": actionRequest.headers()["content-type"] ?? "text/plain;charset=UTF-8",
        accept: "text/x-component",
      },
      data: JSON.stringify([{ adminId: activeId }]),
    });
    const body = await response.text();
    expect(body).toContain(`${activeEmail} has already accepted their invitation`);
    expect(body).not.toContain("/setup?token=");

    const again = await signedInBrowser(browser, activeEmail);
    await active.page.reload();
    await expect(active.page.getByRole("button", { name: `Account menu for ${activeEmail}` })).toBeVisible();
    await Promise.all([active.context.close(), attacker.context.close(), again.context.close()]);
  });

  test("an owner-started password reset works end to end and ends the admin's sessions", async ({ ownerPage, browser, playwright, baseURL }) => {
    const email = await newAdmin(ownerPage, "forgetful");
    const admin = await signedInBrowser(browser, email);
    const cookie = await sessionCookieOf(admin.context);
    const newPassword = "my reset session password";

    await ownerPage.goto(`/settings/admins?q=${encodeURIComponent(email)}`);
    await ownerPage.getByRole("row", { name: new RegExp(email) }).getByRole("button", { name: "Reset password" }).click();
    await expect(ownerPage.getByRole("status").filter({ hasText: `Password reset link for ${email}` })).toBeVisible();
    const link = await ownerPage.getByLabel("Password reset link").inputValue();
    // Until the link is used, nothing changes for the admin.
    expect(await cookieStillWorks(playwright, baseURL!, cookie)).toBe(true);

    const resetting = await browser.newContext();
    const page = await resetting.newPage();
    await page.goto(link);
    await expect(page.getByRole("heading", { name: "Choose a new password" })).toBeVisible();
    await page.getByLabel("New password", { exact: true }).fill(newPassword);
    await page.getByLabel("Confirm password").fill(newPassword);
    await page.getByRole("button", { name: "Set new password" }).click();
    await expect(page).toHaveURL(/\/login\?reset=1/);
    await expect(page.getByRole("status").filter({ hasText: "Your password was changed" })).toBeVisible();

    expect(await cookieStillWorks(playwright, baseURL!, cookie)).toBe(false);
    await signIn(page, email, PASSWORD);
    await expect(page.getByRole("alert").filter({ hasText: "Wrong email or password." })).toBeVisible();
    await signIn(page, email, newPassword);
    await expect(page.getByRole("button", { name: `Account menu for ${email}` })).toBeVisible();

    // The link works once.
    await page.goto(link);
    await expect(page.getByRole("heading", { name: "This link cannot be used" })).toBeVisible();
    await Promise.all([admin.context.close(), resetting.close()]);
  });
});
