import { createScratchDatabase, type ScratchDatabase } from "../lib/db/testing";
import { expect, test } from "./fixtures";
import { SAME_ORIGIN, WARDEN_E2E_PORT } from "./support/constants";
import { SEEDED_AGENT, seedPolicy } from "./support/policy-seed";
import { startWarden, type WardenProcess } from "./support/warden-process";

const ask = { sub: "user-1", clientId: SEEDED_AGENT, server: "sales", tool: "read_orders", scopes: ["tools:sales.read"] };

// The suite's own server: nothing is defined in prod there, so these cover
// authentication, validation, the deny-by-default answer and the empty state.
test.describe("POST /api/v1/decisions", () => {
  test("refuses a request without an admin session", async ({ playwright, baseURL }) => {
    const anonymous = await playwright.request.newContext({ baseURL, extraHTTPHeaders: SAME_ORIGIN });
    const response = await anonymous.post("/api/v1/decisions", { data: { environment: "prod", ...ask } });
    expect(response.status()).toBe(401);
    expect(await response.json()).toEqual({ error: "Your session has ended. Sign in again." });
    await anonymous.dispose();
  });

  test("denies a tool nobody defined, and says so", async ({ ownerPage }) => {
    const response = await ownerPage.request.post("/api/v1/decisions", { headers: SAME_ORIGIN, data: { environment: "prod", ...ask, tool: "no_such_tool" } });
    expect(response.status()).toBe(200);
    expect(response.headers()["cache-control"]).toBe("no-store");
    expect(await response.json()).toEqual({
      environment: "prod",
      decision: "deny",
      reason: "unknown_tool",
      message: 'There is no tool "no_such_tool" on server "sales" in prod.',
      grant: null,
      missingScopes: [],
      matchedRoles: [],
      effectiveScopes: ["tools:sales.read"],
      requiresApproval: false,
      configVersion: null,
    });
  });

  test("any admin may ask, a VIEWER too", async ({ viewerPage }) => {
    const response = await viewerPage.request.post("/api/v1/decisions", { headers: SAME_ORIGIN, data: { environment: "prod", ...ask } });
    expect(response.status()).toBe(200);
    expect(await response.json()).toMatchObject({ decision: "deny" });
  });

  test("answers bad requests with a 4xx that says what is wrong", async ({ ownerPage }) => {
    const post = (options: NonNullable<Parameters<typeof ownerPage.request.post>[1]>) =>
      ownerPage.request.post("/api/v1/decisions", { ...options, headers: { ...SAME_ORIGIN, ...options.headers } });

    const form = await post({ form: { environment: "prod" } });
    expect(form.status()).toBe(415);
    expect(await form.json()).toEqual({ error: "Send the body as JSON, with Content-Type: application/json." });

    const malformed = await post({ headers: { "content-type": "application/json" }, data: Buffer.from("{not json") });
    expect(malformed.status()).toBe(400);
    expect(await malformed.json()).toEqual({ error: "The body is not valid JSON." });

    const missing = await post({ data: { environment: "prod", subject: "user-1" } });
    expect(missing.status()).toBe(400);
    expect(await missing.json()).toEqual({
      error: "Some fields need attention.",
      fieldErrors: {
        subject: ['Unknown field "subject".'],
        sub: ["Enter the sub (the user's subject identifier)."],
        clientId: ["Enter the client ID."],
        server: ["Enter the server name."],
        tool: ["Enter the tool name."],
      },
    });

    const unknownEnvironment = await post({ data: { environment: "qa", ...ask } });
    expect(unknownEnvironment.status()).toBe(400);
    expect(await unknownEnvironment.json()).toEqual({ error: "Some fields need attention.", fieldErrors: { environment: ['There is no environment "qa".'] } });

    const notAnObject = await post({ data: ["prod"] });
    expect(notAnObject.status()).toBe(400);
    expect(await notAnObject.json()).toEqual({ error: "Some fields need attention.", fieldErrors: { _body: ["The body must be a JSON object."] } });

    const huge = await post({ data: { environment: "prod", ...ask, sub: "x".repeat(70 * 1024) } });
    expect(huge.status()).toBe(413);
    expect(await huge.json()).toEqual({ error: "The body is larger than 64 KiB." });
  });
});

test("Test access says what to do first when the environment has no tools", async ({ viewerPage }) => {
  await viewerPage.goto("/prod");
  const nav = viewerPage.getByRole("navigation", { name: "Main" });
  await nav.getByRole("link", { name: "Test access" }).click();
  await expect(viewerPage).toHaveURL(/\/prod\/access$/);
  await expect(nav.getByRole("link", { name: "Test access" })).toHaveAttribute("aria-current", "page");
  await expect(viewerPage.getByRole("heading", { level: 1, name: "Test access" })).toBeVisible();
  await expect(viewerPage.getByRole("heading", { name: "Define servers and tools first" })).toBeVisible();
  await viewerPage.getByRole("link", { name: "Go to Servers & Tools" }).click();
  await expect(viewerPage).toHaveURL(/\/prod\/servers$/);
});

