import { afterAll, beforeAll, expect, it } from "vitest";
import type { ApiKeyIdentity } from "@/lib/api-keys/api-keys";
import { describeEachDatabase } from "@/lib/db/test-harness";
import { MAX_JSON_DEPTH } from "@/lib/input/rules";
import { intakeClient } from "./intake";
import { previewClient, type FetchSettings } from "./preview";
import { startHttpsFixture, TEST_CA } from "./testing/fixture-server";

// A real HTTPS server on loopback publishes a hostile document: small, but nested far too deep.
let fixture: Awaited<ReturnType<typeof startHttpsFixture>>;
const settings: FetchSettings = { testing: { allowLoopback: true, ca: TEST_CA } };
beforeAll(async () => {
  fixture = await startHttpsFixture({
    "/deep/client.json": (_req, res) =>
      res.writeHead(200, { "Content-Type": "application/json" }).end(`{"client_id":"${fixture.origin}/deep/client.json","x":${"[".repeat(2_400)}${"]".repeat(2_400)}}`),
  });
});
afterAll(() => fixture?.close());

describeEachDatabase("client intake from MCP servers", (t) => {
  const setup = async (): Promise<ApiKeyIdentity> => {
    const environment = await t.db.environment.create({ data: { key: "prod", name: "Production" } });
    return { id: "0190c0de-0000-7000-8000-000000000001", environmentId: environment.id, environmentKey: "prod", serverId: null, serverName: null, label: "sales pod" };
  };

  it.each([
    "https://10.0.0.1/client.json",
    "https://169.254.169.254/latest/meta-data",
    "https://[::ffff:127.0.0.1]/client.json",
    "https://[::127.0.0.1]/client.json",
    "https://[64:ff9b::a9fe:a9fe]/client.json",
    "https://[fe80::1]/client.json",
  ])("refuses the special-use IP literal %s with the preview's rule and message, storing nothing", async (clientId) => {
    const key = await setup();
    // Production settings: no loopback test fixture allowed.
    const preview = await previewClient(clientId, {});
    expect(preview.fetchError).toMatchObject({ code: "address_forbidden" });
    await expect(intakeClient(t.db, key, clientId, {})).rejects.toMatchObject({ name: "FetchRefusal", code: "address_forbidden", message: preview.fetchError!.message });
    expect(await t.db.client.count()).toBe(0);
    expect(await t.db.auditEvent.count()).toBe(0);
  });

  it("still takes a client on a globally reachable IP literal, for review", async () => {
    const key = await setup();
    expect(await intakeClient(t.db, key, "https://93.184.215.14/oauth/client.json", settings)).toEqual({ status: "PENDING", created: true });
  });

  it(`keeps a client from an allowed domain whose document nests deeper than ${MAX_JSON_DEPTH} levels PENDING, with nothing fetched stored`, async () => {
    const key = await setup();
    await t.db.trustPolicy.create({ data: { environmentId: key.environmentId, allowedDomains: ["localhost"] } });
    const clientId = `${fixture.origin}/deep/client.json`;
    expect(await intakeClient(t.db, key, clientId, settings)).toEqual({ status: "PENDING", created: true });
    expect(await t.db.client.findFirstOrThrow()).toMatchObject({ clientId, status: "PENDING", metadata: null, fetchedAt: null });
  });
});
