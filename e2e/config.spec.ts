import { expect, test } from "./fixtures";

// Production gets no other config or roles from the other specs, so its history starts here.
test.describe.serial("publishing config", () => {
  test("an admin publishes, changes the draft, sees the diff, publishes again and rolls back", async ({ ownerPage: page }) => {
    await page.goto("/prod/config");
    await expect(page.getByText("Nothing is published in Production yet")).toBeVisible();
    await expect(page.getByRole("table", { name: "Config versions" })).toContainText("Nothing published yet");
    await page.getByLabel("What changed, in a sentence (recorded with the version)").fill("First version");
    await page.getByRole("button", { name: "Publish version 1 to Production" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Version 1 is live in Production." })).toBeVisible();
    await expect(page.getByRole("heading", { name: "The draft matches what is live" })).toBeVisible();

    // A change elsewhere in the dashboard is a draft until published.
    await page.goto("/prod/roles");
    await page.getByRole("button", { name: "Create role" }).click();
    const dialog = page.getByRole("dialog", { name: "Create a role" });
    await dialog.getByLabel("Name", { exact: true }).fill("auditors");
    await dialog.getByLabel("Claim name").fill("groups");
    await dialog.getByLabel("Claim value").fill("auditors");
    await dialog.getByRole("button", { name: "Create role" }).click();
    await expect(dialog).toBeHidden();

    await page.goto("/prod/config");
    await expect(page.getByRole("heading", { name: "Unpublished changes" })).toBeVisible();
    await expect(page.getByRole("region", { name: "Changes since the live version" })).toContainText("added");
    await expect(page.getByRole("region", { name: "Changes since the live version" })).toContainText("auditors");
    await page.getByRole("button", { name: "Publish version 2 to Production" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Version 2 is live in Production." })).toBeVisible();

    const history = page.getByRole("table", { name: "Config versions" });
    await history.getByRole("button", { name: "Roll back to v1" }).click();
    await page.getByRole("alertdialog", { name: "Roll back to version 1?" }).getByRole("button", { name: "Roll back" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Version 3 (the content of v1) is live." })).toBeVisible();
    await expect(history.getByRole("row", { name: /v3/ })).toContainText("Rollback to version 1");
    await expect(history.getByRole("row", { name: /v3/ })).toContainText("live");
    // The role is still in the draft, so there are unpublished changes again.
    await expect(page.getByRole("heading", { name: "Unpublished changes" })).toBeVisible();

    await history.getByRole("link", { name: /v2/ }).click();
    await expect(page.getByRole("heading", { name: "Version 2" })).toBeVisible();
    await expect(page.getByRole("region", { name: "Differences" })).toContainText("auditors");
    await expect(page.getByText(/signed with key/)).toBeVisible();
  });

  test("an API key is shown once and opens the data plane; anything else gets 401", async ({ ownerPage: page, playwright, baseURL }) => {
    await page.goto("/prod/config");
    await page.getByRole("link", { name: "API keys for MCP servers" }).click();
    await expect(page.getByText("No API keys yet.")).toBeVisible();
    await page.getByRole("button", { name: "Create API key" }).click();
    const dialog = page.getByRole("dialog", { name: "Create an API key" });
    await dialog.getByRole("button", { name: "Create key" }).click();
    await expect(dialog.getByRole("alert").filter({ hasText: "Give the key a label" })).toBeVisible();
    await dialog.getByLabel("Label").fill("sales-mcp prod");
    await dialog.getByRole("button", { name: "Create key" }).click();
    const token = await dialog.getByLabel("API key").inputValue();
    expect(token).toMatch(/^wdn_prod_[A-Za-z0-9]{12}_[\w-]{43}$/);
    await dialog.getByRole("button", { name: "Done" }).click();
    const row = page.getByRole("row", { name: /sales-mcp prod/ });
    await expect(row).toContainText("active");
    // The secret may itself hold "_" (even first), so it is everything after the selector.
    await expect(row).not.toContainText(token.split("_").slice(3).join("_"));

    const api = await playwright.request.newContext({ baseURL });
    const keys = await api.get("/api/v1/keys", { headers: { authorization: `Bearer ${token}` } });
    expect(keys.status()).toBe(200);
    expect((await keys.json()).keys[0]).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" });
    expect((await keys.json()).keys[0]).not.toHaveProperty("d");
    expect((await api.get("/api/v1/keys")).status()).toBe(401);
    expect((await api.get("/api/v1/keys", { headers: { authorization: `Bearer ${token.slice(0, -1)}x` } })).status()).toBe(401);
    const config = await api.get("/api/v1/config", { headers: { authorization: `Bearer ${token}`, "x-instance-id": "e2e-pod-1", "x-applied-version": "1", "x-sdk-version": "0.0.0-e2e" } });
    expect(config.status()).toBe(200);
    expect(await config.json()).toMatchObject({ schemaVersion: 1, environment: "prod", version: 3 });
    await api.dispose();

    // The poll shows up in the fleet view (reports are written in batches every few seconds).
    await expect
      .poll(async () => {
        await page.goto("/prod/config/fleet");
        return (await page.getByRole("row", { name: /e2e-pod-1/ }).count()) > 0;
      }, { timeout: 20_000 })
      .toBe(true);
    await expect(page.getByRole("row", { name: /e2e-pod-1/ })).toContainText("drift");
    await page.goto("/prod/config/keys");

    await row.getByRole("button", { name: "Revoke" }).click();
    await page.getByRole("alertdialog", { name: "Revoke sales-mcp prod?" }).getByRole("button", { name: "Revoke key" }).click();
    await expect(row).toContainText("revoked");
  });

  test("a VIEWER sees the history but cannot publish or roll back", async ({ viewerPage: page }) => {
    await page.goto("/prod/config");
    await expect(page.getByRole("table", { name: "Config versions" })).toContainText("v1");
    await expect(page.getByRole("button", { name: /Publish version/ })).toHaveCount(0);
    await expect(page.getByRole("button", { name: /Roll back/ })).toHaveCount(0);
    await page.goto("/prod/config/keys");
    await expect(page.getByRole("button", { name: "Create API key" })).toHaveCount(0);
    await expect(page.getByRole("button", { name: "Revoke" })).toHaveCount(0);
  });
});
