import type { APIRequestContext } from "@playwright/test";
import { expect, test } from "./fixtures";

// Imports and promotions land in Production: the specs that run later use dev
// and staging. What an earlier spec left in Production is replaced.

const policyFile = (toolName: string, withRole = true) => `warden: policy/v1
environment: prod
scopes:
  - name: billing.write
    description: Issue refunds
servers:
  - name: ledger
    resource: https://ledger.example.com/mcp
    authorizationServer: https://login.example.com
    tools:
      - name: ${toolName}
        title: Refund an invoice
        annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false }
        riskTier: HIGH
${
  withRole
    ? `roles:
  - name: finance
    claimName: groups
    claimValue: finance-team
    grants:
      - server: ledger
        tool: refund_invoice
        requiredScopes: [billing.write]
`
    : ""
}`;

async function exported(request: APIRequestContext, environment: string) {
  const response = await request.get(`/api/policy/${environment}?format=json`);
  expect(response.status()).toBe(200);
  return response.json();
}

test.describe.serial("policy as code", () => {
  test("an admin exports, edits, previews with line-precise errors and applies a policy file", async ({ ownerPage: page }) => {
    await page.goto("/prod/config");
    await page.getByRole("link", { name: "Policy as code" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Policy as code" })).toBeVisible();

    // Start from what is there: the export, in the editor.
    await page.getByRole("button", { name: "Start from Production's current policy" }).click();
    const editor = page.getByRole("textbox", { name: "Policy file (YAML)" });
    await expect(editor).toContainText("warden: policy/v1");
    await expect(editor).toContainText("environment: prod");

    // A file with a bad tool name: the problem names its line, and nothing changes.
    await page.locator('input[type="file"]').setInputFiles({ name: "prod-policy.yaml", mimeType: "application/yaml", buffer: Buffer.from(policyFile("refund invoice")) });
    await expect(editor).toContainText("refund invoice");
    await page.getByRole("button", { name: "Preview import" }).click();
    await expect(page.getByRole("alert").filter({ hasText: "The file has 2 problems; nothing was changed." })).toBeVisible();
    const problems = page.getByRole("table", { name: "Problems in the file" });
    await expect(problems.getByRole("row", { name: /servers\[0\]\.tools\[0\]\.name/ })).toContainText("11");
    await expect(problems).toContainText('The server "ledger" has no tool named "refund_invoice" in this file.');
    const before = await exported(page.request, "prod");

    // Fixed in the editor: the preview lists what is added and what goes.
    await editor.fill(policyFile("refund_invoice"));
    await page.getByRole("button", { name: "Preview import" }).click();
    const preview = page.getByRole("region", { name: "Import preview" });
    await expect(preview).toContainText("add ledger");
    await expect(preview).toContainText("add ledger/refund_invoice");
    await expect(preview).toContainText("add finance → ledger/refund_invoice");
    for (const role of before.roles) await expect(preview).toContainText(`delete ${role.name}`);

    // Whatever the earlier specs left in Production goes; if anything does, it asks first.
    await page.getByRole("button", { name: "Apply to Production" }).click();
    const applied = page.getByRole("status").filter({ hasText: "Applied to Production" });
    const confirm = page.getByRole("alertdialog", { name: /^Delete \d+ objects? in Production\?$/ });
    await expect(applied.or(confirm)).toBeVisible();
    if (await confirm.isVisible()) await confirm.getByRole("button", { name: "Apply and delete" }).click();
    await expect(applied).toBeVisible();

    const after = await exported(page.request, "prod");
    expect(after.roles.map((role: { name: string }) => role.name)).toEqual(["finance"]);
    expect(after.roles[0].grants).toEqual([{ server: "ledger", tool: "refund_invoice", requiredScopes: ["billing.write"] }]);
    expect(after.servers[0].tools[0]).toMatchObject({ name: "refund_invoice", riskTier: "HIGH" });

    // The same file again changes nothing.
    await page.getByRole("button", { name: "Preview import" }).click();
    await expect(page.getByRole("region", { name: "Import preview" })).toContainText("Nothing to change");
    await expect(page.getByRole("button", { name: "Apply to Production" })).toHaveCount(0);

    // Dropping the role from the file deletes it and its grant, after a confirmation.
    await editor.fill(policyFile("refund_invoice", false));
    await page.getByRole("button", { name: "Preview import" }).click();
    await expect(page.getByRole("region", { name: "Import preview" })).toContainText("delete finance → ledger/refund_invoice");
    await page.getByRole("button", { name: "Apply to Production" }).click();
    await page.getByRole("alertdialog", { name: "Delete 2 objects in Production?" }).getByRole("button", { name: "Apply and delete" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Applied to Production: 1 role, 1 grant changed." })).toBeVisible();
    expect((await exported(page.request, "prod")).roles).toEqual([]);

    // The change is a draft until published.
    await page.goto("/prod/config");
    await expect(page.getByRole("heading", { name: "Unpublished changes" })).toBeVisible();
    await expect(page.getByRole("region", { name: "Changes since the live version" })).toContainText("refund_invoice");
  });

  test("promotion from another environment previews the difference and makes the two match", async ({ ownerPage: page }) => {
    await page.goto("/prod/config/policy");
    await page.getByLabel("Promote from", { exact: true }).selectOption({ label: "Development" });
    await page.getByRole("button", { name: "Preview promotion from Development" }).click();
    const preview = page.getByRole("region", { name: "Promotion preview" });
    // Whatever dev holds, Production's own server is not in it.
    await expect(preview).toContainText("delete ledger");

    await page.getByRole("button", { name: "Promote Development to Production" }).click();
    await page.getByRole("alertdialog", { name: /^Delete \d+ objects? in Production\?$/ }).getByRole("button", { name: "Apply and delete" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Applied to Production" })).toBeVisible();

    const [dev, prod] = await Promise.all([exported(page.request, "dev"), exported(page.request, "prod")]);
    expect({ ...prod, environment: "dev" }).toEqual(dev);
  });

  test("a VIEWER can download the policy but is offered no import", async ({ viewerPage: page }) => {
    await page.goto("/prod/config/policy");
    await expect(page.getByRole("link", { name: "Download YAML" })).toHaveAttribute("href", "/api/policy/prod?format=yaml");
    await expect(page.getByText("Importing and promoting need the ADMIN role")).toBeVisible();
    await expect(page.getByRole("button", { name: "Preview import" })).toHaveCount(0);
  });
});

test("any signed-in admin downloads the environment's policy as JSON or YAML", async ({ ownerPage, viewerPage }) => {
  const asJson = await ownerPage.request.get("/api/policy/dev?format=json");
  expect(asJson.status()).toBe(200);
  expect(asJson.headers()["content-disposition"]).toBe('attachment; filename="warden-policy-dev.json"');
  expect(await asJson.json()).toMatchObject({ warden: "policy/v1", environment: "dev", servers: expect.any(Array), roles: expect.any(Array) });

  // A VIEWER may read it too: exporting changes nothing.
  const asYaml = await viewerPage.request.get("/api/policy/dev?format=yaml");
  expect(asYaml.status()).toBe(200);
  expect(asYaml.headers()["content-type"]).toContain("application/yaml");
  expect(await asYaml.text()).toMatch(/^warden: policy\/v1\nenvironment: dev\n/);
});

test("a bad format or an unknown environment is a clear 4xx, not a file", async ({ ownerPage }) => {
  const badFormat = await ownerPage.request.get("/api/policy/dev?format=xml");
  expect(badFormat.status()).toBe(400);
  expect(await badFormat.json()).toEqual({ error: 'Choose format "json" or "yaml".' });
  const unknown = await ownerPage.request.get("/api/policy/nowhere?format=json");
  expect(unknown.status()).toBe(404);
});
