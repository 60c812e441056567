import { expect, it } from "vitest";
import { describeEachDatabase } from "@/lib/db/test-harness";
import { DomainError, NotFoundError, StaleWriteError } from "@/lib/errors";
import {
  ApplyGrantsSchema,
  GrantListQuerySchema,
  SetGrantSchema,
  applyGrants,
  findTool,
  getGrantMatrix,
  grantKey,
  listGrantsForRole,
  listGrantsForTool,
  revokeGrant,
  setGrant,
  toolRisk,
} from "./grants";

const actor = { id: "0190a0a0-0000-7000-8000-000000000001", email: "owner@example.com", ip: "192.0.2.10" };

it("marks high-risk and self-declared destructive tools, and only those", () => {
  expect(toolRisk({ riskTier: "CRITICAL", annotations: {} })).toEqual({ riskTier: "CRITICAL", highRisk: true, destructive: false, readOnly: false });
  expect(toolRisk({ riskTier: "HIGH", annotations: null })).toMatchObject({ highRisk: true });
  expect(toolRisk({ riskTier: "MEDIUM", annotations: { destructiveHint: true } })).toMatchObject({ highRisk: false, destructive: true });
  expect(toolRisk({ riskTier: "LOW", annotations: { readOnlyHint: true, destructiveHint: "yes" } })).toMatchObject({ destructive: false, readOnly: true });
  // A read-only tool is never destructive, whatever default the hint carries.
  expect(toolRisk({ riskTier: "LOW", annotations: { readOnlyHint: true, destructiveHint: true } })).toMatchObject({ destructive: false, readOnly: true });
});

it("normalises required scopes: trimmed, de-duplicated, sorted", () => {
  const parsed = SetGrantSchema.parse({
    roleId: "0190a0a0-0000-7000-8000-000000000002",
    toolId: "0190a0a0-0000-7000-8000-000000000003",
    requiredScopes: [" b ", "a", "b"],
    version: null,
  });
  expect(parsed.requiredScopes).toEqual(["a", "b"]);
  expect(ApplyGrantsSchema.safeParse({ roleIds: [], toolIds: ["0190a0a0-0000-7000-8000-000000000003"], action: "grant" }).error?.issues[0]?.message).toBe(
    "Select at least one role.",
  );
  expect(ApplyGrantsSchema.safeParse({ roleIds: ["0190a0a0-0000-7000-8000-000000000002"], toolIds: [], action: "revoke" }).error?.issues[0]?.message).toBe(
    "Select at least one tool.",
  );
});

