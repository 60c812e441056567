import pg from "pg";
import type { Page } from "@playwright/test";
import { hashPassword } from "../lib/auth/password";
import { createScratchDatabase, type ScratchDatabase } from "../lib/db/testing";
import { expect, test } from "./fixtures";
import { WARDEN_E2E_PORT } from "./support/constants";
import { startWarden, type WardenProcess } from "./support/warden-process";

// The matrix needs tools, and tools are not created through this UI. This
// suite runs its own Warden on a PostgreSQL it can seed directly, so the
// matrix is exercised in a browser against real rows.
const OWNER = { email: "matrix-owner@warden.test", password: "matrix owner password" };
const VIEWER = { email: "matrix-viewer@warden.test", password: "matrix viewer password" };
let database: ScratchDatabase;
// Starting a second server (migrations, Next.js) takes a while on a busy machine.
test.describe.configure({ timeout: 180_000 });
let warden: WardenProcess;

async function seed(sql: string, values: unknown[] = []) {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return (await client.query(sql, values)).rows;
  } finally {
    await client.end();
  }
}

test.beforeAll(async () => {
  database = await createScratchDatabase();
  warden = await startWarden(WARDEN_E2E_PORT + 13, {
    DATABASE_URL: database.url,
    NEXTAUTH_SECRET: "matrix-e2e-session-secret-0123456789",
    WARDEN_ADMIN_EMAIL: OWNER.email,
    WARDEN_ADMIN_PASSWORD: OWNER.password,
  });
  await seed(`
    WITH env AS (SELECT id FROM "Environment" WHERE key = 'dev'),
    servers AS (
      INSERT INTO "McpServer" (id, "environmentId", name, "resourceUri", "authorizationServer", "updatedAt")
      SELECT gen_random_uuid(), env.id, s.name, 'https://mcp.example.com/' || s.name, 'https://idp.example.com', now()
      FROM env, (VALUES ('sales-mcp'), ('billing-mcp')) AS s(name)
      RETURNING id, name
    )
    INSERT INTO "Tool" (id, "serverId", name, "riskTier", annotations, "updatedAt")
    SELECT gen_random_uuid(), servers.id, t.name, t.risk::"RiskTier", t.annotations::jsonb, now()
    FROM servers JOIN (VALUES
      ('sales-mcp', 'lookup_order', 'LOW', '{"readOnlyHint":true}'),
      ('sales-mcp', 'cancel_order', 'MEDIUM', '{"destructiveHint":true}'),
      ('billing-mcp', 'refund', 'CRITICAL', '{"destructiveHint":true}')
    ) AS t(server, name, risk, annotations) ON t.server = servers.name`);
  await seed(`
    INSERT INTO "Role" (id, "environmentId", name, "claimName", "claimValue", "updatedAt")
    SELECT gen_random_uuid(), id, r.name, 'groups', r.name, now() FROM "Environment", (VALUES ('finance'), ('support')) AS r(name) WHERE key = 'dev'`);
  await seed(`
    INSERT INTO "Scope" (id, "environmentId", name, "updatedAt")
    SELECT gen_random_uuid(), id, s.name, now() FROM "Environment", (VALUES ('orders:read'), ('refunds:write')) AS s(name) WHERE key = 'dev'`);
  await seed(`INSERT INTO "Admin" (id, email, role, "passwordHash", "updatedAt") VALUES (gen_random_uuid(), $1, 'VIEWER', $2, now())`, [
    VIEWER.email,
    await hashPassword(VIEWER.password),
  ]);
});

test.afterAll(async () => {
  await warden?.stop();
  await database?.drop();
});

async function signIn(page: Page, account = OWNER) {
  await page.goto(`${warden.url}/login`);
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("button", { name: `Account menu for ${account.email}` })).toBeVisible();
}

const cell = (page: Page, tool: string, role: string) => page.getByRole("button", { name: `Grant ${tool} to ${role}`, exact: true });

