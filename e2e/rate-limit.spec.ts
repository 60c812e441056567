import { expect, test } from "./fixtures";

// Staging: no other spec touches its API keys or limits.
test.describe.serial("the per-key rate limit", () => {
  test("an owner changes it from the keyboard; a wrong value is a form error and saves nothing", async ({ ownerPage: page }) => {
    await page.goto("/staging/config/keys");
    await expect(page.getByText("1,000 requests/s, bursts of 4,000, per data-plane instance")).toBeVisible();
    await page.getByText("Rate limit per key").focus();
    await page.keyboard.press("Enter");

    await page.getByLabel("Requests per second (sustained)").fill("500");
    await page.getByLabel("Burst (requests)").fill("100");
    await page.getByLabel("Burst (requests)").press("Enter");
    await expect(page.getByRole("alert").filter({ hasText: "The burst must be at least one second's worth of requests" })).toBeVisible();
    await page.reload();
    await expect(page.getByText("1,000 requests/s, bursts of 4,000, per data-plane instance")).toBeVisible();

    await page.getByText("Rate limit per key").click();
    await page.getByLabel("Requests per second (sustained)").fill("500");
    await page.getByLabel("Burst (requests)").fill("2000");
    await page.getByLabel("Burst (requests)").press("Enter");
    await expect(page.getByText("Rate limit saved.")).toBeVisible();
    await page.reload();
    await expect(page.getByText("500 requests/s, bursts of 2,000, per data-plane instance")).toBeVisible();
  });

  test("a VIEWER sees the limit but cannot change it", async ({ viewerPage: page }) => {
    await page.goto("/staging/config/keys");
    await page.getByText("Rate limit per key").click();
    await expect(page.getByText("Only owners can change the rate limit.")).toBeVisible();
    await expect(page.getByLabel("Requests per second (sustained)")).toBeDisabled();
    await expect(page.getByRole("button", { name: "Save rate limit" })).toHaveCount(0);
  });
});
