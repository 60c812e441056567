import { expect, it } from "vitest";
import { describeEachDatabase } from "@/lib/db/test-harness";
import { DomainError, NotFoundError, StaleWriteError } from "@/lib/errors";
import { CreateScopeSchema, ScopeListQuerySchema, ScopeNameSchema, createScope, deleteScope, listScopes, updateScope } from "./scopes";

const actor = { id: "0190a0a0-0000-7000-8000-000000000001", email: "owner@example.com", ip: "192.0.2.10" };

it.each([
  ["tools:sales.read", true],
  ["https://api.example.com/orders.write", true],
  ["a_b-c/d", true],
  ["", false],
  ["   ", false],
  ["sales read", false],
  ["sales\tread", false],
  ["sales\"read", false],
  ["ventes:lire:é", false],
  ["x".repeat(128), true],
  ["x".repeat(129), false],
])("scope name %j is %s", (name, valid) => {
  expect(ScopeNameSchema.safeParse(name).success).toBe(valid);
});

it("explains each refused scope name in words the admin can act on", () => {
  const message = (name: string) => ScopeNameSchema.safeParse(name).error?.issues[0]?.message;
  expect(message("")).toBe("Enter a scope name.");
  expect(message("sales read")).toMatch(/cannot contain spaces/);
  expect(message("x".repeat(129))).toMatch(/at most 128 characters/);
  expect(message("sales*")).toMatch(/Use only letters, digits/);
  // Surrounding whitespace is trimmed rather than refused.
  expect(ScopeNameSchema.parse("  tools:read ")).toBe("tools:read");
});