test("grant with a click, pick required scopes, see it from the role and the tool, and keep a used scope", async ({ page }) => {
  await signIn(page);
  await page.goto(`${warden.url}/dev/roles/matrix`);
  const matrix = page.getByRole("table", { name: "Grants matrix" });
  await expect(matrix.getByRole("rowheader", { name: "billing-mcp", exact: true })).toBeVisible();
  await expect(matrix.getByRole("rowheader", { name: "sales-mcp", exact: true })).toBeVisible();
  const refundRow = matrix.getByRole("row", { name: /refund/ });
  await expect(refundRow).toContainText("Critical risk");
  await expect(refundRow).toContainText("Destructive");
  await expect(matrix.getByRole("row", { name: /lookup_order/ })).not.toContainText("Destructive");

  const lookup = cell(page, "lookup_order (sales-mcp)", "support");
  await expect(lookup).toHaveAttribute("aria-pressed", "false");
  const matrixTop = (await matrix.boundingBox())?.y;
  await lookup.click();
  await expect(page.getByRole("status").filter({ hasText: "Granted lookup_order (sales-mcp) to support." })).toBeVisible();
  // The outcome appears without pushing the matrix down under the pointer.
  expect((await matrix.boundingBox())?.y).toBe(matrixTop);
  await page.reload();
  await expect(lookup).toHaveAttribute("aria-pressed", "true");

  await page.getByRole("button", { name: "Required scopes for lookup_order (sales-mcp) and support" }).click();
  const dialog = page.getByRole("dialog", { name: "Scopes for lookup_order (sales-mcp) and support" });
  await dialog.getByLabel("orders:read").check();
  await dialog.getByRole("button", { name: "Save scopes" }).click();
  await expect(page.getByRole("status").filter({ hasText: "now requires orders:read" })).toBeVisible();

  // "What can this role do?"
  await page.getByRole("link", { name: "support", exact: true }).click();
  await expect(page.getByRole("heading", { name: "What can this role do?" })).toBeVisible();
  const granted = page.getByRole("row", { name: /lookup_order/ });
  await expect(granted).toContainText("orders:read");
  // "Who can call this?"
  await granted.getByRole("link", { name: "lookup_order" }).click();
  await expect(page.getByRole("heading", { name: "Who can call this?" })).toBeVisible();
  await expect(page.getByRole("row", { name: /support/ })).toContainText("orders:read");

  await page.goto(`${warden.url}/dev/roles/scopes`);
  await page.getByRole("button", { name: "Delete scope orders:read" }).click();
  await page.getByRole("alertdialog").getByRole("button", { name: "Delete scope" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "orders:read is required by 1 grant, so it cannot be deleted" })).toBeVisible();
  await expect(page.getByRole("row", { name: /orders:read/ })).toBeVisible();

  // Revoke with a click.
  await page.goto(`${warden.url}/dev/roles/matrix`);
  await lookup.click();
  await expect(page.getByRole("status").filter({ hasText: "Revoked lookup_order (sales-mcp) from support." })).toBeVisible();
  await page.reload();
  await expect(lookup).toHaveAttribute("aria-pressed", "false");
});

test("a second admin granting a cell that changed since they loaded the page is told, not overwritten", async ({ page }) => {
  await signIn(page);
  const other = await page.context().newPage();
  await other.goto(`${warden.url}/dev/roles/matrix`);
  await page.goto(`${warden.url}/dev/roles/matrix`);

  await cell(page, "refund (billing-mcp)", "finance").click();
  await expect(page.getByRole("status").filter({ hasText: "Granted refund (billing-mcp) to finance." })).toBeVisible();

  await cell(other, "refund (billing-mcp)", "finance").click();
  await expect(other.getByRole("alert").filter({ hasText: "changed by someone else" })).toBeVisible();
  // The stale page now shows what the database holds.
  await expect(cell(other, "refund (billing-mcp)", "finance")).toHaveAttribute("aria-pressed", "true");
  await other.close();
});

