import { expect, it } from "vitest";
import { describeEachDatabase } from "@/lib/db/test-harness";
import { DomainError, NotFoundError, StaleWriteError } from "@/lib/errors";
import { ClaimNameSchema, ClaimValueSchema, CreateRoleSchema, RoleListQuerySchema, RoleNameSchema, createRole, deleteRole, findRole, listRoles, updateRole } from "./roles";

const actor = { id: "0190a0a0-0000-7000-8000-000000000001", email: "owner@example.com", ip: "192.0.2.10" };

it.each([
  ["Sales agent", true],
  ["  ", false],
  ["x".repeat(100), true],
  ["x".repeat(101), false],
  ["bad\u0007bell", false],
])("role name %j is %s", (name, valid) => {
  expect(RoleNameSchema.safeParse(name).success).toBe(valid);
});

it.each([
  ["roles", true],
  ["groups", true],
  ["https://example.com/roles", true],
  ["cognito:groups", true],
  ["", false],
  ["my roles", false],
  ["roles\"", false],
  ["x".repeat(257), false],
])("claim name %j is %s", (name, valid) => {
  expect(ClaimNameSchema.safeParse(name).success).toBe(valid);
});

it.each([
  ["sales-agent", true],
  ["Sales Team", true],
  ["", false],
  ["  ", false],
  ["x".repeat(257), false],
  ["line\nbreak", false],
])("claim value %j is %s", (value, valid) => {
  expect(ClaimValueSchema.safeParse(value).success).toBe(valid);
});

it("tells the admin what each refused role field needs", () => {
  const result = CreateRoleSchema.safeParse({ name: "", claimName: "my roles", claimValue: "" });
  const messages = Object.fromEntries(result.error!.issues.map((issue) => [issue.path.join("."), issue.message]));
  expect(messages).toEqual({
    name: "Enter a role name.",
    claimName: expect.stringMatching(/no spaces/),
    claimValue: expect.stringMatching(/Enter the claim value/),
  });
});