describeEachDatabase("grants", (t) => {
  async function world(key = "dev") {
    const env = await t.db.environment.create({ data: { key, name: key } });
    const server = await t.db.mcpServer.create({
      data: { environmentId: env.id, name: "sales-mcp", resourceUri: `https://mcp.example.com/${key}/sales`, authorizationServer: "https://idp.example.com" },
    });
    const billing = await t.db.mcpServer.create({
      data: { environmentId: env.id, name: "billing-mcp", resourceUri: `https://mcp.example.com/${key}/billing`, authorizationServer: "https://idp.example.com" },
    });
    const lookup = await t.db.tool.create({ data: { serverId: server.id, name: "lookup_order", annotations: { readOnlyHint: true } } });
    const refund = await t.db.tool.create({ data: { serverId: billing.id, name: "refund", riskTier: "CRITICAL", annotations: { destructiveHint: true } } });
    const support = await t.db.role.create({ data: { environmentId: env.id, name: "support", claimValue: "support" } });
    const finance = await t.db.role.create({ data: { environmentId: env.id, name: "finance", claimName: "groups", claimValue: "finance" } });
    await t.db.scope.createMany({ data: ["orders:read", "refunds:write"].map((name) => ({ environmentId: env.id, name })) });
    return { env, server, billing, lookup, refund, support, finance };
  }

  it("builds the matrix: roles as columns, tools grouped by server, risk marked, each cell's grant or nothing", async () => {
    const w = await world();
    const other = await world("prod");
    const grant = await setGrant(t.db, actor, w.env.id, { roleId: w.support.id, toolId: w.lookup.id, requiredScopes: ["orders:read"], version: null });
    await setGrant(t.db, actor, other.env.id, { roleId: other.finance.id, toolId: other.refund.id, requiredScopes: [], version: null });

    const matrix = await getGrantMatrix(t.db, w.env.id);

    expect(matrix.roles.map((role) => role.name)).toEqual(["finance", "support"]);
    expect(matrix.roles[0]).toMatchObject({ claimName: "groups", claimValue: "finance" });
    expect(matrix.servers.map((server) => [server.name, server.tools.map((tool) => tool.name)])).toEqual([
      ["billing-mcp", ["refund"]],
      ["sales-mcp", ["lookup_order"]],
    ]);
    expect(matrix.servers[0]!.tools[0]).toMatchObject({ riskTier: "CRITICAL", highRisk: true, destructive: true });
    expect(matrix.servers[1]!.tools[0]).toMatchObject({ riskTier: "LOW", highRisk: false, destructive: false, readOnly: true });
    expect(matrix.grants).toEqual({ [grantKey(w.support.id, w.lookup.id)]: { id: grant.id, requiredScopes: ["orders:read"], version: 1 } });
  });

  it("grants with one call, audits it with the tool and server, and changes the required scopes later", async () => {
    const w = await world();

    const created = await setGrant(t.db, actor, w.env.id, { roleId: w.finance.id, toolId: w.refund.id, requiredScopes: [], version: null });
    const updated = await setGrant(t.db, actor, w.env.id, {
      roleId: w.finance.id,
      toolId: w.refund.id,
      requiredScopes: ["refunds:write", "orders:read"],
      version: created.version,
    });

    expect(updated).toMatchObject({ id: created.id, version: 2, changed: true });
    expect(await t.db.grant.findUniqueOrThrow({ where: { id: created.id } })).toMatchObject({ requiredScopes: ["orders:read", "refunds:write"], version: 2 });
    const events = await t.db.auditEvent.findMany({ orderBy: { seq: "asc" } });
    expect(events.map((event) => event.action)).toEqual(["grant.created", "grant.updated"]);
    expect(events[0]).toMatchObject({
      environmentId: w.env.id,
      server: "billing-mcp",
      tool: "refund",
      target: `grant:${created.id}`,
      details: { role: "finance", before: { granted: false }, after: { granted: true, requiredScopes: [] } },
    });
    expect(events[1]!.details).toMatchObject({
      before: { granted: true, requiredScopes: [] },
      after: { granted: true, requiredScopes: ["orders:read", "refunds:write"] },
    });
  });

  it("saving the same scopes again changes nothing and writes no audit event", async () => {
    const w = await world();
    const created = await setGrant(t.db, actor, w.env.id, { roleId: w.finance.id, toolId: w.refund.id, requiredScopes: ["orders:read"], version: null });
    const again = await setGrant(t.db, actor, w.env.id, { roleId: w.finance.id, toolId: w.refund.id, requiredScopes: ["orders:read"], version: 1 });
    expect(again).toMatchObject({ id: created.id, version: 1, changed: false });
    expect(await t.db.auditEvent.count()).toBe(1);
  });

  it("refuses scopes that do not exist in the environment, naming them, and writes nothing", async () => {
    const w = await world();
    const other = await world("prod");
    await t.db.scope.create({ data: { environmentId: other.env.id, name: "prod-only" } });

    const attempt = setGrant(t.db, actor, w.env.id, {
      roleId: w.support.id,
      toolId: w.lookup.id,
      requiredScopes: ["orders:read", "prod-only", "typo:raed"],
      version: null,
    });

    await expect(attempt).rejects.toThrow("These scopes do not exist in this environment: prod-only, typo:raed. Create them under Scopes first.");
    await expect(attempt).rejects.toMatchObject({ fieldErrors: { requiredScopes: ["Unknown scopes: prod-only, typo:raed"] } });
    expect(await t.db.grant.count()).toBe(0);
    expect(await t.db.auditEvent.count()).toBe(0);
  });

  it("refuses a role or a tool from another environment, even with real ids", async () => {
    const dev = await world("dev");
    const prod = await world("prod");

    await expect(setGrant(t.db, actor, dev.env.id, { roleId: prod.support.id, toolId: dev.lookup.id, requiredScopes: [], version: null })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(setGrant(t.db, actor, dev.env.id, { roleId: dev.support.id, toolId: prod.lookup.id, requiredScopes: [], version: null })).rejects.toThrow(
      "This tool no longer exists",
    );
    await expect(
      applyGrants(t.db, actor, dev.env.id, { roleIds: [dev.support.id, dev.finance.id], toolIds: [dev.lookup.id, prod.refund.id], action: "grant", requiredScopes: [] }),
    ).rejects.toThrow("1 of the selected tools no longer exist in this environment. Nothing was changed.");
    expect(await t.db.grant.count()).toBe(0);
  });

  it("refuses a stale edit of a grant with the fresh values, never overwriting the first save", async () => {
    const w = await world();
    await setGrant(t.db, actor, w.env.id, { roleId: w.support.id, toolId: w.lookup.id, requiredScopes: [], version: null });
    // First admin saves a change...
    await setGrant(t.db, actor, w.env.id, { roleId: w.support.id, toolId: w.lookup.id, requiredScopes: ["orders:read"], version: 1 });

    // ...the second admin saves from the page they loaded before it.
    const stale = setGrant(t.db, actor, w.env.id, { roleId: w.support.id, toolId: w.lookup.id, requiredScopes: ["refunds:write"], version: 1 });
    await expect(stale).rejects.toBeInstanceOf(StaleWriteError);
    await expect(stale).rejects.toMatchObject({ current: { requiredScopes: ["orders:read"], version: 2 } });
    await expect(stale).rejects.toThrow(/changed by someone else .* now requires orders:read/);

    // Granting a cell the admin saw empty, when someone else granted it meanwhile, is stale too.
    await expect(setGrant(t.db, actor, w.env.id, { roleId: w.support.id, toolId: w.lookup.id, requiredScopes: [], version: null })).rejects.toBeInstanceOf(
      StaleWriteError,
    );
    expect((await t.db.grant.findFirstOrThrow()).requiredScopes).toEqual(["orders:read"]);
  });

  it("two admins granting the same empty cell at once: one wins, the other is told with the fresh values", async () => {
    const w = await world();
    const results = await Promise.allSettled([
      setGrant(t.db, actor, w.env.id, { roleId: w.support.id, toolId: w.lookup.id, requiredScopes: ["orders:read"], version: null }),
      setGrant(t.db, actor, w.env.id, { roleId: w.support.id, toolId: w.lookup.id, requiredScopes: [], version: null }),
    ]);
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    const refused = results.find((result) => result.status === "rejected") as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(StaleWriteError);
    expect(await t.db.grant.count()).toBe(1);
    expect(await t.db.auditEvent.count()).toBe(1);
  });

  it("revokes with the version the admin saw; a stale or repeated revoke is refused", async () => {
    const w = await world();
    await setGrant(t.db, actor, w.env.id, { roleId: w.support.id, toolId: w.lookup.id, requiredScopes: [], version: null });
    await setGrant(t.db, actor, w.env.id, { roleId: w.support.id, toolId: w.lookup.id, requiredScopes: ["orders:read"], version: 1 });

    await expect(revokeGrant(t.db, actor, w.env.id, { roleId: w.support.id, toolId: w.lookup.id, version: 1 })).rejects.toBeInstanceOf(StaleWriteError);
    expect(await t.db.grant.count()).toBe(1);
    await revokeGrant(t.db, actor, w.env.id, { roleId: w.support.id, toolId: w.lookup.id, version: 2 });
    expect(await t.db.grant.count()).toBe(0);
    await expect(revokeGrant(t.db, actor, w.env.id, { roleId: w.support.id, toolId: w.lookup.id, version: 2 })).rejects.toThrow(/revoked by someone else/);

    const revoked = await t.db.auditEvent.findFirstOrThrow({ where: { action: "grant.revoked" } });
    expect(revoked).toMatchObject({
      tool: "lookup_order",
      server: "sales-mcp",
      details: { role: "support", before: { granted: true, requiredScopes: ["orders:read"] }, after: { granted: false } },
    });
  });

  it("bulk grant sets the chosen scopes on every selected pair, with one audit event per changed grant", async () => {
    const w = await world();
    // Already granted with other scopes, and already granted with the chosen ones.
    await setGrant(t.db, actor, w.env.id, { roleId: w.support.id, toolId: w.lookup.id, requiredScopes: [], version: null });
    await setGrant(t.db, actor, w.env.id, { roleId: w.finance.id, toolId: w.lookup.id, requiredScopes: ["orders:read"], version: null });
    const before = await t.db.auditEvent.count();

    const result = await applyGrants(t.db, actor, w.env.id, {
      roleIds: [w.support.id, w.finance.id],
      toolIds: [w.lookup.id, w.refund.id],
      action: "grant",
      requiredScopes: ["orders:read"],
    });

    expect(result).toEqual({ created: 2, updated: 1, revoked: 0, unchanged: 1 });
    const grants = await t.db.grant.findMany();
    expect(grants).toHaveLength(4);
    expect(grants.every((grant) => grant.requiredScopes.join() === "orders:read")).toBe(true);
    const events = await t.db.auditEvent.findMany({ where: { seq: { gt: before } }, orderBy: { seq: "asc" } });
    expect(events.map((event) => event.action).sort()).toEqual(["grant.created", "grant.created", "grant.updated"]);
  });

  it("bulk revoke removes the selected grants and leaves the rest", async () => {
    const w = await world();
    await applyGrants(t.db, actor, w.env.id, { roleIds: [w.support.id, w.finance.id], toolIds: [w.lookup.id, w.refund.id], action: "grant", requiredScopes: [] });

    const result = await applyGrants(t.db, actor, w.env.id, { roleIds: [w.finance.id], toolIds: [w.lookup.id, w.refund.id], action: "revoke", requiredScopes: [] });

    expect(result).toEqual({ created: 0, updated: 0, revoked: 2, unchanged: 0 });
    expect((await t.db.grant.findMany()).map((grant) => grant.roleId)).toEqual([w.support.id, w.support.id]);
    expect(await t.db.auditEvent.count({ where: { action: "grant.revoked" } })).toBe(2);
  });

  it("a bulk change is all or nothing: an unknown scope or a failure part-way leaves every grant as it was", async () => {
    const w = await world();
    await expect(
      applyGrants(t.db, actor, w.env.id, { roleIds: [w.support.id], toolIds: [w.lookup.id, w.refund.id], action: "grant", requiredScopes: ["nope"] }),
    ).rejects.toBeInstanceOf(DomainError);
    expect(await t.db.grant.count()).toBe(0);

    // A real failure inside the database after some grants were written.
    await t.db.$executeRawUnsafe(`
      CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'audit store unavailable'; END $$`);
    await t.db.$executeRawUnsafe(`CREATE TRIGGER refuse_audit BEFORE INSERT ON "AuditEvent" FOR EACH ROW EXECUTE FUNCTION refuse_audit()`);
    try {
      await expect(
        applyGrants(t.db, actor, w.env.id, { roleIds: [w.support.id, w.finance.id], toolIds: [w.lookup.id, w.refund.id], action: "grant", requiredScopes: [] }),
      ).rejects.toThrow(/audit store unavailable/);
    } finally {
      await t.db.$executeRawUnsafe(`DROP TRIGGER refuse_audit ON "AuditEvent"`);
      await t.db.$executeRawUnsafe(`DROP FUNCTION refuse_audit()`);
    }
    expect(await t.db.grant.count()).toBe(0);
  });

  it("answers 'what can this role do?' and 'who can call this tool?' within the environment", async () => {
    const w = await world();
    await applyGrants(t.db, actor, w.env.id, { roleIds: [w.support.id], toolIds: [w.lookup.id, w.refund.id], action: "grant", requiredScopes: ["orders:read"] });
    await setGrant(t.db, actor, w.env.id, { roleId: w.finance.id, toolId: w.refund.id, requiredScopes: ["refunds:write"], version: null });
    const query = GrantListQuerySchema.parse({});

    const roleGrants = await listGrantsForRole(t.db, w.env.id, w.support.id, query);
    expect(roleGrants.total).toBe(2);
    expect(roleGrants.rows.map((row) => [row.tool.serverName, row.tool.name, row.requiredScopes])).toEqual([
      ["billing-mcp", "refund", ["orders:read"]],
      ["sales-mcp", "lookup_order", ["orders:read"]],
    ]);
    expect(roleGrants.rows[0]!.tool).toMatchObject({ highRisk: true, destructive: true });
    expect((await listGrantsForRole(t.db, w.env.id, w.support.id, GrantListQuerySchema.parse({ q: "SALES" }))).rows.map((row) => row.tool.name)).toEqual([
      "lookup_order",
    ]);

    const toolGrants = await listGrantsForTool(t.db, w.env.id, w.refund.id, query);
    expect(toolGrants.rows.map((row) => [row.role.name, row.requiredScopes])).toEqual([
      ["finance", ["refunds:write"]],
      ["support", ["orders:read"]],
    ]);
    expect(await findTool(t.db, w.env.id, w.refund.id)).toMatchObject({ name: "refund", serverName: "billing-mcp", riskTier: "CRITICAL" });

    // Asked from another environment, the same ids answer nothing.
    const prod = await world("prod");
    expect(await findTool(t.db, prod.env.id, w.refund.id)).toBeNull();
    expect((await listGrantsForTool(t.db, prod.env.id, w.refund.id, query)).total).toBe(0);
    expect((await listGrantsForRole(t.db, prod.env.id, w.support.id, query)).total).toBe(0);
  });

  it("deleting a scope in use is refused even when the grant was saved a moment before", async () => {
    const w = await world();
    const scope = await t.db.scope.findFirstOrThrow({ where: { environmentId: w.env.id, name: "refunds:write" } });
    const { deleteScope } = await import("@/lib/scopes/scopes");
    const results = await Promise.allSettled([
      setGrant(t.db, actor, w.env.id, { roleId: w.finance.id, toolId: w.refund.id, requiredScopes: ["refunds:write"], version: null }),
      deleteScope(t.db, actor, w.env.id, { scopeId: scope.id, version: 1 }),
    ]);
    // Whichever committed first, no grant is left requiring a scope that no longer exists.
    const grants = await t.db.grant.findMany();
    const scopes = await t.db.scope.findMany({ where: { name: "refunds:write" } });
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    expect(grants.length === 0 ? "scope deleted, grant refused" : "grant saved, deletion refused").toBe(
      scopes.length === 0 ? "scope deleted, grant refused" : "grant saved, deletion refused",
    );
  });

  it("deleting a role while a grant to it is being saved never leaves the grant behind or miscounts it", async () => {
    const w = await world();
    const { deleteRole } = await import("@/lib/roles/roles");
    const results = await Promise.allSettled([
      setGrant(t.db, actor, w.env.id, { roleId: w.finance.id, toolId: w.refund.id, requiredScopes: [], version: null }),
      deleteRole(t.db, actor, w.env.id, { roleId: w.finance.id, version: 1, grantCount: 0 }),
    ]);
    const roleLeft = await t.db.role.count({ where: { id: w.finance.id } });
    const grantsLeft = await t.db.grant.count({ where: { roleId: w.finance.id } });
    // Either the grant came first (and the deletion, confirmed for 0 grants, is refused) or the role went first (and the grant is refused).
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    expect([roleLeft, grantsLeft]).toEqual(roleLeft ? [1, 1] : [0, 0]);
  });
});