// A second instance on its own PostgreSQL, so that the test can write a
// policy into its database: the allow path and the explanations of a deny.
test.describe("Test access with a policy in place", () => {
  const OWNER = { email: "policy-owner@warden.test", password: "policy owner password" };
  let database: ScratchDatabase;
  let warden: WardenProcess;

  test.beforeAll(async () => {
    database = await createScratchDatabase();
    warden = await startWarden(WARDEN_E2E_PORT + 31, {
      DATABASE_URL: database.url,
      NEXTAUTH_SECRET: "policy-e2e-session-secret-0123456789",
      WARDEN_ADMIN_EMAIL: OWNER.email,
      WARDEN_ADMIN_PASSWORD: OWNER.password,
    });
    await seedPolicy(database.url, "dev");
  });

  test.afterAll(async () => {
    await warden?.stop();
    await database?.drop();
  });

  test("explains a deny, then allows once the token carries the scope, and the link reproduces it", async ({ page }) => {
    await page.goto(`${warden.url}/login`);
    await page.getByLabel("Email").fill(OWNER.email);
    await page.getByLabel("Password").fill(OWNER.password);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(page.getByRole("button", { name: `Account menu for ${OWNER.email}` })).toBeVisible();

    await page.goto(`${warden.url}/dev/access`);
    const form = page.getByRole("form", { name: "Access question" });
    await form.getByLabel("Subject").fill("alice");
    await form.getByLabel("Client").fill(SEEDED_AGENT);
    await form.getByLabel("Tool").selectOption({ label: "sales/read_orders" });
    await form.getByLabel("Roles").selectOption("analyst");
    await form.getByLabel("Token scopes").fill("tools:other");
    await form.getByLabel("Token scopes").press("Enter");

    const result = page.getByRole("region", { name: /Denied|Allowed/ });
    await expect(result.getByRole("heading", { name: "Denied" })).toBeVisible();
    await expect(result).toContainText("The token lacks a required scope");
    await expect(result).toContainText("Role analyst may call sales/read_orders only with the scope tools:sales.read, which the token does not carry.");
    await expect(result).toContainText("missing_scope");
    await expect(result).toContainText("draft (unpublished)");
    await expect(page).toHaveURL(/client=https%3A%2F%2Fagent\.example%2Fclient\.json/);

    // Roles may come from the token's claims instead of the list.
    await form.getByLabel("Roles").selectOption([]);
    await form.getByLabel("Token claims (JSON, optional)").fill('{"groups": ["sales-analysts"]}');
    await form.getByLabel("Token scopes").fill("tools:sales.read");
    await form.getByRole("button", { name: "Test access" }).click();
    await expect(result.getByRole("heading", { name: "Allowed" })).toBeVisible();
    await expect(result).toContainText("Role analyst may call sales/read_orders with tools:sales.read");

    // The URL is the question: opened fresh, it shows the same decision and form.
    const shared = page.url();
    await page.goto(`${warden.url}/dev`);
    await page.goto(shared);
    await expect(result.getByRole("heading", { name: "Allowed" })).toBeVisible();
    await expect(form.getByLabel("Token scopes")).toHaveValue("tools:sales.read");

    // A disabled tool and a pending client are denied with their reason.
    await form.getByLabel("Tool").selectOption({ label: "sales/purge (disabled)" });
    await form.getByRole("button", { name: "Test access" }).click();
    await expect(result).toContainText("The tool is disabled");
    await form.getByLabel("Tool").selectOption({ label: "sales/read_orders" });
    await form.getByLabel("Client").fill("https://pending.example/client.json");
    await form.getByRole("button", { name: "Test access" }).click();
    await expect(result).toContainText("The client https://pending.example/client.json is pending review");

    // Claims that are not JSON are pointed out, not guessed at.
    await form.getByLabel("Token claims (JSON, optional)").fill("{groups: sales}");
    await form.getByRole("button", { name: "Test access" }).click();
    await expect(page.getByText('Claims must be a JSON object, e.g. {"groups": ["sales"]}.')).toBeVisible();
    await expect(form.getByLabel("Token claims (JSON, optional)")).toHaveAccessibleDescription(/Claims must be a JSON object/);
    await expect(result).toHaveCount(0);

    const response = await page.request.post(`${warden.url}/api/v1/decisions`, { headers: { origin: warden.url }, data: { environment: "dev", ...ask, roles: ["analyst"] } });
    expect(await response.json()).toMatchObject({ decision: "allow", reason: "allowed_by_grant", grant: { role: "analyst" }, matchedRoles: ["analyst"] });
  });
});
