import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import pg from "pg";
import type { Page } from "@playwright/test";
import { createScratchDatabase, type ScratchDatabase } from "../lib/db/testing";
import { startTokenIssuer, type TokenIssuer } from "../examples/reference-mcp-server/token-issuer";
import { expect, test } from "./fixtures";
import { WARDEN_E2E_PORT } from "./support/constants";
import { startReferenceServerProcess, type ReferenceServerProcess } from "./support/reference-server-process";
import { startWarden, type WardenProcess } from "./support/warden-process";

// An agent the company registered in its own IdP, with an opaque client_id,
// end to end with real parts: an authorization server on the certified
// oidc-provider issues its access token (client_credentials with a resource
// indicator: a JWT whose client_id is the opaque id),
// the reference MCP server enforces Warden's signed config, and the official
// MCP client calls the tool. Nothing here reaches the internet.
const OWNER = { email: "prereg-owner@warden.test", password: "pre-registered owner password" };
const PORTS = { warden: WARDEN_E2E_PORT + 61, idp: WARDEN_E2E_PORT + 62, mcp: WARDEN_E2E_PORT + 63 };
const RESOURCE = `http://127.0.0.1:${PORTS.mcp}/mcp`;
// As Okta issues them; Entra ID, Auth0 and Keycloak ids are just as opaque.
const AGENT = "0oa1b2c3d4";
// A 1×1 PNG: the upload is judged by its bytes, not its name.
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");

test.describe.configure({ mode: "serial", timeout: 180_000 });

let database: ScratchDatabase;
let warden: WardenProcess;
let idp: TokenIssuer;
let mcp: ReferenceServerProcess | undefined;
const shared = { apiKey: "", jwks: "", clientPage: "" };

test.beforeAll(async () => {
  database = await createScratchDatabase();
  warden = await startWarden(PORTS.warden, {
    DATABASE_URL: database.url,
    NEXTAUTH_SECRET: "preregistered-e2e-session-secret-0123456789",
    WARDEN_ENCRYPTION_KEY: "preregistered-e2e-encryption-key-0123456789",
    WARDEN_ADMIN_EMAIL: OWNER.email,
    WARDEN_ADMIN_PASSWORD: OWNER.password,
  });
  idp = await startTokenIssuer({ port: PORTS.idp, clients: [AGENT], scopes: ["tools:sales.read"] });
  idp.setClaims(AGENT, { groups: ["sales-analysts"] });
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await client.query(
      `WITH env AS (SELECT id FROM "Environment" WHERE key = 'dev'),
      server AS (
        INSERT INTO "McpServer" (id, "environmentId", name, "resourceUri", "authorizationServer", "scopesSupported", "updatedAt")
        SELECT gen_random_uuid(), env.id, 'sales-mcp', $1, $2, ARRAY['tools:sales.read'], now() FROM env RETURNING id
      )
      INSERT INTO "Tool" (id, "serverId", name, "updatedAt")
      SELECT gen_random_uuid(), server.id, t.name, now() FROM server, (VALUES ('get_invoice'), ('list_customers')) AS t(name)`,
      [RESOURCE, idp.issuer],
    );
    await client.query(
      `INSERT INTO "Role" (id, "environmentId", name, "claimName", "claimValue", "updatedAt")
       SELECT gen_random_uuid(), id, 'analyst', 'groups', 'sales-analysts', now() FROM "Environment" WHERE key = 'dev'`,
    );
  } finally {
    await client.end();
  }
});

test.afterAll(async () => {
  await mcp?.stop();
  await idp?.close();
  await warden?.stop();
  await database?.drop();
});

async function signIn(page: Page) {
  await page.goto(`${warden.url}/login`);
  await page.getByLabel("Email").fill(OWNER.email);
  await page.getByLabel("Password").fill(OWNER.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("button", { name: `Account menu for ${OWNER.email}` })).toBeVisible();
}

