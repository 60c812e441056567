import { expect, test } from "./fixtures";

// The export download; the import and promotion screens are not built yet.

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
