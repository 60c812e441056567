import { createDb } from "../../lib/db/client";

export const SEEDED_AGENT = "https://agent.example/client.json";

/**
 * Writes a small policy straight into a database that a separate Warden
 * instance serves (the suite's own server holds its embedded database
 * exclusively, and the servers, roles and clients pages build these rows
 * through their own forms). Returns once the rows are committed.
 */
export async function seedPolicy(databaseUrl: string, environmentKey: string): Promise<void> {
  const db = createDb(databaseUrl, 1);
  try {
    const environment = await db.environment.findUniqueOrThrow({ where: { key: environmentKey } });
    const server = await db.mcpServer.create({
      data: { environmentId: environment.id, name: "sales", resourceUri: "https://sales.example/mcp", authorizationServer: "https://idp.example" },
    });
    const readOrders = await db.tool.create({ data: { serverId: server.id, name: "read_orders" } });
    await db.tool.create({ data: { serverId: server.id, name: "purge", enabled: false } });
    const analyst = await db.role.create({ data: { environmentId: environment.id, name: "analyst", claimName: "groups", claimValue: "sales-analysts" } });
    await db.grant.create({ data: { roleId: analyst.id, toolId: readOrders.id, requiredScopes: ["tools:sales.read"] } });
    await db.client.create({ data: { environmentId: environment.id, clientId: SEEDED_AGENT, status: "APPROVED" } });
    await db.client.create({ data: { environmentId: environment.id, clientId: "https://pending.example/client.json", status: "PENDING" } });
  } finally {
    await db.$disconnect();
  }
}