async function publish(page: Page, version: number) {
  await page.goto(`${warden.url}/dev/config`);
  await page.getByRole("button", { name: `Publish version ${version} to Development` }).click();
  // A draft that refuses calls allowed in recent traffic asks first (e2e/impact.spec.ts covers that).
  const live = page.getByRole("status").filter({ hasText: `Version ${version} is live in Development.` });
  const confirm = page.getByRole("dialog", { name: `Publish version ${version} anyway?` });
  await expect(live.or(confirm)).toBeVisible();
  if (await confirm.isVisible()) await confirm.getByRole("button", { name: "Publish and refuse these calls" }).click();
  await expect(live).toBeVisible();
}

/** The agent: the official MCP client with a fresh token from the IdP. */
async function call(tool: string, args: Record<string, unknown> = {}) {
  const token = await idp.token(AGENT, { resource: RESOURCE, scope: "tools:sales.read" });
  const client = new Client({ name: "e2e-idp-agent", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(RESOURCE), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  try {
    const result = (await client.callTool({ name: tool, arguments: args })) as { isError?: boolean; content: { text?: string }[] };
    return { ok: !result.isError, text: result.content.map((part) => part.text ?? "").join("") };
  } finally {
    await client.close();
  }
}

test("the IdP issues the agent a token whose client_id is its opaque id", async () => {
  const token = await idp.token(AGENT, { resource: RESOURCE, scope: "tools:sales.read" });
  const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
  expect(claims).toMatchObject({ client_id: AGENT, aud: RESOURCE, iss: idp.issuer, scope: "tools:sales.read", groups: ["sales-analysts"] });
});

test("an admin registers the agent by its IdP id; approved and published, its token is allowed through the reference server", async ({ page }) => {
  await signIn(page);
  // The MCP server's operator: an API key for sales-mcp, and Warden's public keys pinned.
  await page.goto(`${warden.url}/dev/config`);
  await page.getByRole("link", { name: "API keys for MCP servers" }).click();
  await page.getByRole("button", { name: "Create API key" }).click();
  const dialog = page.getByRole("dialog", { name: "Create an API key" });
  await dialog.getByLabel("Label").fill("sales-mcp dev");
  await dialog.getByLabel("Server").selectOption({ label: "sales-mcp" });
  await dialog.getByRole("button", { name: "Create key" }).click();
  shared.apiKey = await dialog.getByLabel("API key").inputValue();
  await dialog.getByRole("button", { name: "Done" }).click();
  shared.jwks = await (await fetch(`${warden.url}/api/v1/keys`, { headers: { authorization: `Bearer ${shared.apiKey}` } })).text();

  // Register, by keyboard: the kind is a radio group.
  await page.goto(`${warden.url}/dev/clients`);
  await page.getByRole("link", { name: "Register client" }).click();
  const cimd = page.getByRole("radio", { name: /^CIMD/ });
  await expect(cimd).toBeChecked();
  await cimd.focus();
  await page.keyboard.press("ArrowDown");
  await expect(page.getByRole("radio", { name: /^Pre-registered/ })).toBeChecked();

  // An https client_id is a metadata document, never a pre-registered id.
  await page.getByLabel("Client ID (as issued by your IdP)").fill("https://agent.example/client.json");
  await page.getByLabel("Display name").fill("Sales assistant");
  await page.getByLabel("Owner or team").fill("Revenue platform team");
  await page.getByRole("button", { name: "Register, keep pending" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "register it as a CIMD client" })).toBeVisible();

  await page.getByLabel("Client ID (as issued by your IdP)").fill(AGENT);
  await page.getByLabel("Description (optional)").fill("Answers invoice questions for the sales team.");
  await page.getByLabel("Logo (optional)").setInputFiles({ name: "logo.png", mimeType: "image/png", buffer: PNG });
  await page.getByRole("button", { name: "Register, keep pending" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Sales assistant" })).toBeVisible();
  shared.clientPage = page.url();
  await expect(page.getByTestId("client-id")).toHaveText(AGENT);
  // Served from Warden itself, and a real image the browser decoded.
  const logo = page.getByRole("img", { name: "Logo of Sales assistant" });
  await expect(logo).toHaveAttribute("src", /^\/api\/clients\/logos\//);
  await expect.poll(() => logo.evaluate((image: HTMLImageElement) => image.naturalWidth)).toBe(1);
  await expect(page.getByText("PENDING", { exact: true })).toBeVisible();
  await expect(page.getByRole("button", { name: "Refresh metadata" })).toHaveCount(0);

  // The list labels the kind and filters by it.
  await page.goto(`${warden.url}/dev/clients?kind=PRE_REGISTERED`);
  const row = page.getByRole("row").filter({ hasText: AGENT });
  await expect(row).toContainText("Pre-registered");
  await expect(row).toContainText("Revenue platform team");
  await page.goto(`${warden.url}/dev/clients?kind=CIMD`);
  await expect(page.getByText("No client matches these filters.")).toBeVisible();

  // Granted and published while the client waits for review: the MCP server does not know it.
  await page.goto(`${warden.url}/dev/roles/matrix`);
  await page.getByRole("button", { name: "Grant get_invoice (sales-mcp) to analyst", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Granted get_invoice (sales-mcp) to analyst." })).toBeVisible();
  await publish(page, 1);
  mcp = await startReferenceServerProcess(PORTS.mcp, {
    WARDEN_URL: warden.url,
    WARDEN_API_KEY: shared.apiKey,
    WARDEN_JWKS: shared.jwks,
    WARDEN_POLL_INTERVAL_MS: "1000,2000",
    OAUTH_ISSUER: idp.issuer,
    MCP_RESOURCE: RESOURCE,
  });
  await expect.poll(async () => (await call("get_invoice", { invoiceId: "INV-1" })).text, { timeout: 15_000 }).toContain("(unknown_client, config v1)");

  await page.goto(shared.clientPage);
  await page.getByRole("button", { name: "Approve" }).click();
  await expect(page.getByText("The client is now APPROVED.")).toBeVisible();
  await publish(page, 2);
  await expect.poll(async () => (await call("get_invoice", { invoiceId: "INV-2002" })).ok, { timeout: 15_000 }).toBe(true);
  expect((await call("get_invoice", { invoiceId: "INV-2002" })).text).toContain("INV-2002");
  expect(await call("list_customers")).toMatchObject({ ok: false, text: expect.stringContaining("(no_grant, config v2)") });

  // Test access names the kind, in the picker and in the explanation.
  await page.goto(`${warden.url}/dev/access?client=${AGENT}&server=sales-mcp&tool=get_invoice&roles=analyst`);
  await expect(page.getByTestId("access-client-kind")).toContainText("Pre-registered");
  await expect(page.getByTestId("access-client-kind")).toContainText("Sales assistant");
  await expect(page.getByRole("heading", { name: "Allowed" })).toBeVisible();
});

test("suspended and published, the same token is denied, and Test access says why", async ({ page }) => {
  await signIn(page);
  await page.goto(shared.clientPage);
  await page.getByRole("button", { name: "Suspend" }).click();
  await page.getByRole("alertdialog", { name: "Suspend this client?" }).getByRole("button", { name: "Suspend client" }).click();
  await expect(page.getByText("The client is now SUSPENDED.")).toBeVisible();
  await publish(page, 3);
  // Only approved clients are published, so the server no longer knows the agent at all.
  await expect.poll(async () => (await call("get_invoice", { invoiceId: "INV-3" })).text, { timeout: 15_000 }).toContain("(unknown_client, config v3)");

  await page.goto(`${warden.url}/dev/access?client=${AGENT}&server=sales-mcp&tool=get_invoice&roles=analyst`);
  await expect(page.getByRole("heading", { name: "Denied" })).toBeVisible();
  await expect(page.getByText(`The pre-registered client ${AGENT} is suspended; only approved clients may call tools.`)).toBeVisible();
  await expect(page.getByText("client_not_approved", { exact: true })).toBeVisible();
});
