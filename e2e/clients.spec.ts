import { expect, test } from "./fixtures";
import { CIMD_FIXTURE_ORIGIN } from "./support/cimd-fixture";

// Client metadata is published by a real HTTPS server on loopback (see
// e2e/support/cimd-fixture.ts); Warden fetches it through its hardened fetcher.
const fixtureHost = new URL(CIMD_FIXTURE_ORIGIN).host;

test.describe.serial("client registration", () => {
  test("an admin previews VS Code's real metadata and approves it with a scope ceiling", async ({ ownerPage: page }) => {
    await page.goto("/dev/clients");
    await page.getByRole("link", { name: "Register client" }).first().click();
    await page.getByLabel("Client ID (the metadata document URL)").fill(`${CIMD_FIXTURE_ORIGIN}/oauth/client-metadata.json`);
    await page.getByRole("button", { name: "Fetch and preview" }).click();

    await expect(page.getByTestId("client-hostname")).toHaveText(fixtureHost);
    await expect(page.getByText("Visual Studio Code")).toBeVisible();
    await expect(page.getByText("The document passes every validation rule.")).toBeVisible();
    await expect(page.getByText("http://127.0.0.1:33418/")).toBeVisible();
    await expect(page.getByTestId("trust-rule")).toHaveText(/No rule matched: needs review\./);

    await page.getByLabel("Scope ceiling (optional)").fill("tools:sales.read");
    await page.getByRole("button", { name: "Approve" }).click();
    await expect(page).toHaveURL(/\/dev\/clients\/[0-9a-f-]{36}$/);
    await expect(page.getByText("APPROVED", { exact: true })).toBeVisible();
    await expect(page.getByLabel("Scope ceiling (optional)")).toHaveValue("tools:sales.read");
  });

  test("a document that breaks the rules explains each failure and cannot be approved", async ({ ownerPage: page }) => {
    await page.goto("/dev/clients/new");
    await page.getByLabel("Client ID (the metadata document URL)").fill(`${CIMD_FIXTURE_ORIGIN}/leaky/client.json`);
    await page.getByRole("button", { name: "Fetch and preview" }).click();
    const broken = page.getByRole("region", { name: "Rules broken" });
    await expect(broken).toContainText("must not contain a client_secret");
    await expect(broken).toContainText('token_endpoint_auth_method "client_secret_basic" is not allowed');
    await expect(broken).toContainText("must use https, or http on a loopback address");
    await expect(page.getByRole("button", { name: "Approve" })).toBeDisabled();
    await page.getByLabel("Note (recorded in the audit trail)").fill("ships a secret");
    await page.getByRole("button", { name: "Reject" }).click();
    await expect(page.getByText("REJECTED", { exact: true })).toBeVisible();
  });

  test("addresses inside the network are refused before any connection", async ({ ownerPage: page }) => {
    await page.goto("/dev/clients/new");
    await page.getByLabel("Client ID (the metadata document URL)").fill("https://169.254.169.254/latest/meta-data/client.json");
    await page.getByRole("button", { name: "Fetch and preview" }).click();
    await expect(page.getByText("The metadata could not be fetched")).toBeVisible();
    await expect(page.getByText("169.254.169.254 is a special-use address (link-local); Warden connects only to globally reachable addresses.")).toBeVisible();
    await expect(page.getByRole("button", { name: "Approve" })).toBeDisabled();
  });

  test("a pending client shows in the sidebar; a redirect change after approval sends it back to review", async ({ ownerPage: page }) => {
    await page.request.get(`${CIMD_FIXTURE_ORIGIN}/control/agent?redirect=${encodeURIComponent(`${CIMD_FIXTURE_ORIGIN}/callback`)}`, { ignoreHTTPSErrors: true });
    await page.goto("/dev/clients/new");
    await page.getByLabel("Client ID (the metadata document URL)").fill(`${CIMD_FIXTURE_ORIGIN}/agent/client.json`);
    await page.getByRole("button", { name: "Fetch and preview" }).click();
    await page.getByRole("button", { name: "Keep pending for later" }).click();
    await expect(page.getByText("PENDING", { exact: true })).toBeVisible();
    await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: /Clients.*1 waiting for review/ })).toBeVisible();

    await page.getByRole("button", { name: "Approve" }).click();
    await expect(page.getByRole("status").filter({ hasText: "The client is now APPROVED." })).toBeVisible();

    await page.request.get(`${CIMD_FIXTURE_ORIGIN}/control/agent?redirect=${encodeURIComponent("https://attacker.example/steal")}`, { ignoreHTTPSErrors: true });
    await page.getByRole("button", { name: "Refresh metadata" }).click();
    await expect(page.getByText(/needs review: the client is back to PENDING/)).toBeVisible();
    const changes = page.getByRole("table", { name: "Metadata changes" });
    await expect(changes).toContainText("redirect_uris");
    await expect(changes).toContainText("attacker.example");
    await expect(page.getByText("PENDING", { exact: true })).toBeVisible();
  });

  test("a VIEWER reads the clients but cannot register or review", async ({ viewerPage: page }) => {
    await page.goto("/dev/clients");
    await expect(page.getByRole("heading", { name: "Clients", level: 1 })).toBeVisible();
    await expect(page.getByRole("link", { name: "Register client" })).toHaveCount(0);
    await page.getByRole("link", { name: new RegExp(fixtureHost) }).first().click();
    await expect(page.getByRole("button", { name: "Approve" })).toHaveCount(0);
    const response = await page.goto("/dev/clients/new");
    expect(response?.status()).toBe(403);
  });
});
