import { expect, it } from "vitest";
import { describeEachDatabase } from "@/lib/db/test-harness";
import { DomainError, StaleWriteError } from "@/lib/errors";
import type { AuditActor } from "@/lib/audit/record";
import {
  CreateServerSchema,
  ServerListQuerySchema,
  createServer,
  deleteServer,
  getServer,
  listServers,
  protectedResourceMetadata,
  serverDeletionImpact,
  updateServer,
} from "./servers";
import { buildPublishedConfig } from "@/lib/config/snapshot";

const actor: AuditActor = { id: "0190d1a2-0000-7000-8000-000000000001", email: "admin@example.com", ip: "192.0.2.1" };

describeEachDatabase("MCP servers", (t) => {
  const environment = (key = "dev") => t.db.environment.upsert({ where: { key }, create: { key, name: key }, update: {} });
  const input = (environmentId: string, overrides: Record<string, unknown> = {}) =>
    CreateServerSchema.parse({
      environmentId,
      name: "Sales",
      resourceUri: "https://sales.example.com/mcp",
      authorizationServer: "https://auth.example.com",
      scopesSupported: "tools:sales.read tools:sales.write",
      ...overrides,
    });
  const failWithAuditStore = async (work: () => Promise<unknown>) => {
    await t.db.$executeRawUnsafe(`CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit store unavailable'; END $$`);
    await t.db.$executeRawUnsafe(`CREATE TRIGGER refuse_audit BEFORE INSERT ON "AuditEvent" FOR EACH ROW EXECUTE FUNCTION refuse_audit()`);
    try {
      await expect(work()).rejects.toThrow(/audit store unavailable/);
    } finally {
      await t.db.$executeRawUnsafe(`DROP TRIGGER refuse_audit ON "AuditEvent"`);
      await t.db.$executeRawUnsafe(`DROP FUNCTION refuse_audit()`);
    }
  };

  it("creates a server and audits it in its environment's chain", async () => {
    const env = await environment();
    const server = await createServer(t.db, actor, input(env.id));
    expect(server).toMatchObject({ name: "Sales", scopesSupported: ["tools:sales.read", "tools:sales.write"], jwksUri: null, version: 1 });
    const [event] = await t.db.auditEvent.findMany();
    expect(event).toMatchObject({ action: "server.created", environmentId: env.id, target: `server:${server.id}`, actor: actor.id });
    expect(event!.details).toMatchObject({ after: { name: "Sales", resourceUri: "https://sales.example.com/mcp" } });
  });

  it("saves a server without OAuth (no issuer): its metadata lists no authorization server, and it publishes with an empty issuer", async () => {
    const env = await environment();
    const server = await createServer(t.db, actor, input(env.id, { authorizationServer: "", resourceUri: "http://127.0.0.1:4000/mcp" }));
    expect(server.authorizationServer).toBeNull();
    expect(protectedResourceMetadata(server).authorization_servers).toEqual([]);
    const published = await buildPublishedConfig(t.db, env.id);
    // Configs keep a string here, so SDKs that require one go on verifying them.
    expect(published.servers).toEqual([expect.objectContaining({ name: "Sales", authorizationServer: "" })]);
  });

  it("refuses plain http for a resource identifier that is not on loopback, naming the rule", () => {
    const parsed = CreateServerSchema.safeParse({ environmentId: "0190d1a2-0000-7000-8000-0000000000ff", name: "x", resourceUri: "http://mcp.example.com/mcp" });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toBe("The resource identifier must use https. Plain http is allowed only for localhost, 127.0.0.1 or [::1].");
  });

  it("writes no server when its audit event cannot be written", async () => {
    const env = await environment();
    await failWithAuditStore(() => createServer(t.db, actor, input(env.id)));
    expect(await t.db.mcpServer.count()).toBe(0);
  });

  it("refuses a name or resource identifier already used in the environment, as field errors", async () => {
    const env = await environment();
    await createServer(t.db, actor, input(env.id));
    const attempt = createServer(t.db, actor, input(env.id));
    await expect(attempt).rejects.toBeInstanceOf(DomainError);
    await expect(attempt).rejects.toMatchObject({
      fieldErrors: {
        name: ["Another server in this environment has this name."],
        resourceUri: ["Another server in this environment has this resource identifier."],
      },
    });
    expect(await t.db.mcpServer.count()).toBe(1);
    expect(await t.db.auditEvent.count()).toBe(1);
  });

  it("refuses a server for an environment that does not exist, writing nothing", async () => {
    await expect(createServer(t.db, actor, input("0190d1a2-0000-7000-8000-0000000000ff"))).rejects.toThrow("This environment no longer exists.");
    expect(await t.db.mcpServer.count()).toBe(0);
  });

  it("allows the same name and resource in another environment", async () => {
    await createServer(t.db, actor, input((await environment("dev")).id));
    await createServer(t.db, actor, input((await environment("prod")).id));
    expect(await t.db.mcpServer.count()).toBe(2);
  });

  it("lists servers of one environment with tool counts, searching, sorting and paging", async () => {
    const env = await environment();
    const other = await environment("prod");
    const alpha = await createServer(t.db, actor, input(env.id, { name: "Alpha", resourceUri: "https://alpha.example.com" }));
    await createServer(t.db, actor, input(env.id, { name: "Beta", resourceUri: "https://beta.example.com" }));
    await createServer(t.db, actor, input(other.id, { name: "Elsewhere" }));
    await t.db.tool.createMany({ data: [{ serverId: alpha.id, name: "a" }, { serverId: alpha.id, name: "b" }] });

    const all = await listServers(t.db, env.id, ServerListQuerySchema.parse({}));
    expect(all.total).toBe(2);
    expect(all.rows.map((row) => [row.name, row.toolCount])).toEqual([["Alpha", 2], ["Beta", 0]]);
    const byTools = await listServers(t.db, env.id, ServerListQuerySchema.parse({ sort: "tools", dir: "asc" }));
    expect(byTools.rows.map((row) => row.name)).toEqual(["Beta", "Alpha"]);
    const searched = await listServers(t.db, env.id, ServerListQuerySchema.parse({ q: "BETA.example" }));
    expect(searched.rows.map((row) => row.name)).toEqual(["Beta"]);
    const paged = await listServers(t.db, env.id, ServerListQuerySchema.parse({ size: "10", page: "2" }));
    expect(paged).toEqual({ total: 2, rows: [] });
  });

  it("finds a server only in its own environment, and treats a malformed id as not found", async () => {
    const env = await environment();
    const other = await environment("prod");
    const server = await createServer(t.db, actor, input(env.id));
    expect(await getServer(t.db, env.id, server.id)).toMatchObject({ id: server.id });
    expect(await getServer(t.db, other.id, server.id)).toBeNull();
    expect(await getServer(t.db, env.id, "not-a-uuid")).toBeNull();
  });

  it("updates a server, bumps the version and audits before and after", async () => {
    const env = await environment();
    const server = await createServer(t.db, actor, input(env.id));
    const updated = await updateServer(t.db, actor, { ...input(env.id, { name: "Sales EU" }), serverId: server.id, version: 1 });
    expect(updated).toMatchObject({ name: "Sales EU", version: 2 });
    const event = await t.db.auditEvent.findFirstOrThrow({ where: { action: "server.updated" } });
    expect(event.details).toMatchObject({ before: { name: "Sales" }, after: { name: "Sales EU" } });
  });

  it("refuses a stale update with the fresh values and writes nothing", async () => {
    const env = await environment();
    const server = await createServer(t.db, actor, input(env.id));
    await updateServer(t.db, actor, { ...input(env.id, { name: "First save" }), serverId: server.id, version: 1 });

    const attempt = updateServer(t.db, actor, { ...input(env.id, { name: "Second save" }), serverId: server.id, version: 1 });
    await expect(attempt).rejects.toBeInstanceOf(StaleWriteError);
    await expect(attempt).rejects.toMatchObject({ current: { name: "First save", version: 2 } });
    expect((await getServer(t.db, env.id, server.id))?.name).toBe("First save");
    expect(await t.db.auditEvent.count({ where: { action: "server.updated" } })).toBe(1);
  });

  it("deletes a server with its tools and grants, says how many, and audits the counts", async () => {
    const env = await environment();
    const server = await createServer(t.db, actor, input(env.id));
    const tool = await t.db.tool.create({ data: { serverId: server.id, name: "search" } });
    await t.db.tool.create({ data: { serverId: server.id, name: "update" } });
    const role = await t.db.role.create({ data: { environmentId: env.id, name: "sales", claimValue: "sales" } });
    await t.db.grant.create({ data: { roleId: role.id, toolId: tool.id } });

    expect(await serverDeletionImpact(t.db, server.id)).toEqual({ tools: 2, grants: 1 });
    expect(await deleteServer(t.db, actor, { environmentId: env.id, serverId: server.id, version: 1 })).toEqual({ name: "Sales", tools: 2, grants: 1 });
    expect(await t.db.tool.count()).toBe(0);
    expect(await t.db.grant.count()).toBe(0);
    const event = await t.db.auditEvent.findFirstOrThrow({ where: { action: "server.deleted" } });
    expect(event).toMatchObject({ environmentId: env.id, details: { deletedTools: 2, deletedGrants: 1 } });
  });

  it("keeps the server and its tools when the deletion cannot be audited", async () => {
    const env = await environment();
    const server = await createServer(t.db, actor, input(env.id));
    await t.db.tool.create({ data: { serverId: server.id, name: "search" } });
    await failWithAuditStore(() => deleteServer(t.db, actor, { environmentId: env.id, serverId: server.id, version: 1 }));
    expect(await t.db.mcpServer.count()).toBe(1);
    expect(await t.db.tool.count()).toBe(1);
  });

  it("refuses a stale delete", async () => {
    const env = await environment();
    const server = await createServer(t.db, actor, input(env.id));
    await updateServer(t.db, actor, { ...input(env.id, { name: "Renamed" }), serverId: server.id, version: 1 });
    await expect(deleteServer(t.db, actor, { environmentId: env.id, serverId: server.id, version: 1 })).rejects.toBeInstanceOf(StaleWriteError);
    expect(await t.db.mcpServer.count()).toBe(1);
  });
});

it("derives the RFC 9728 protected resource metadata from the server", () => {
  const server = { name: "Sales", resourceUri: "https://sales.example.com/mcp", authorizationServer: "https://auth.example.com", scopesSupported: ["tools:sales.read"] };
  expect(protectedResourceMetadata(server)).toEqual({
    resource: "https://sales.example.com/mcp",
    authorization_servers: ["https://auth.example.com"],
    scopes_supported: ["tools:sales.read"],
    bearer_methods_supported: ["header"],
    resource_name: "Sales",
  });
  // No scopes: the member is left out rather than published empty.
  expect(protectedResourceMetadata({ ...server, scopesSupported: [] })).not.toHaveProperty("scopes_supported");
});
