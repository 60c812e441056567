import { expect, it } from "vitest";
import { describeEachDatabase } from "@/lib/db/test-harness";
import { NotFoundError } from "@/lib/errors";
import { toolDefinitionHash } from "@/lib/tools/definition-hash";
import { decide } from "@/sdk/src/contract/decide";
import { isToolApproved, loadPolicySnapshot } from "./load";

const AGENT = "https://agent.example/client.json";

describeEachDatabase("policy snapshot from the database", (t) => {
  /** A small but complete environment: two servers, tools in every approval state, roles, grants, clients. */
  async function seed(key = "prod") {
    const environment = await t.db.environment.create({ data: { key, name: key } });
    const server = (name: string) =>
      t.db.mcpServer.create({ data: { environmentId: environment.id, name, resourceUri: `https://${name}.${key}.example/mcp`, authorizationServer: "https://idp.example" } });
    const sales = await server("sales");
    const hr = await server("hr");
    const definition = { name: "read_orders", description: "Read orders", inputSchema: { type: "object" } };
    const approvedHash = toolDefinitionHash(definition);
    const readOrders = await t.db.tool.create({
      data: { serverId: sales.id, name: "read_orders", description: "Read orders", definitionHash: approvedHash, approvedHash },
    });
    const refund = await t.db.tool.create({ data: { serverId: sales.id, name: "refund", riskTier: "HIGH", requiresApproval: true } });
    // Its definition changed after approval.
    const export_ = await t.db.tool.create({
      data: { serverId: sales.id, name: "export", definitionHash: toolDefinitionHash({ ...definition, name: "export", description: "now also emails" }), approvedHash: toolDefinitionHash({ ...definition, name: "export" }) },
    });
    const payroll = await t.db.tool.create({ data: { serverId: hr.id, name: "payroll", enabled: false } });
    // Reported by a server, never approved.
    const vacation = await t.db.tool.create({ data: { serverId: hr.id, name: "vacation", definitionHash: "sha256:new", approvedHash: null } });

    const analyst = await t.db.role.create({ data: { environmentId: environment.id, name: "analyst", claimName: "groups", claimValue: "sales-analysts" } });
    const admin = await t.db.role.create({ data: { environmentId: environment.id, name: "admin", claimValue: "warden-admin" } });
    for (const [role, tool, requiredScopes] of [
      [analyst, readOrders, ["tools:sales.read"]],
      [admin, refund, ["tools:sales.write", "tools:sales.read"]],
      [admin, export_, []],
      [admin, payroll, []],
      [admin, vacation, []],
    ] as const) {
      await t.db.grant.create({ data: { roleId: role.id, toolId: tool.id, requiredScopes: [...requiredScopes] } });
    }
    await t.db.client.createMany({
      data: [
        { environmentId: environment.id, clientId: AGENT, status: "APPROVED", scopeCeiling: ["tools:sales.write", "tools:sales.read"] },
        { environmentId: environment.id, clientId: "https://new.example/client.json", status: "PENDING" },
        { environmentId: environment.id, clientId: "https://narrow.example/client.json", status: "APPROVED", restrictTools: true, allowedTools: ["sales/refund"] },
      ],
    });
    return environment;
  }

  it("builds the draft snapshot of one environment, in a stable order", async () => {
    const prod = await seed("prod");
    await seed("staging");

    expect(await loadPolicySnapshot(t.db, prod.id)).toEqual({
      environment: "prod",
      version: null,
      tools: [
        { server: "hr", name: "payroll", enabled: false, approved: true, riskTier: "LOW", requiresApproval: false },
        { server: "hr", name: "vacation", enabled: true, approved: false, riskTier: "LOW", requiresApproval: false },
        { server: "sales", name: "export", enabled: true, approved: false, riskTier: "LOW", requiresApproval: false },
        { server: "sales", name: "read_orders", enabled: true, approved: true, riskTier: "LOW", requiresApproval: false },
        { server: "sales", name: "refund", enabled: true, approved: true, riskTier: "HIGH", requiresApproval: true },
      ],
      roles: [
        { name: "admin", claimName: "roles", claimValue: "warden-admin" },
        { name: "analyst", claimName: "groups", claimValue: "sales-analysts" },
      ],
      grants: [
        { role: "admin", server: "hr", tool: "payroll", requiredScopes: [] },
        { role: "admin", server: "hr", tool: "vacation", requiredScopes: [] },
        { role: "admin", server: "sales", tool: "export", requiredScopes: [] },
        { role: "admin", server: "sales", tool: "refund", requiredScopes: ["tools:sales.read", "tools:sales.write"] },
        { role: "analyst", server: "sales", tool: "read_orders", requiredScopes: ["tools:sales.read"] },
      ],
      clients: [
        { clientId: AGENT, status: "APPROVED", scopeCeiling: ["tools:sales.read", "tools:sales.write"], restrictTools: false, allowedTools: [] },
        { clientId: "https://narrow.example/client.json", status: "APPROVED", scopeCeiling: [], restrictTools: true, allowedTools: ["sales/refund"] },
        { clientId: "https://new.example/client.json", status: "PENDING", scopeCeiling: [], restrictTools: false, allowedTools: [] },
      ],
    });
  });

  it("decides from what the database holds: the allow path and each kind of deny", async () => {
    const prod = await seed();
    const snapshot = await loadPolicySnapshot(t.db, prod.id);
    const ask = (over: Partial<Parameters<typeof decide>[1]>) =>
      decide(snapshot, { subject: "user-1", clientId: AGENT, server: "sales", tool: "read_orders", scopes: ["tools:sales.read"], claims: { groups: ["sales-analysts"] }, ...over });

    expect(ask({})).toMatchObject({ decision: "allow", reason: "allowed_by_grant", grant: { role: "analyst" }, matchedRoles: ["analyst"], configVersion: null });
    expect(ask({ tool: "refund", claims: { roles: "warden-admin" }, scopes: ["tools:sales.read", "tools:sales.write"] })).toMatchObject({ decision: "allow", requiresApproval: true });
    expect(ask({ tool: "refund", claims: { roles: "warden-admin" } })).toMatchObject({ decision: "deny", reason: "missing_scope", missingScopes: ["tools:sales.write"] });
    expect(ask({ tool: "export", roles: ["admin"] })).toMatchObject({ decision: "deny", reason: "tool_changed_since_approval" });
    expect(ask({ server: "hr", tool: "vacation", roles: ["admin"] })).toMatchObject({ decision: "deny", reason: "tool_changed_since_approval" });
    expect(ask({ server: "hr", tool: "payroll", roles: ["admin"] })).toMatchObject({ decision: "deny", reason: "tool_disabled" });
    expect(ask({ clientId: "https://new.example/client.json" })).toMatchObject({ decision: "deny", reason: "client_not_approved" });
    expect(ask({ clientId: "https://narrow.example/client.json" })).toMatchObject({ decision: "deny", reason: "client_tool_not_allowed" });
    expect(ask({ clientId: "https://stranger.example/client.json" })).toMatchObject({ decision: "deny", reason: "unknown_client" });
    expect(ask({ claims: { groups: ["other"] } })).toMatchObject({ decision: "deny", reason: "no_grant" });
    expect(ask({ tool: "nope" })).toMatchObject({ decision: "deny", reason: "unknown_tool" });
  });

  it("sees a revoked grant and a suspended client at once", async () => {
    const prod = await seed();
    const request = { subject: "u", clientId: AGENT, server: "sales", tool: "read_orders", scopes: ["tools:sales.read"], roles: ["analyst"] };
    expect(decide(await loadPolicySnapshot(t.db, prod.id), request).decision).toBe("allow");

    await t.db.client.updateMany({ where: { clientId: AGENT, environmentId: prod.id }, data: { status: "SUSPENDED" } });
    expect(decide(await loadPolicySnapshot(t.db, prod.id), request)).toMatchObject({ decision: "deny", reason: "client_not_approved" });

    await t.db.client.updateMany({ where: { clientId: AGENT, environmentId: prod.id }, data: { status: "APPROVED" } });
    await t.db.grant.deleteMany({ where: { role: { name: "analyst", environmentId: prod.id } } });
    expect(decide(await loadPolicySnapshot(t.db, prod.id), request)).toMatchObject({ decision: "deny", reason: "no_grant" });
  });

  it("gives an empty snapshot for an environment with nothing defined, and refuses an unknown one", async () => {
    const dev = await t.db.environment.create({ data: { key: "dev", name: "Development" } });
    expect(await loadPolicySnapshot(t.db, dev.id)).toEqual({ environment: "dev", version: null, tools: [], roles: [], grants: [], clients: [] });
    await expect(loadPolicySnapshot(t.db, "00000000-0000-7000-8000-000000000000")).rejects.toBeInstanceOf(NotFoundError);
  });
});

it("counts a tool as approved only when its live definition is the approved one, or it has none", () => {
  expect(isToolApproved({ definitionHash: null, approvedHash: null })).toBe(true);
  expect(isToolApproved({ definitionHash: "sha256:a", approvedHash: "sha256:a" })).toBe(true);
  expect(isToolApproved({ definitionHash: "sha256:a", approvedHash: null })).toBe(false);
  expect(isToolApproved({ definitionHash: "sha256:b", approvedHash: "sha256:a" })).toBe(false);
});
