import type { APIRequestContext, Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { CIMD_FIXTURE_ORIGIN } from "./support/cimd-fixture";

// An MCP server meets a client_id Warden does not know and reports it with its
// API key. Everything happens in dev; each run names clients no run has seen
// (the fixture echoes any /echo/client.json?… URL as a valid document), so the
// tests do not depend on what other specs left behind.
const run = Date.now().toString(36);
const echoUrl = (name: string, extra = "") => `${CIMD_FIXTURE_ORIGIN}/echo/client.json?name=${encodeURIComponent(name)}&run=${run}${extra}`;

async function createDevApiKey(page: Page, label: string): Promise<string> {
  await page.goto("/dev/config");
  await page.getByRole("link", { name: "API keys for MCP servers" }).click();
  await page.getByRole("button", { name: "Create API key" }).click();
  const dialog = page.getByRole("dialog", { name: "Create an API key" });
  await dialog.getByLabel("Label").fill(label);
  await dialog.getByRole("button", { name: "Create key" }).click();
  const token = await dialog.getByLabel("API key").inputValue();
  await dialog.getByRole("button", { name: "Done" }).click();
  return token;
}

async function report(api: APIRequestContext, token: string, clientId: string) {
  const response = await api.post("/api/v1/clients/intake", { headers: { authorization: `Bearer ${token}` }, data: { clientId } });
  return { status: response.status(), body: await response.json() };
}

/** The sidebar's count of dev clients waiting for review (0 when it shows none). */
async function pendingCount(page: Page): Promise<number> {
  const link = page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: /Clients/ });
  const name = (await link.textContent()) ?? "";
  return Number(/(\d+) waiting for review/.exec(name)?.[1] ?? 0);
}

