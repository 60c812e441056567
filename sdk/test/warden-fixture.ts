// Test support only: a real Warden data plane on a scratch PostgreSQL database,
// with a published config and API keys, as an MCP server would meet it. The
// SDK itself never imports this (nor anything else that reaches the database).
import type { JSONWebKeySet } from "jose";
import { createApiKey, CreateApiKeySchema } from "../../lib/api-keys/api-keys";
import { publishConfig } from "../../lib/config/publish";
import { ensureSigningKey, loadSigner, publicJwks } from "../../lib/config/signing-keys";
import { encryptionKeyFrom } from "../../lib/crypto/encryption";
import { createDb, type Db } from "../../lib/db/client";
import { applyPendingMigrations } from "../../lib/db/migrate";
import { createScratchDatabase } from "../../lib/db/testing";
import { serveDataPlane } from "../../lib/data-plane/testing";

export const AGENT = "https://agent.example/client.json";
export const ENCRYPTION_SECRET = "sdk test encryption key, long enough to use";
export const encryptionKey = encryptionKeyFrom(ENCRYPTION_SECRET);

export type WardenFixture = Awaited<ReturnType<typeof startWardenFixture>>;

/** A migrated scratch database, seeded with a "sales-mcp" server, one grant, an approved agent, version 1 published. */
export async function startWardenFixture() {
  const scratch = await createScratchDatabase();
  await applyPendingMigrations(scratch.url);
  const db: Db = createDb(scratch.url, 4);
  const environment = await db.environment.create({ data: { key: "prod", name: "Production" } });
  const admin = await db.admin.create({ data: { email: "owner@example.com", role: "OWNER" } });
  const actor = { id: admin.id, email: admin.email };
  const server = await db.mcpServer.create({
    data: { environmentId: environment.id, name: "sales-mcp", resourceUri: "https://sales.example.com/mcp", authorizationServer: "https://idp.example.com" },
  });
  const tools = {
    getInvoice: await db.tool.create({ data: { serverId: server.id, name: "get_invoice" } }),
    listCustomers: await db.tool.create({ data: { serverId: server.id, name: "list_customers" } }),
    refund: await db.tool.create({ data: { serverId: server.id, name: "refund_payment", riskTier: "CRITICAL" } }),
  };
  const analyst = await db.role.create({ data: { environmentId: environment.id, name: "analyst", claimName: "groups", claimValue: "sales-analysts" } });
  await db.grant.create({ data: { roleId: analyst.id, toolId: tools.getInvoice.id, requiredScopes: ["tools:sales.read"] } });
  await db.client.create({ data: { environmentId: environment.id, clientId: AGENT, status: "APPROVED" } });
  await ensureSigningKey(db, encryptionKey);
  const signer = await loadSigner(db, encryptionKey);
  await publishConfig(db, actor, environment.id, { note: "first" }, signer);
  const apiKey = (await createApiKey(db, actor, environment.id, CreateApiKeySchema.parse({ label: "sales", serverId: server.id }))).token;
  const jwks = (await publicJwks(db)) as JSONWebKeySet;

  const plane = await serveDataPlane({ db: () => db, signer: () => loadSigner(db, encryptionKey) });

  return {
    db,
    databaseUrl: scratch.url,
    base: plane.base,
    plane,
    apiKey,
    jwks,
    environment,
    actor,
    tools,
    analyst,
    /** Applies a change, publishes it, and makes the data plane see it now. */
    async publish(change: (db: Db) => Promise<unknown>, note?: string) {
      await change(db);
      const version = await publishConfig(db, actor, environment.id, { note }, signer);
      await plane.plane.refresh();
      return version.version;
    },
    async close() {
      await plane.close();
      await db.$disconnect();
      await scratch.drop();
    },
  };
}
