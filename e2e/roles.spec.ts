import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { SAME_ORIGIN } from "./support/constants";

const unique = () => `${Date.now().toString(36)}${Math.floor(Math.random() * 1000)}`;

async function createScope(page: Page, name: string, description = "") {
  await page.goto("/dev/roles/scopes");
  await page.getByRole("button", { name: "Create scope" }).click();
  const dialog = page.getByRole("dialog", { name: "Create a scope" });
  await dialog.getByLabel("Name", { exact: true }).fill(name);
  if (description) await dialog.getByLabel("Description (optional)").fill(description);
  await dialog.getByRole("button", { name: "Create scope" }).click();
  await expect(dialog).toBeHidden();
}

async function createRole(page: Page, name: string, claimValue: string, claimName = "groups") {
  await page.goto("/dev/roles");
  await page.getByRole("button", { name: "Create role" }).click();
  const dialog = page.getByRole("dialog", { name: "Create a role" });
  await dialog.getByLabel("Name", { exact: true }).fill(name);
  await dialog.getByLabel("Claim name").fill(claimName);
  await dialog.getByLabel("Claim value").fill(claimValue);
  await dialog.getByRole("button", { name: "Create role" }).click();
  await expect(dialog).toBeHidden();
}

test.describe("Roles & Scopes", () => {
  test("an owner creates a scope after a validation error, edits it and deletes it", async ({ ownerPage: page }) => {
    const name = `e2e:orders.read.${unique()}`;
    await page.goto("/dev/roles/scopes");
    await expect(page.getByRole("link", { name: "Scopes", exact: true })).toHaveAttribute("aria-current", "page");
    await page.getByRole("button", { name: "Create scope" }).click();
    const dialog = page.getByRole("dialog", { name: "Create a scope" });
    await dialog.getByLabel("Name", { exact: true }).fill("orders read");
    await dialog.getByRole("button", { name: "Create scope" }).click();
    await expect(dialog.getByRole("alert").filter({ hasText: "cannot contain spaces" })).toBeVisible();
    // The refused value stays in the form to be corrected.
    await expect(dialog.getByLabel("Name", { exact: true })).toHaveValue("orders read");
    await dialog.getByLabel("Name", { exact: true }).fill(name);
    await dialog.getByLabel("Description (optional)").fill("Read orders");
    await dialog.getByRole("button", { name: "Create scope" }).click();
    await expect(dialog).toBeHidden();

    const row = page.getByRole("row", { name: new RegExp(name.replace(/[.]/g, "\\.")) });
    await expect(row).toContainText("Read orders");
    await expect(row).toContainText("0 grants");

    // A second scope cannot take the same name.
    await page.getByRole("button", { name: "Create scope" }).click();
    await dialog.getByLabel("Name", { exact: true }).fill(name);
    await dialog.getByRole("button", { name: "Create scope" }).click();
    await expect(dialog.getByText("This name is already used by another scope.")).toBeVisible();
    await dialog.getByRole("button", { name: "Cancel" }).click();

    await row.getByRole("button", { name: `Edit scope ${name}` }).click();
    const edit = page.getByRole("dialog", { name: `Edit scope ${name}` });
    await edit.getByLabel("Description (optional)").fill("Read every order");
    await edit.getByRole("button", { name: "Save scope" }).click();
    await expect(page.getByRole("status").filter({ hasText: `Scope ${name} saved.` })).toBeVisible();
    await expect(row).toContainText("Read every order");

    await row.getByRole("button", { name: `Delete scope ${name}` }).click();
    const confirm = page.getByRole("alertdialog", { name: `Delete scope ${name}?` });
    await confirm.getByRole("button", { name: "Cancel" }).click();
    await expect(row).toBeVisible();
    await row.getByRole("button", { name: `Delete scope ${name}` }).click();
    await confirm.getByRole("button", { name: "Delete scope" }).click();
    await expect(page.getByRole("status").filter({ hasText: `Scope ${name} deleted.` })).toBeVisible();
    await expect(row).toHaveCount(0);
  });

  test("the second of two admins editing one scope is refused and shown the fresh values", async ({ ownerPage: first }) => {
    const name = `e2e:stale.${unique()}`;
    await createScope(first, name, "original");
    const second = await first.context().newPage();
    await second.goto(`/dev/roles/scopes?q=${encodeURIComponent(name)}`);
    await first.goto(`/dev/roles/scopes?q=${encodeURIComponent(name)}`);

    await second.getByRole("button", { name: `Edit scope ${name}` }).click();
    await first.getByRole("button", { name: `Edit scope ${name}` }).click();
    await first.getByRole("dialog").getByLabel("Description (optional)").fill("saved first");
    await first.getByRole("dialog").getByRole("button", { name: "Save scope" }).click();
    await expect(first.getByRole("dialog")).toBeHidden();

    const dialog = second.getByRole("dialog", { name: `Edit scope ${name}` });
    await dialog.getByLabel("Description (optional)").fill("saved second");
    await dialog.getByRole("button", { name: "Save scope" }).click();
    await expect(dialog.getByRole("alert").filter({ hasText: "was changed by someone else" })).toBeVisible();
    await expect(dialog.getByLabel("Description (optional)")).toHaveValue("saved first");
    await second.close();
  });

  test("an owner creates a role after a validation error, sees what it can do, and deletes it", async ({ ownerPage: page }) => {
    const name = `Support ${unique()}`;
    await page.goto("/dev/roles");
    await page.getByRole("button", { name: "Create role" }).click();
    const dialog = page.getByRole("dialog", { name: "Create a role" });
    await expect(dialog.getByLabel("Claim name")).toHaveValue("roles");
    await dialog.getByLabel("Name", { exact: true }).fill(name);
    await dialog.getByLabel("Claim name").fill("my groups");
    await dialog.getByRole("button", { name: "Create role" }).click();
    await expect(dialog.getByText(/Enter the claim value/)).toBeVisible();
    await expect(dialog.getByText(/no spaces/)).toBeVisible();
    await dialog.getByLabel("Claim name").fill("groups");
    await dialog.getByLabel("Claim value").fill("support-team");
    await dialog.getByRole("button", { name: "Create role" }).click();
    await expect(dialog).toBeHidden();

    const row = page.getByRole("row", { name: new RegExp(name) });
    await expect(row).toContainText("groups = support-team");
    await row.getByRole("link", { name }).click();
    await expect(page.getByRole("heading", { name: `Role ${name}` })).toBeVisible();
    await expect(page.getByRole("heading", { name: "What can this role do?" })).toBeVisible();
    await expect(page.getByText(`${name} may not call any tool yet`)).toBeVisible();
    await page.getByRole("button", { name: "Edit role" }).click();
    const edit = page.getByRole("dialog", { name: `Edit role ${name}` });
    await edit.getByLabel("Claim value").fill("support-tier-2");
    await edit.getByRole("button", { name: "Save role" }).click();
    await expect(edit).toBeHidden();
    await expect(page.getByText("support-tier-2")).toBeVisible();

    await page.goto(`/dev/roles?q=${encodeURIComponent(name)}`);
    await row.getByRole("button", { name: `Delete role ${name}` }).click();
    const confirm = page.getByRole("alertdialog", { name: `Delete role ${name}?` });
    await expect(confirm).toContainText("It has no grants");
    await confirm.getByRole("button", { name: "Delete role" }).click();
    await expect(page.getByRole("status").filter({ hasText: `Role ${name} deleted.` })).toBeVisible();
    await expect(row).toHaveCount(0);
  });

  test("the matrix says what to create first when there are no roles or no tools", async ({ ownerPage: page }) => {
    // Staging has neither roles nor tools in this run.
    await page.goto("/staging/roles/matrix");
    await expect(page.getByText("No roles yet.")).toBeVisible();
    await page.getByRole("link", { name: "Add an MCP server and its tools under Servers & Tools" }).click();
    await expect(page).toHaveURL(/\/staging\/servers$/);

    await createRole(page, `Matrix ${unique()}`, "matrix");
    await page.goto("/dev/roles/matrix");
    await expect(page.getByText("No roles yet.")).toHaveCount(0);
    await expect(page.getByText("No tools in this environment yet.")).toBeVisible();
    await expect(page.getByRole("link", { name: "Add an MCP server and its tools under Servers & Tools" })).toHaveAttribute("href", "/dev/servers");
  });

  test("unknown or malformed role and tool ids are a 404, not an error", async ({ ownerPage: page }) => {
    for (const path of [
      "/dev/roles/00000000-0000-7000-8000-000000000000",
      "/dev/roles/not-a-uuid",
      "/dev/roles/tools/00000000-0000-7000-8000-000000000000",
      "/dev/roles/tools/not-a-uuid",
    ]) {
      const response = await page.goto(path);
      expect(response?.status(), path).toBe(404);
      await expect(page.getByRole("heading", { name: "Nothing here" })).toBeVisible();
    }
  });

  test("a VIEWER sees roles and scopes without edit controls, and the server refuses a forged change", async ({ ownerPage, viewerPage }) => {
    const scope = `e2e:viewer.${unique()}`;
    const role = `Viewer check ${unique()}`;
    await createRole(ownerPage, role, "viewer-check");

    // Capture a real create-scope action as the owner sends it...
    await ownerPage.goto("/dev/roles/scopes");
    await ownerPage.getByRole("button", { name: "Create scope" }).click();
    const dialog = ownerPage.getByRole("dialog", { name: "Create a scope" });
    await dialog.getByLabel("Name", { exact: true }).fill(scope);
    const [actionRequest] = await Promise.all([
      ownerPage.waitForRequest((request) => request.method() === "POST" && Boolean(request.headers()["next-action"])),
      dialog.getByRole("button", { name: "Create scope" }).click(),
    ]);
    await expect(dialog).toBeHidden();

    await viewerPage.goto(`/dev/roles?q=${encodeURIComponent(role)}`);
    await expect(viewerPage.getByRole("row", { name: new RegExp(role) })).toBeVisible();
    await expect(viewerPage.getByRole("button", { name: "Create role" })).toHaveCount(0);
    await expect(viewerPage.getByRole("button", { name: /^(Edit|Delete) role / })).toHaveCount(0);
    await viewerPage.getByRole("link", { name: role }).click();
    await expect(viewerPage.getByRole("heading", { name: "What can this role do?" })).toBeVisible();
    await expect(viewerPage.getByRole("button", { name: /(Edit|Delete) role/ })).toHaveCount(0);
    await viewerPage.goto(`/dev/roles/scopes?q=${encodeURIComponent(scope)}`);
    await expect(viewerPage.getByRole("row", { name: new RegExp(scope.replace(/[.]/g, "\\.")) })).toBeVisible();
    await expect(viewerPage.getByRole("button", { name: "Create scope" })).toHaveCount(0);
    await expect(viewerPage.getByRole("button", { name: /^(Edit|Delete) scope / })).toHaveCount(0);

    // ...then replay it as the VIEWER with another name.
    const [args] = JSON.parse(actionRequest.postData() ?? "[]") as [Record<string, unknown>];
    const forgedName = `${scope}.forged`;
    const response = await viewerPage.request.post(actionRequest.url(), {
      headers: {
        ...SAME_ORIGIN,
        "next-action": actionRequest.headers()["next-action"]!,
        "content-type": actionRequest.headers()["content-type"] ?? "text/plain;charset=UTF-8",
        accept: "text/x-component",
      },
      data: JSON.stringify([{ ...args, name: forgedName }]),
    });
    expect(await response.text()).toContain("Your role (VIEWER) does not allow this");
    await ownerPage.goto(`/dev/roles/scopes?q=${encodeURIComponent(forgedName)}`);
    await expect(ownerPage.getByText("No scope matches this search")).toBeVisible();
  });
});