/** Opens a client's page from the list, found by its exact client_id. */
async function openClient(page: Page, clientId: string, status = "") {
  await page.goto(`/dev/clients?q=${encodeURIComponent(clientId)}${status ? `&status=${status}` : ""}`);
  await page.getByRole("link", { name: new RegExp(clientId.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")) }).click();
}

async function saveTrustPolicy(page: Page, allowed: string) {
  await page.goto("/dev/clients");
  // The list settles its URL state after loading, which can re-render the
  // panel closed under a click made too early: open it until it stays open.
  const field = page.getByLabel("Allowed domains");
  await expect(async () => {
    if (!(await field.isVisible())) await page.locator("summary").filter({ hasText: "Trust policy" }).click();
    await expect(field).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  await field.fill(allowed);
  await page.getByRole("button", { name: "Save trust policy" }).click();
}

test.describe.serial("clients reported by MCP servers", () => {
  let token = "";

  test("a reported client waits as PENDING in the queue, counts in the sidebar, and an admin approves it", async ({ ownerPage: page, playwright, baseURL }) => {
    token = await createDevApiKey(page, `intake e2e ${run}`);
    await page.goto("/dev/clients");
    const before = await pendingCount(page);

    const api = await playwright.request.newContext({ baseURL });
    const clientId = echoUrl("Queue Agent");
    expect(await report(api, token, clientId)).toEqual({ status: 201, body: { status: "PENDING", created: true } });
    // Reporting it again changes nothing.
    expect(await report(api, token, clientId)).toEqual({ status: 200, body: { status: "PENDING", created: false } });
    expect((await report(api, token, "http://not-https.example/client.json")).status).toBe(400);
    expect((await api.post("/api/v1/clients/intake", { data: { clientId } })).status()).toBe(401);
    await api.dispose();

    await page.goto("/dev/clients?status=PENDING");
    await expect.poll(() => pendingCount(page)).toBe(before + 1);
    await expect(page.getByRole("row").filter({ hasText: clientId })).toContainText("PENDING");
    await openClient(page, clientId, "PENDING");

    await expect(page.getByText("PENDING", { exact: true })).toBeVisible();
    await expect(page.getByText(/reported by api-key:intake e2e/)).toBeVisible();
    await expect(page.getByText("Warden has not fetched this client's metadata yet.", { exact: false })).toBeVisible();
    await expect(page.getByTestId("trust-rule")).toHaveText(/No rule matched: needs review/);
    await expect(page.getByRole("button", { name: "Approve" })).toBeDisabled();

    await page.getByRole("button", { name: "Refresh metadata" }).click();
    await expect(page.getByRole("status").filter({ hasText: /metadata changed/ })).toBeVisible();
    // The logo is Warden's copy, served from Warden's origin.
    const logo = page.getByRole("img", { name: "Logo of Queue Agent (claimed)" });
    await expect(logo).toBeVisible();
    const src = await logo.getAttribute("src");
    expect(src).toMatch(/^\/api\/clients\/logos\/[0-9a-f-]{36}$/);
    expect(await logo.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(1);
    const served = await page.request.get(src!);
    expect(served.headers()).toMatchObject({ "content-type": "image/png", "x-content-type-options": "nosniff" });
    expect(served.headers()["content-security-policy"]).toMatch(/default-src 'none'.*sandbox/);

    await page.getByRole("button", { name: "Approve" }).click();
    await expect(page.getByRole("status").filter({ hasText: "The client is now APPROVED." })).toBeVisible();
    await expect.poll(() => pendingCount(page)).toBe(before);
  });

  test("an SVG logo is refused with the reason as a warning, and the review goes on", async ({ ownerPage: page }) => {
    await page.goto("/dev/clients/new");
    await page.getByLabel("Client ID (the metadata document URL)").fill(echoUrl("Svg Agent", "&logo=svg"));
    await page.getByRole("button", { name: "Fetch and preview" }).click();
    await expect(page.getByRole("region", { name: /Worth a second look/ })).toContainText("SVG logos are refused");
    await expect(page.getByTestId("client-logo-placeholder")).toHaveText("S");
    await expect(page.getByRole("img", { name: /Logo of/ })).toHaveCount(0);
    await expect(page.getByText("The document passes every validation rule.")).toBeVisible();
    await expect(page.getByRole("button", { name: "Approve" })).toBeEnabled();
  });

  test("wildcards are checked in the form, *.localhost does not cover localhost itself, and an allowed domain is auto-approved", async ({ ownerPage: page, playwright, baseURL }) => {
    await saveTrustPolicy(page, "vscode.dev *");
    await expect(page.getByRole("alert").filter({ hasText: '"*" would match every domain' })).toBeVisible();
    await page.getByLabel("Allowed domains").fill("https://localhost");
    await page.getByRole("button", { name: "Save trust policy" }).click();
    await expect(page.getByRole("alert").filter({ hasText: "without a scheme (https://), path or port" })).toBeVisible();

    await page.getByLabel("Allowed domains").fill("*.localhost");
    await page.getByRole("button", { name: "Save trust policy" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Trust policy saved." })).toBeVisible();

    const api = await playwright.request.newContext({ baseURL });
    // The fixture is the apex "localhost": the wildcard leaves it to a person.
    const apexId = echoUrl("Apex Agent");
    expect((await report(api, token, apexId)).body).toEqual({ status: "PENDING", created: true });

    await saveTrustPolicy(page, "localhost");
    await expect(page.getByRole("status").filter({ hasText: "Trust policy saved." })).toBeVisible();
    const trustedId = echoUrl("Trusted Agent");
    expect(await report(api, token, trustedId)).toEqual({ status: 201, body: { status: "APPROVED", created: true } });
    await api.dispose();

    await openClient(page, trustedId);
    await expect(page.getByText("APPROVED", { exact: true })).toBeVisible();
    await expect(page.getByText(/Approved by the trust policy \(allowed domain\)/)).toBeVisible();
    await expect(page.getByTestId("trust-rule")).toHaveText(/Allowed by localhost in the trust policy\./);

    // The apex client, seen while only *.localhost was allowed, is deleted (with a reason) to leave dev as it was.
    await openClient(page, apexId);
    await expect(page.getByText("PENDING", { exact: true })).toBeVisible();
    await page.getByRole("button", { name: "Delete client" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete this client?" });
    await dialog.getByRole("button", { name: "Delete client" }).click();
    await expect(dialog.getByRole("alert").filter({ hasText: "Say why the client is deleted" })).toBeVisible();
    await dialog.getByLabel("Reason (recorded in the audit trail)").fill("reported while testing the trust policy");
    await dialog.getByRole("button", { name: "Delete client" }).click();
    await expect(page).toHaveURL(/\/dev\/clients\?deleted=/);
    await expect(page.getByRole("status").filter({ hasText: `Deleted ${apexId}.` })).toBeVisible();
    await page.goto(`/dev/clients?q=${encodeURIComponent(apexId)}`);
    await expect(page.getByRole("row").filter({ hasText: apexId })).toHaveCount(0);

    await saveTrustPolicy(page, "");
    await expect(page.getByRole("status").filter({ hasText: "Trust policy saved." })).toBeVisible();
  });

  test("a VIEWER cannot delete a client", async ({ viewerPage: page }) => {
    await openClient(page, echoUrl("Trusted Agent"));
    await expect(page.getByText("APPROVED", { exact: true })).toBeVisible();
    await expect(page.getByRole("button", { name: "Delete client" })).toHaveCount(0);
  });
});
