import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { createApiKey, CreateApiKeySchema } from "@/lib/api-keys/api-keys";
import { loadSigner } from "@/lib/config/signing-keys";
import { encryptionKeyFrom } from "@/lib/crypto/encryption";
import { describeEachDatabase } from "@/lib/db/test-harness";
import { previewClient } from "@/lib/clients/preview";
import { startHttpsFixture, TEST_CA } from "@/lib/clients/testing/fixture-server";
import { serveDataPlane } from "./testing";

// The metadata of a trusted client is served by a real HTTPS server on loopback.
let fixture: Awaited<ReturnType<typeof startHttpsFixture>>;
beforeAll(async () => {
  fixture = await startHttpsFixture({
    "/agent/client.json": (_req, res) =>
      res.writeHead(200, { "Content-Type": "application/json" }).end(
        JSON.stringify({ client_id: `${fixture.origin}/agent/client.json`, client_name: "Trusted Agent", redirect_uris: [`${fixture.origin}/cb`], token_endpoint_auth_method: "none" }),
      ),
    // Under the 5 KB cap, and nested far deeper than any document should be.
    "/deep/client.json": (_req, res) =>
      res.writeHead(200, { "Content-Type": "application/json" }).end(`{"client_id":"${fixture.origin}/deep/client.json","x":${"[".repeat(2_400)}${"]".repeat(2_400)}}`),
  });
});
afterAll(() => fixture?.close());

describeEachDatabase("POST /api/v1/clients/intake", (t) => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());

  async function setup(fetchSettings: () => { testing?: { allowLoopback: true; ca: Buffer } } = () => ({ testing: { allowLoopback: true, ca: TEST_CA } })) {
    const environment = await t.db.environment.create({ data: { key: "prod", name: "Production" } });
    const admin = await t.db.admin.create({ data: { email: "owner@example.com", role: "OWNER" } });
    const server = await t.db.mcpServer.create({ data: { environmentId: environment.id, name: "sales", resourceUri: "https://sales.example.com/mcp", authorizationServer: "https://idp.example.com" } });
    const { token } = await createApiKey(t.db, { id: admin.id, email: admin.email }, environment.id, CreateApiKeySchema.parse({ label: "sales pod", serverId: server.id }));
    const served = await serveDataPlane({
      db: () => t.db,
      signer: () => loadSigner(t.db, encryptionKeyFrom("unused in these tests but long enough")),
      fetchSettings,
    });
    close = served.close;
    const report = (body: unknown, headers: Record<string, string> = { "content-type": "application/json" }) =>
      served.call("/api/v1/clients/intake", { method: "POST", token, headers, body: typeof body === "string" ? body : JSON.stringify(body) });
    return { environment, report, served, token };
  }

  it("records an unknown client as PENDING once, however often it is reported, and audits who reported it", async () => {
    const { report, environment } = await setup();
    const clientId = "https://agent.example.com/oauth/client.json";
    const first = await report({ clientId });
    expect(first.status).toBe(201);
    expect(await first.json()).toEqual({ status: "PENDING", created: true });
    const again = await report({ clientId });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ status: "PENDING", created: false });
    expect(await t.db.client.count()).toBe(1);
    expect(await t.db.auditEvent.findMany({ where: { source: "mcp" } })).toEqual([
      expect.objectContaining({ source: "mcp", action: "client.reported", clientId, server: "sales", environmentId: environment.id, actor: "api-key:sales pod" }),
    ]);
  });

  it("rejects a client from a denied domain without fetching anything", async () => {
    const { report, environment } = await setup();
    await t.db.trustPolicy.create({ data: { environmentId: environment.id, deniedDomains: ["evil.example"] } });
    const response = await report({ clientId: "https://agents.evil.example/client.json" });
    expect(await response.json()).toEqual({ status: "REJECTED", created: true });
    expect((await t.db.client.findFirstOrThrow()).fetchedAt).toBeNull();
  });

  it("approves a valid client from an explicitly allowed domain, and nothing else", async () => {
    const { report, environment } = await setup();
    // Written directly: the admin form accepts only public domain names, and the fixture lives on localhost.
    await t.db.trustPolicy.create({ data: { environmentId: environment.id, allowedDomains: ["localhost"] } });
    const response = await report({ clientId: `${fixture.origin}/agent/client.json` });
    expect(await response.json()).toEqual({ status: "APPROVED", created: true });
    const stored = await t.db.client.findFirstOrThrow();
    expect(stored).toMatchObject({ status: "APPROVED", reviewNote: "Approved by the trust policy (allowed domain)" });
    expect((stored.metadata as { client_name: string }).client_name).toBe("Trusted Agent");
    expect((await report({ clientId: "https://not-allowed.example.com/client.json" }).then((r) => r.json())).status).toBe("PENDING");
  });

  it("answers bad requests with clear 4xx, and stores nothing", async () => {
    const { report, served } = await setup();
    expect((await served.call("/api/v1/clients/intake", { method: "POST", body: "{}" })).status).toBe(401);
    expect((await report({ clientId: "https://x.example/c.json" }, { "content-type": "text/plain" })).status).toBe(415);
    expect((await report("{not json")).status).toBe(400);
    const extra = await report({ clientId: "https://x.example/c.json", status: "APPROVED" });
    expect(extra.status).toBe(400);
    expect((await extra.json()).error).toMatch(/nothing else/);
    const invalid = await report({ clientId: "http://x.example/c.json" });
    expect(invalid.status).toBe(400);
    expect((await invalid.json()).error).toBe("Not a valid client_id: Only https URLs are fetched.");
    expect((await report({ clientId: `https://x.example/${"a".repeat(9000)}` })).status).toBe(413);
    expect((await served.call("/api/v1/clients/intake", { token: "x" })).status).toBe(405);
    expect(await t.db.client.count()).toBe(0);
  });

  it("refuses a client_id on a special-use IP literal with 400 and the preview's message, storing nothing", async () => {
    // Production fetch settings: no loopback test fixture is allowed.
    const { report } = await setup(() => ({}));
    for (const clientId of ["https://10.0.0.1/client.json", "https://[::127.0.0.1]/client.json", "https://[64:ff9b::a9fe:a9fe]/client.json", "https://[2002:7f00:1::]/client.json"]) {
      const response = await report({ clientId });
      expect(response.status).toBe(400);
      expect((await response.json()).error).toBe(`Not a valid client_id: ${(await previewClient(clientId)).fetchError?.message}`);
    }
    expect(await t.db.client.count()).toBe(0);
    expect(await t.db.auditEvent.count({ where: { source: "mcp" } })).toBe(0);
  });

  it("answers a client from an allowed domain whose document is nested too deep with 201 PENDING, not a 500", async () => {
    const { report, environment } = await setup();
    await t.db.trustPolicy.create({ data: { environmentId: environment.id, allowedDomains: ["localhost"] } });
    const response = await report({ clientId: `${fixture.origin}/deep/client.json` });
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ status: "PENDING", created: true });
    expect(await t.db.client.findFirstOrThrow()).toMatchObject({ status: "PENDING", metadata: null });
  });
});
