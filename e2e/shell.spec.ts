import { expect, test } from "./fixtures";

test.describe("admin shell", () => {
  test("the favicon is a static file from public/, served to anyone and linked from every page", async ({ ownerPage, request }) => {
    const icon = await request.get("/favicon.svg", { maxRedirects: 0 });
    expect(icon.status()).toBe(200);
    expect(icon.headers()["content-type"]).toContain("image/svg+xml");
    await ownerPage.goto("/dev");
    await expect(ownerPage.locator('head link[rel="icon"]')).toHaveAttribute("href", /\/favicon\.svg/);
  });

  test("the environment switcher keeps the section and scopes the page", async ({ ownerPage }) => {
    await ownerPage.goto("/dev/audit");
    await expect(ownerPage.getByText("Development environment")).toBeVisible();
    await ownerPage.getByLabel("Environment", { exact: true }).selectOption("prod");
    await expect(ownerPage).toHaveURL(/\/prod\/audit$/);
    await expect(ownerPage.getByText("Production environment")).toBeVisible();
    // The choice is remembered for the next visit to "/".
    await ownerPage.goto("/");
    await expect(ownerPage).toHaveURL(/\/prod$/);
    await ownerPage.getByLabel("Environment", { exact: true }).selectOption("dev");
    await expect(ownerPage).toHaveURL(/\/dev$/);
  });

  test("every section is reachable from the sidebar", async ({ ownerPage }) => {
    await ownerPage.goto("/staging");
    const nav = ownerPage.getByRole("navigation", { name: "Main" });
    for (const label of ["Servers & Tools", "Roles & Scopes", "Clients", "Test access", "Config", "Audit"]) {
      await nav.getByRole("link", { name: label }).click();
      await expect(ownerPage.getByRole("heading", { level: 1, name: label })).toBeVisible();
      await expect(nav.getByRole("link", { name: label })).toHaveAttribute("aria-current", "page");
    }
    await nav.getByRole("link", { name: "Settings" }).click();
    await expect(ownerPage.getByRole("heading", { level: 1, name: "Admins" })).toBeVisible();
    await nav.getByRole("link", { name: "Overview" }).click();
    await expect(ownerPage).toHaveURL(/\/staging$/);
    await expect(ownerPage.getByText("Nothing is configured in Staging yet")).toBeVisible();
  });

  test("an unknown environment is a 404, not another environment", async ({ ownerPage }) => {
    const response = await ownerPage.goto("/nonexistent-env/servers");
    expect(response?.status()).toBe(404);
    await expect(ownerPage.getByRole("heading", { name: "Nothing here" })).toBeVisible();
  });

  test("dark and light themes both apply, and the choice persists", async ({ ownerPage }) => {
    await ownerPage.goto("/dev");
    const menu = ownerPage.getByRole("button", { name: /^Account menu for/ });
    await menu.click();
    await ownerPage.getByRole("menuitemradio", { name: "Dark" }).click();
    await expect(ownerPage.locator("html")).toHaveClass(/dark/);
    const darkBackground = await ownerPage.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await ownerPage.reload();
    await expect(ownerPage.locator("html")).toHaveClass(/dark/);
    await ownerPage.screenshot({ path: "test-results/shell-dark.png" });

    await menu.click();
    await ownerPage.getByRole("menuitemradio", { name: "Light" }).click();
    await expect(ownerPage.locator("html")).not.toHaveClass(/dark/);
    const lightBackground = await ownerPage.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(lightBackground).not.toBe(darkBackground);
    await ownerPage.screenshot({ path: "test-results/shell-light.png" });
  });

  test("keyboard users can skip to the content and reach the navigation", async ({ ownerPage }) => {
    await ownerPage.goto("/dev");
    await ownerPage.keyboard.press("Tab");
    await expect(ownerPage.getByRole("link", { name: "Skip to content" })).toBeFocused();
    await ownerPage.keyboard.press("Tab");
    await expect(ownerPage.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Warden" })).toBeFocused();
    await ownerPage.keyboard.press("Tab");
    await expect(ownerPage.getByLabel("Environment", { exact: true })).toBeFocused();
  });

  test("on a narrow laptop window the sidebar becomes a drawer", async ({ ownerPage }) => {
    await ownerPage.setViewportSize({ width: 900, height: 700 });
    await ownerPage.goto("/dev");
    await expect(ownerPage.getByRole("navigation", { name: "Main" })).toBeHidden();
    await ownerPage.getByRole("button", { name: "Open navigation" }).click();
    const drawer = ownerPage.getByRole("dialog", { name: "Navigation" });
    await drawer.getByRole("link", { name: "Audit" }).click();
    await expect(ownerPage).toHaveURL(/\/dev\/audit$/);
    await expect(drawer).toBeHidden();
  });

  test("every response carries the security headers", async ({ ownerPage, request }) => {
    const page = await ownerPage.goto("/dev");
    const headers = page!.headers();
    const csp = headers["content-security-policy"] ?? "";
    expect(csp).toMatch(/script-src 'self' 'nonce-[^']+' 'strict-dynamic'/);
    expect(csp).not.toContain("unsafe-eval");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(headers["x-content-type-options"]).toBe("nosniff");
    expect(headers["referrer-policy"]).toBe("strict-origin-when-cross-origin");
    expect(headers["strict-transport-security"]).toBeUndefined(); // plain http here; set only over https

    for (const path of ["/login", "/healthz", "/does-not-exist"]) {
      const response = await request.get(path);
      expect(response.headers()["content-security-policy"], path).toContain("frame-ancestors 'none'");
      expect(response.headers()["x-frame-options"], path).toBe("DENY");
    }
    // Scripts run under the nonce: the page is interactive, so nothing was blocked.
    await ownerPage.getByRole("button", { name: /^Account menu for/ }).click();
    await expect(ownerPage.getByRole("menu")).toBeVisible();
  });
});