describeEachDatabase("roles", (t) => {
  const environment = (key = "dev") => t.db.environment.create({ data: { key, name: key } });
  const addGrant = async (environmentId: string, roleId: string, toolName: string) => {
    const server = await t.db.mcpServer.upsert({
      where: { environmentId_name: { environmentId, name: "sales" } },
      create: { environmentId, name: "sales", resourceUri: "https://mcp.example.com/sales", authorizationServer: "https://idp.example.com" },
      update: {},
    });
    const tool = await t.db.tool.create({ data: { serverId: server.id, name: toolName } });
    return t.db.grant.create({ data: { roleId, toolId: tool.id, requiredScopes: ["sales:read"] } });
  };
  const input = { name: "Support", description: null, claimName: "groups", claimValue: "support-team" };

  it("creates a role mapped from an IdP claim and audits it", async () => {
    const env = await environment();
    const { id } = await createRole(t.db, actor, env.id, CreateRoleSchema.parse({ ...input, description: " Front line " }));

    expect(await t.db.role.findUniqueOrThrow({ where: { id } })).toMatchObject({
      environmentId: env.id,
      name: "Support",
      description: "Front line",
      claimName: "groups",
      claimValue: "support-team",
      version: 1,
    });
    expect(await t.db.auditEvent.findFirstOrThrow()).toMatchObject({
      action: "role.created",
      environmentId: env.id,
      target: `role:${id}`,
      details: { after: { name: "Support", claimName: "groups", claimValue: "support-team" } },
    });
  });

  it("refuses a duplicate name in one environment with a field error, not across environments", async () => {
    const dev = await environment("dev");
    const prod = await environment("prod");
    await createRole(t.db, actor, dev.id, input);

    await expect(createRole(t.db, actor, dev.id, { ...input, claimValue: "other" })).rejects.toMatchObject({
      fieldErrors: { name: ["This name is already used by another role."] },
    });
    await createRole(t.db, actor, prod.id, input);
    expect(await t.db.role.count()).toBe(2);
  });

  it("lists roles with their grant counts, searchable by claim value and sortable by grants", async () => {
    const env = await environment();
    const a = await createRole(t.db, actor, env.id, { ...input, name: "Analyst", claimValue: "analysts" });
    const b = await createRole(t.db, actor, env.id, { ...input, name: "Billing", claimValue: "billing" });
    await addGrant(env.id, b.id, "one");
    await addGrant(env.id, b.id, "two");
    await addGrant(env.id, a.id, "three");

    const byGrants = await listRoles(t.db, env.id, RoleListQuerySchema.parse({ sort: "grants", dir: "desc" }));
    expect(byGrants.rows.map((row) => [row.name, row.grantCount])).toEqual([["Billing", 2], ["Analyst", 1]]);
    const searched = await listRoles(t.db, env.id, RoleListQuerySchema.parse({ q: "BILL" }));
    expect(searched).toMatchObject({ total: 1, rows: [{ name: "Billing", claimName: "groups", claimValue: "billing" }] });
    expect(await findRole(t.db, env.id, a.id)).toMatchObject({ name: "Analyst", grantCount: 1 });
  });

  it("updates a role, audits before and after, and refuses a stale save with the fresh values", async () => {
    const env = await environment();
    const { id } = await createRole(t.db, actor, env.id, input);

    await updateRole(t.db, actor, env.id, { ...input, roleId: id, claimName: "roles", claimValue: "support", version: 1 });
    const stale = updateRole(t.db, actor, env.id, { ...input, roleId: id, description: "mine", version: 1 });

    await expect(stale).rejects.toBeInstanceOf(StaleWriteError);
    await expect(stale).rejects.toMatchObject({ current: { name: "Support", claimName: "roles", claimValue: "support", version: 2 } });
    expect(await t.db.role.findUniqueOrThrow({ where: { id } })).toMatchObject({ claimName: "roles", claimValue: "support", description: null });
    const event = await t.db.auditEvent.findFirstOrThrow({ where: { action: "role.updated" } });
    expect(event.details).toMatchObject({ before: { claimName: "groups", claimValue: "support-team" }, after: { claimName: "roles", claimValue: "support" } });
  });

  it("refuses renaming onto another role's name", async () => {
    const env = await environment();
    const { id } = await createRole(t.db, actor, env.id, input);
    await createRole(t.db, actor, env.id, { ...input, name: "Ops" });

    await expect(updateRole(t.db, actor, env.id, { ...input, name: "Ops", roleId: id, version: 1 })).rejects.toBeInstanceOf(DomainError);
    expect((await t.db.role.findUniqueOrThrow({ where: { id } })).name).toBe("Support");
  });

  it("deletes a role with its grants when the admin confirmed that many, and audits what went", async () => {
    const env = await environment();
    const { id } = await createRole(t.db, actor, env.id, input);
    await addGrant(env.id, id, "lookup");
    await addGrant(env.id, id, "refund");

    const result = await deleteRole(t.db, actor, env.id, { roleId: id, version: 1, grantCount: 2 });

    expect(result).toEqual({ name: "Support", grantsRemoved: 2 });
    expect(await t.db.role.count()).toBe(0);
    expect(await t.db.grant.count()).toBe(0);
    const event = await t.db.auditEvent.findFirstOrThrow({ where: { action: "role.deleted" } });
    expect(event.details).toMatchObject({
      before: { name: "Support" },
      grantsRemoved: [
        { server: "sales", tool: "lookup", requiredScopes: ["sales:read"] },
        { server: "sales", tool: "refund", requiredScopes: ["sales:read"] },
      ],
    });
  });

  it("refuses a deletion confirmed for a different number of grants than the role now has", async () => {
    const env = await environment();
    const { id } = await createRole(t.db, actor, env.id, input);
    await addGrant(env.id, id, "lookup");

    const attempt = deleteRole(t.db, actor, env.id, { roleId: id, version: 1, grantCount: 0 });
    await expect(attempt).rejects.toThrow("Support now has 1 grant, not 0. Nothing was deleted; review and confirm again.");
    await expect(attempt).rejects.toMatchObject({ current: { grantCount: 1 } });
    expect(await t.db.grant.count()).toBe(1);
  });

  it("treats a role of another environment as not found", async () => {
    const dev = await environment("dev");
    const prod = await environment("prod");
    const { id } = await createRole(t.db, actor, prod.id, input);

    await expect(updateRole(t.db, actor, dev.id, { ...input, name: "Hijacked", roleId: id, version: 1 })).rejects.toBeInstanceOf(NotFoundError);
    await expect(deleteRole(t.db, actor, dev.id, { roleId: id, version: 1, grantCount: 0 })).rejects.toBeInstanceOf(NotFoundError);
    expect(await findRole(t.db, dev.id, id)).toBeNull();
    expect(await t.db.role.findUniqueOrThrow({ where: { id } })).toMatchObject({ name: "Support" });
  });
});
