import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "./fixtures";
import { WARDEN_E2E_PORT } from "./support/constants";
import { startWarden, type WardenProcess } from "./support/warden-process";

// The first run of a fresh install, as the README describes it: no admin
// exists, so the server prints a one-time link that creates the first owner.
let warden: WardenProcess;
let dataDir = "";

test.beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "warden-first-run-"));
  warden = await startWarden(WARDEN_E2E_PORT + 10, { WARDEN_DATA_DIR: dataDir });
});

test.afterAll(async () => {
  await warden?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test("the printed setup link creates the first owner exactly once", async ({ page }) => {
  await expect.poll(() => /\/setup\?token=[\w-]+/.test(warden.output()), { message: "the setup link is printed" }).toBe(true);
  const link = warden.output().match(/http:\/\/localhost:\d+\/setup\?token=[\w-]+/)![0];
  // Before setup, the dashboard is closed.
  await page.goto(`${warden.url}/dev`);
  await expect(page).toHaveURL(/\/login/);

  await page.goto(link);
  await expect(page.getByRole("heading", { name: "Create the first owner" })).toBeVisible();
  await page.getByLabel("Email").fill("first@warden.test");
  await page.getByLabel("Password", { exact: true }).fill("short");
  await page.getByLabel("Confirm password").fill("short");
  await page.getByRole("button", { name: "Create owner" }).click();
  await expect(page.getByText("Use at least 12 characters.")).toBeVisible();

  await page.getByLabel("Password", { exact: true }).fill("first owner password");
  await page.getByLabel("Confirm password").fill("first owner password");
  await page.getByRole("button", { name: "Create owner" }).click();
  await expect(page).toHaveURL(/\/login\?created=1/);
  await expect(page.getByText("Your account is ready")).toBeVisible();

  await page.getByLabel("Password").fill("first owner password");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("button", { name: "Account menu for first@warden.test" })).toBeVisible();

  // The link is spent.
  await page.goto(link);
  await expect(page.getByRole("heading", { name: "This link cannot be used" })).toBeVisible();
});