test("bulk grant with scopes and bulk revoke over a selection", async ({ page }) => {
  await signIn(page);
  await page.goto(`${warden.url}/dev/roles/matrix`);
  await page.getByLabel("Select all tools of sales-mcp").check();
  await page.getByLabel("Select role finance").check();
  await page.getByLabel("Select role support").check();
  await expect(page.getByRole("group", { name: "Bulk changes" })).toContainText("2 tools × 2 roles selected");

  await page.getByRole("button", { name: "Grant selected…" }).click();
  const dialog = page.getByRole("dialog", { name: "Grant 2 tools to 2 roles" });
  await dialog.getByLabel("orders:read").check();
  await dialog.getByRole("button", { name: "Grant 4 cells" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Bulk grant applied: 4 granted" })).toBeVisible();
  for (const role of ["finance", "support"]) {
    for (const tool of ["lookup_order (sales-mcp)", "cancel_order (sales-mcp)"]) {
      await expect(cell(page, tool, role)).toHaveAttribute("aria-pressed", "true");
      await expect(page.getByRole("button", { name: `Required scopes for ${tool} and ${role}` })).toHaveAttribute("title", "Requires orders:read");
    }
  }

  await page.getByLabel("Select tool cancel_order (sales-mcp)").check();
  await page.getByLabel("Select role support").check();
  await page.getByRole("button", { name: "Revoke selected…" }).click();
  await page.getByRole("alertdialog").getByRole("button", { name: "Revoke 1 cell" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Bulk revoke applied: 1 revoked" })).toBeVisible();
  await expect(cell(page, "cancel_order (sales-mcp)", "support")).toHaveAttribute("aria-pressed", "false");
  await expect(cell(page, "lookup_order (sales-mcp)", "support")).toHaveAttribute("aria-pressed", "true");
});

test("a VIEWER reads the matrix and both access pages without any edit control", async ({ page, browser }) => {
  await signIn(page);
  await page.goto(`${warden.url}/dev/roles/matrix`);
  if ((await cell(page, "refund (billing-mcp)", "support").getAttribute("aria-pressed")) !== "true") {
    await cell(page, "refund (billing-mcp)", "support").click();
    await expect(page.getByRole("status").filter({ hasText: "Granted refund (billing-mcp) to support." })).toBeVisible();
  }

  const context = await browser.newContext();
  const viewer = await context.newPage();
  await signIn(viewer, VIEWER);
  await viewer.goto(`${warden.url}/dev/roles/matrix`);
  const matrix = viewer.getByRole("table", { name: "Grants matrix" });
  await expect(matrix.getByText("support may call refund (billing-mcp), requiring no scopes")).toBeAttached();
  await expect(matrix.getByText("support may not call cancel_order (sales-mcp)")).toBeAttached();
  await expect(viewer.getByRole("button", { name: /^Grant / })).toHaveCount(0);
  await expect(viewer.getByRole("button", { name: /^Required scopes/ })).toHaveCount(0);
  await expect(viewer.getByRole("checkbox")).toHaveCount(0);
  await expect(viewer.getByRole("group", { name: "Bulk changes" })).toHaveCount(0);

  await matrix.getByRole("link", { name: "support", exact: true }).click();
  await expect(viewer.getByRole("row", { name: /refund/ })).toBeVisible();
  await expect(viewer.getByRole("button", { name: /^(Revoke|Edit scopes)/ })).toHaveCount(0);
  await viewer.getByRole("row", { name: /refund/ }).getByRole("link", { name: "refund" }).click();
  await expect(viewer.getByRole("heading", { name: "Who can call this?" })).toBeVisible();
  await expect(viewer.getByRole("row", { name: /support/ })).toBeVisible();
  await expect(viewer.getByRole("button", { name: /^(Revoke|Edit scopes)/ })).toHaveCount(0);
  await context.close();
});

test("the matrix filter narrows the tools shown and lives in the URL", async ({ page }) => {
  await signIn(page);
  await page.goto(`${warden.url}/dev/roles/matrix`);
  await page.getByLabel("Filter tools or servers").fill("refund");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/[?&]q=refund/);
  const matrix = page.getByRole("table", { name: "Grants matrix" });
  await expect(matrix.getByRole("row", { name: /refund/ })).toBeVisible();
  await expect(matrix.getByRole("row", { name: /lookup_order/ })).toHaveCount(0);
  await expect(matrix.getByRole("rowheader", { name: "sales-mcp", exact: true })).toHaveCount(0);

  await page.goto(`${warden.url}/dev/roles/matrix?q=no-such-tool`);
  await expect(page.getByText("No tool or server matches “no-such-tool”")).toBeVisible();
});

test("deleting a role from its page says how many grants go with it", async ({ page }) => {
  await signIn(page);
  await page.goto(`${warden.url}/dev/roles`);
  await page.getByRole("button", { name: "Create role" }).click();
  const dialog = page.getByRole("dialog", { name: "Create a role" });
  await dialog.getByLabel("Name", { exact: true }).fill("contractors");
  await dialog.getByLabel("Claim value").fill("contractors");
  await dialog.getByRole("button", { name: "Create role" }).click();
  await expect(dialog).toBeHidden();

  await page.goto(`${warden.url}/dev/roles/matrix`);
  await cell(page, "refund (billing-mcp)", "contractors").click();
  await expect(page.getByRole("status").filter({ hasText: "Granted refund (billing-mcp) to contractors." })).toBeVisible();
  await cell(page, "lookup_order (sales-mcp)", "contractors").click();
  await expect(page.getByRole("status").filter({ hasText: "Granted lookup_order (sales-mcp) to contractors." })).toBeVisible();

  await page.getByRole("link", { name: "contractors", exact: true }).click();
  await page.getByRole("button", { name: "Delete role" }).click();
  const confirm = page.getByRole("alertdialog", { name: "Delete role contractors?" });
  await expect(confirm).toContainText("Its 2 grants will be deleted with it");
  await confirm.getByRole("button", { name: "Delete role and 2 grants" }).click();
  await expect(page).toHaveURL(/\/dev\/roles$/);
  await expect(page.getByRole("row", { name: /contractors/ })).toHaveCount(0);
});