describeEachDatabase("scopes", (t) => {
  const environment = (key = "dev") => t.db.environment.create({ data: { key, name: key } });
  const grantWithScopes = async (environmentId: string, scopes: string[], roleName = "support") => {
    const role = await t.db.role.upsert({
      where: { environmentId_name: { environmentId, name: roleName } },
      create: { environmentId, name: roleName, claimValue: roleName },
      update: {},
    });
    const server = await t.db.mcpServer.create({
      data: { environmentId, name: `srv-${Math.random()}`, resourceUri: `https://mcp.example.com/${Math.random()}`, authorizationServer: "https://idp.example.com" },
    });
    const tool = await t.db.tool.create({ data: { serverId: server.id, name: "lookup" } });
    return t.db.grant.create({ data: { roleId: role.id, toolId: tool.id, requiredScopes: scopes } });
  };

  it("creates a scope and audits it in its environment", async () => {
    const env = await environment();
    const created = await createScope(t.db, actor, env.id, CreateScopeSchema.parse({ name: "tools:sales.read", description: " Read sales " }));

    expect(await t.db.scope.findUniqueOrThrow({ where: { id: created.id } })).toMatchObject({
      environmentId: env.id,
      name: "tools:sales.read",
      description: "Read sales",
      version: 1,
    });
    const [event] = await t.db.auditEvent.findMany();
    expect(event).toMatchObject({
      action: "scope.created",
      environmentId: env.id,
      actor: actor.id,
      target: `scope:${created.id}`,
      details: { after: { name: "tools:sales.read", description: "Read sales" } },
    });
  });

  it("refuses a name already used in the environment with a field error, but allows it in another environment", async () => {
    const dev = await environment("dev");
    const prod = await environment("prod");
    await createScope(t.db, actor, dev.id, { name: "orders:write", description: null });

    const attempt = createScope(t.db, actor, dev.id, { name: "orders:write", description: null });
    await expect(attempt).rejects.toBeInstanceOf(DomainError);
    await expect(attempt).rejects.toMatchObject({ fieldErrors: { name: ["This name is already used by another scope."] } });
    await createScope(t.db, actor, prod.id, { name: "orders:write", description: null });

    expect(await t.db.scope.count()).toBe(2);
    expect(await t.db.auditEvent.count()).toBe(2);
  });

  it("refuses the second of two simultaneous creations of one name with the same field error", async () => {
    const env = await environment();
    const results = await Promise.allSettled([
      createScope(t.db, actor, env.id, { name: "race", description: null }),
      createScope(t.db, actor, env.id, { name: "race", description: null }),
    ]);
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    const refused = results.find((result) => result.status === "rejected");
    expect(refused?.reason).toMatchObject({ fieldErrors: { name: ["This name is already used by another scope."] } });
    expect(await t.db.scope.count()).toBe(1);
  });

  it("lists with search, sorting, paging and how many grants use each scope", async () => {
    const env = await environment();
    const other = await environment("prod");
    for (const name of ["b:read", "a:read", "c:write"]) await createScope(t.db, actor, env.id, { name, description: null });
    await createScope(t.db, actor, other.id, { name: "a:read", description: null });
    await grantWithScopes(env.id, ["a:read", "c:write"]);
    await grantWithScopes(env.id, ["a:read"]);
    // The same name required in another environment does not count here.
    await grantWithScopes(other.id, ["a:read"]);

    const all = await listScopes(t.db, env.id, ScopeListQuerySchema.parse({}));
    expect(all.total).toBe(3);
    expect(all.rows.map((row) => [row.name, row.grantCount])).toEqual([["a:read", 2], ["b:read", 0], ["c:write", 1]]);

    const searched = await listScopes(t.db, env.id, ScopeListQuerySchema.parse({ q: "READ", sort: "name", dir: "desc" }));
    expect(searched.rows.map((row) => row.name)).toEqual(["b:read", "a:read"]);

    const paged = await listScopes(t.db, env.id, ScopeListQuerySchema.parse({ size: "10", page: "2" }));
    expect(paged).toMatchObject({ total: 3, rows: [] });
  });

  it("updates the description, bumps the version and audits before and after", async () => {
    const env = await environment();
    const { id } = await createScope(t.db, actor, env.id, { name: "x:read", description: "old" });

    await updateScope(t.db, actor, env.id, { scopeId: id, name: "x:read", description: "new", version: 1 });

    expect(await t.db.scope.findUniqueOrThrow({ where: { id } })).toMatchObject({ description: "new", version: 2 });
    const event = await t.db.auditEvent.findFirstOrThrow({ where: { action: "scope.updated" } });
    expect(event.details).toEqual({ before: { name: "x:read", description: "old" }, after: { name: "x:read", description: "new" } });
  });

  it("renaming a scope rewrites every grant of its environment that requires it, in the same change", async () => {
    const env = await environment();
    const other = await environment("prod");
    const { id } = await createScope(t.db, actor, env.id, { name: "sales.read", description: null });
    await createScope(t.db, actor, env.id, { name: "sales.write", description: null });
    const uses = await grantWithScopes(env.id, ["sales.read", "sales.write"]);
    const untouched = await grantWithScopes(env.id, ["sales.write"]);
    const elsewhere = await grantWithScopes(other.id, ["sales.read"]);

    const result = await updateScope(t.db, actor, env.id, { scopeId: id, name: "tools:sales.read", description: null, version: 1 });

    expect(result.grantsRewritten).toBe(1);
    expect(await t.db.grant.findUniqueOrThrow({ where: { id: uses.id } })).toMatchObject({
      requiredScopes: ["tools:sales.read", "sales.write"],
      version: 2,
    });
    expect(await t.db.grant.findUniqueOrThrow({ where: { id: untouched.id } })).toMatchObject({ requiredScopes: ["sales.write"], version: 1 });
    expect(await t.db.grant.findUniqueOrThrow({ where: { id: elsewhere.id } })).toMatchObject({ requiredScopes: ["sales.read"], version: 1 });
    const event = await t.db.auditEvent.findFirstOrThrow({ where: { action: "scope.updated" } });
    expect(event.details).toMatchObject({ before: { name: "sales.read" }, after: { name: "tools:sales.read" }, grantsRewritten: 1 });
  });

  it("refuses a rename onto another scope's name and changes nothing", async () => {
    const env = await environment();
    const { id } = await createScope(t.db, actor, env.id, { name: "a", description: null });
    await createScope(t.db, actor, env.id, { name: "b", description: null });
    const grant = await grantWithScopes(env.id, ["a"]);

    await expect(updateScope(t.db, actor, env.id, { scopeId: id, name: "b", description: null, version: 1 })).rejects.toMatchObject({
      fieldErrors: { name: ["This name is already used by another scope."] },
    });
    expect((await t.db.scope.findUniqueOrThrow({ where: { id } })).name).toBe("a");
    expect((await t.db.grant.findUniqueOrThrow({ where: { id: grant.id } })).requiredScopes).toEqual(["a"]);
  });

  it("refuses a stale edit with the current values and keeps the first admin's change", async () => {
    const env = await environment();
    const { id } = await createScope(t.db, actor, env.id, { name: "a", description: null });
    await updateScope(t.db, actor, env.id, { scopeId: id, name: "a", description: "first", version: 1 });

    const attempt = updateScope(t.db, actor, env.id, { scopeId: id, name: "a", description: "second", version: 1 });
    await expect(attempt).rejects.toBeInstanceOf(StaleWriteError);
    await expect(attempt).rejects.toMatchObject({ current: { name: "a", description: "first", version: 2 } });
    expect((await t.db.scope.findUniqueOrThrow({ where: { id } })).description).toBe("first");
  });

  it("treats a scope of another environment as not found, even with its real id", async () => {
    const dev = await environment("dev");
    const prod = await environment("prod");
    const { id } = await createScope(t.db, actor, prod.id, { name: "a", description: null });

    await expect(updateScope(t.db, actor, dev.id, { scopeId: id, name: "b", description: null, version: 1 })).rejects.toBeInstanceOf(NotFoundError);
    await expect(deleteScope(t.db, actor, dev.id, { scopeId: id, version: 1 })).rejects.toBeInstanceOf(NotFoundError);
    expect(await t.db.scope.findUniqueOrThrow({ where: { id } })).toMatchObject({ name: "a" });
  });

  it("refuses to delete a scope that grants require, saying how many", async () => {
    const env = await environment();
    const { id } = await createScope(t.db, actor, env.id, { name: "orders:write", description: null });
    await grantWithScopes(env.id, ["orders:write"]);
    await grantWithScopes(env.id, ["orders:write"], "ops");

    await expect(deleteScope(t.db, actor, env.id, { scopeId: id, version: 1 })).rejects.toThrow(
      "orders:write is required by 2 grants, so it cannot be deleted. Remove it from those grants in the grants matrix first.",
    );
    expect(await t.db.scope.count()).toBe(1);
    expect(await t.db.auditEvent.count({ where: { action: "scope.deleted" } })).toBe(0);
  });

  it("deletes an unused scope and audits it; a stale delete is refused", async () => {
    const env = await environment();
    const { id } = await createScope(t.db, actor, env.id, { name: "unused", description: "d" });
    await updateScope(t.db, actor, env.id, { scopeId: id, name: "unused", description: "changed", version: 1 });

    await expect(deleteScope(t.db, actor, env.id, { scopeId: id, version: 1 })).rejects.toBeInstanceOf(StaleWriteError);
    await deleteScope(t.db, actor, env.id, { scopeId: id, version: 2 });

    expect(await t.db.scope.count()).toBe(0);
    const event = await t.db.auditEvent.findFirstOrThrow({ where: { action: "scope.deleted" } });
    expect(event).toMatchObject({ environmentId: env.id, details: { before: { name: "unused", description: "changed" } } });
  });
});
