import { expect, it, describe } from "vitest";
import { describeEachDatabase } from "@/lib/db/test-harness";
import { DomainError, StaleWriteError } from "@/lib/errors";
import type { AuditActor } from "@/lib/audit/record";
import { toolDefinitionHash } from "./definition-hash";
import { ToolNameSchema } from "./schemas";
import {
  CreateToolSchema,
  ToolListQuerySchema,
  UpdateToolSchema,
  approveToolDefinition,
  createTool,
  deleteTool,
  getTool,
  listTools,
  setToolsEnabled,
  updateTool,
} from "./tools";

const actor: AuditActor = { id: "0190d1a2-0000-7000-8000-000000000001", email: "admin@example.com", ip: "192.0.2.1" };
const ANNOTATIONS = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

describe("tool name (MCP rules)", () => {
  it("accepts letters, digits, _, - and . up to 128 characters", () => {
    for (const name of ["search", "sales.get_order-v2", "A".repeat(128)]) expect(ToolNameSchema.safeParse(name).success, name).toBe(true);
  });
  it("refuses an empty name", () => {
    expect(ToolNameSchema.safeParse("").error?.issues[0]?.message).toBe("Enter a name.");
  });
  it("refuses more than 128 characters", () => {
    expect(ToolNameSchema.safeParse("a".repeat(129)).error?.issues.map((issue) => issue.message)).toContain("A tool name has at most 128 characters.");
  });
  it("refuses spaces and other characters", () => {
    for (const name of ["get order", "sales/get", "naïve", "a:b"]) {
      expect(ToolNameSchema.safeParse(name).error?.issues[0]?.message, name).toBe('Use only letters, digits, "_", "-" and "." (no spaces).');
    }
  });
});

describe("tool fields", () => {
  const base = {
    environmentId: "0190d1a2-0000-7000-8000-00000000000a",
    serverId: "0190d1a2-0000-7000-8000-00000000000b",
    name: "search",
    inputSchema: '{"type":"object"}',
    annotations: ANNOTATIONS,
    riskTier: "LOW",
    requiresApproval: false,
  };
  it("parses the editor's JSON text into the stored schema", () => {
    expect(CreateToolSchema.parse(base).inputSchema).toEqual({ type: "object" });
  });
  it("reports input schema problems with their line", () => {
    const result = CreateToolSchema.safeParse({ ...base, inputSchema: '{\n  "type": "object",\n  "required": 5\n}' });
    expect(result.error?.issues).toEqual([expect.objectContaining({ path: ["inputSchema"], message: "Line 3: /required must be array." })]);
  });
  it("refuses an unknown risk tier and non-boolean annotations", () => {
    expect(CreateToolSchema.safeParse({ ...base, riskTier: "EXTREME" }).error?.issues[0]?.message).toBe("Choose a risk tier.");
    expect(CreateToolSchema.safeParse({ ...base, annotations: { ...ANNOTATIONS, readOnlyHint: "yes" } }).success).toBe(false);
  });
});

describeEachDatabase("tools", (t) => {
  const setUp = async () => {
    const env = await t.db.environment.create({ data: { key: "dev", name: "Development" } });
    const server = await t.db.mcpServer.create({
      data: { environmentId: env.id, name: "Sales", resourceUri: "https://sales.example.com", authorizationServer: "https://auth.example.com" },
    });
    return { environmentId: env.id, serverId: server.id };
  };
  const toolInput = (ref: { environmentId: string; serverId: string }, overrides: Record<string, unknown> = {}) =>
    CreateToolSchema.parse({
      ...ref,
      name: "search",
      title: "Search orders",
      description: "Finds orders",
      inputSchema: '{"type":"object","properties":{"q":{"type":"string"}}}',
      annotations: ANNOTATIONS,
      riskTier: "LOW",
      requiresApproval: false,
      ...overrides,
    });
  const update = (ref: { environmentId: string; serverId: string }, toolId: string, version: number, overrides: Record<string, unknown> = {}) =>
    UpdateToolSchema.parse({ ...toolInput(ref, overrides), inputSchema: toolInput(ref, overrides).inputSchema, toolId, version });

  it("creates a tool whose definition is hashed and approved at once, and audits it", async () => {
    const ref = await setUp();
    const tool = await createTool(t.db, actor, toolInput(ref));
    const hash = toolDefinitionHash({ name: "search", title: "Search orders", description: "Finds orders", inputSchema: tool.inputSchema, annotations: ANNOTATIONS });
    expect(tool).toMatchObject({ definitionHash: hash, approvedHash: hash, changedSinceApproval: false, enabled: true, annotations: ANNOTATIONS });
    expect(await t.db.auditEvent.findFirst()).toMatchObject({ action: "tool.created", environmentId: ref.environmentId, target: `tool:${tool.id}` });
  });

  it("refuses a name already used on the server, as a field error", async () => {
    const ref = await setUp();
    await createTool(t.db, actor, toolInput(ref));
    await expect(createTool(t.db, actor, toolInput(ref))).rejects.toMatchObject({ fieldErrors: { name: ["This server already has a tool with this name."] } });
    expect(await t.db.tool.count()).toBe(1);
  });

  it("refuses to add a tool to a server of another environment", async () => {
    const ref = await setUp();
    const other = await t.db.environment.create({ data: { key: "prod", name: "Production" } });
    await expect(createTool(t.db, actor, toolInput({ ...ref, environmentId: other.id }))).rejects.toBeInstanceOf(DomainError);
    expect(await t.db.tool.count()).toBe(0);
  });

  it("writes no tool when its audit event cannot be written", async () => {
    const ref = await setUp();
    await t.db.$executeRawUnsafe(`CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit store unavailable'; END $$`);
    await t.db.$executeRawUnsafe(`CREATE TRIGGER refuse_audit BEFORE INSERT ON "AuditEvent" FOR EACH ROW EXECUTE FUNCTION refuse_audit()`);
    try {
      await expect(createTool(t.db, actor, toolInput(ref))).rejects.toThrow(/audit store unavailable/);
    } finally {
      await t.db.$executeRawUnsafe(`DROP TRIGGER refuse_audit ON "AuditEvent"`);
      await t.db.$executeRawUnsafe(`DROP FUNCTION refuse_audit()`);
    }
    expect(await t.db.tool.count()).toBe(0);
  });

  it("an admin's edit re-approves the new definition", async () => {
    const ref = await setUp();
    const tool = await createTool(t.db, actor, toolInput(ref));
    const edited = await updateTool(t.db, actor, update(ref, tool.id, 1, { description: "Finds orders by customer" }));
    expect(edited.version).toBe(2);
    expect(edited.definitionHash).not.toBe(tool.definitionHash);
    expect(edited.approvedHash).toBe(edited.definitionHash);
    const event = await t.db.auditEvent.findFirstOrThrow({ where: { action: "tool.updated" } });
    expect(event.details).toMatchObject({ before: { description: "Finds orders" }, after: { description: "Finds orders by customer" } });
  });

  it("refuses the second of two edits from the same version with the fresh values, and writes nothing", async () => {
    const ref = await setUp();
    const tool = await createTool(t.db, actor, toolInput(ref));
    await updateTool(t.db, actor, update(ref, tool.id, 1, { title: "First admin's title" }));

    const attempt = updateTool(t.db, actor, update(ref, tool.id, 1, { title: "Second admin's title" }));
    await expect(attempt).rejects.toBeInstanceOf(StaleWriteError);
    await expect(attempt).rejects.toMatchObject({ current: { title: "First admin's title", version: 2 } });
    expect((await getTool(t.db, ref.environmentId, ref.serverId, tool.id))?.title).toBe("First admin's title");
    expect(await t.db.auditEvent.count({ where: { action: "tool.updated" } })).toBe(1);
  });

  it("approves a definition that changed outside the dashboard, and only then", async () => {
    const ref = await setUp();
    const tool = await createTool(t.db, actor, toolInput(ref));
    await expect(approveToolDefinition(t.db, actor, { ...ref, toolId: tool.id, version: 1 })).rejects.toThrow(/already approved/);
    // What an importer does: the live definition moves, the approval does not.
    await t.db.tool.update({ where: { id: tool.id }, data: { definitionHash: "sha256:changed", version: { increment: 1 } } });
    expect((await listTools(t.db, ref.serverId, ToolListQuerySchema.parse({ changed: "true" }))).rows.map((row) => row.name)).toEqual(["search"]);

    const approved = await approveToolDefinition(t.db, actor, { ...ref, toolId: tool.id, version: 2 });
    expect(approved).toMatchObject({ approvedHash: "sha256:changed", changedSinceApproval: false, version: 3 });
    expect((await listTools(t.db, ref.serverId, ToolListQuerySchema.parse({ changed: "true" }))).total).toBe(0);
    expect(await t.db.auditEvent.findFirst({ where: { action: "tool.definition_approved" } })).toMatchObject({ environmentId: ref.environmentId });
  });

  it("enables and disables tools in bulk, auditing only the ones that changed", async () => {
    const ref = await setUp();
    const a = await createTool(t.db, actor, toolInput(ref, { name: "a" }));
    const b = await createTool(t.db, actor, toolInput(ref, { name: "b", enabled: false }));

    expect(await setToolsEnabled(t.db, actor, { ...ref, toolIds: [a.id, b.id], enabled: false })).toEqual({ changed: ["a"] });
    expect(await t.db.tool.count({ where: { enabled: false } })).toBe(2);
    expect(await t.db.auditEvent.count({ where: { action: "tool.disabled" } })).toBe(1);
    expect(await setToolsEnabled(t.db, actor, { ...ref, toolIds: [a.id, b.id], enabled: true })).toEqual({ changed: ["a", "b"] });
    expect(await t.db.auditEvent.count({ where: { action: "tool.enabled" } })).toBe(2);
  });

  it("refuses a bulk change that names a tool of another server, changing none", async () => {
    const ref = await setUp();
    const a = await createTool(t.db, actor, toolInput(ref, { name: "a" }));
    const otherServer = await t.db.mcpServer.create({
      data: { environmentId: ref.environmentId, name: "Other", resourceUri: "https://other.example.com", authorizationServer: "https://auth.example.com" },
    });
    const foreign = await t.db.tool.create({ data: { serverId: otherServer.id, name: "x" } });
    await expect(setToolsEnabled(t.db, actor, { ...ref, toolIds: [a.id, foreign.id], enabled: false })).rejects.toBeInstanceOf(DomainError);
    expect(await t.db.tool.count({ where: { enabled: false } })).toBe(0);
  });

  it("lists tools with filters by enabled and risk, sorted", async () => {
    const ref = await setUp();
    await createTool(t.db, actor, toolInput(ref, { name: "b-read", riskTier: "LOW" }));
    await createTool(t.db, actor, toolInput(ref, { name: "a-delete", riskTier: "CRITICAL", annotations: { ...ANNOTATIONS, readOnlyHint: false, destructiveHint: true } }));
    await createTool(t.db, actor, toolInput(ref, { name: "c-off", enabled: false }));

    const all = await listTools(t.db, ref.serverId, ToolListQuerySchema.parse({}));
    expect(all.rows.map((row) => [row.name, row.destructive])).toEqual([["a-delete", true], ["b-read", false], ["c-off", false]]);
    expect((await listTools(t.db, ref.serverId, ToolListQuerySchema.parse({ risk: "CRITICAL" }))).rows.map((row) => row.name)).toEqual(["a-delete"]);
    expect((await listTools(t.db, ref.serverId, ToolListQuerySchema.parse({ enabled: "false" }))).rows.map((row) => row.name)).toEqual(["c-off"]);
    expect((await listTools(t.db, ref.serverId, ToolListQuerySchema.parse({ sort: "name", dir: "desc", q: "-" }))).rows.map((row) => row.name)).toEqual(["c-off", "b-read", "a-delete"]);
  });

  it("deletes a tool with its grants after a version check, and audits it", async () => {
    const ref = await setUp();
    const tool = await createTool(t.db, actor, toolInput(ref));
    const role = await t.db.role.create({ data: { environmentId: ref.environmentId, name: "sales", claimValue: "sales" } });
    await t.db.grant.create({ data: { roleId: role.id, toolId: tool.id } });
    await updateTool(t.db, actor, update(ref, tool.id, 1, { title: "New" }));

    await expect(deleteTool(t.db, actor, { ...ref, toolId: tool.id, version: 1 })).rejects.toBeInstanceOf(StaleWriteError);
    expect(await t.db.tool.count()).toBe(1);
    expect(await deleteTool(t.db, actor, { ...ref, toolId: tool.id, version: 2 })).toEqual({ name: "search", grants: 1 });
    expect(await t.db.grant.count()).toBe(0);
    expect(await t.db.auditEvent.findFirst({ where: { action: "tool.deleted" } })).toMatchObject({ details: { deletedGrants: 1 } });
  });

  it("treats an unknown or malformed tool id as not found", async () => {
    const ref = await setUp();
    expect(await getTool(t.db, ref.environmentId, ref.serverId, "00000000-0000-7000-8000-000000000000")).toBeNull();
    expect(await getTool(t.db, ref.environmentId, ref.serverId, "nope")).toBeNull();
  });
});
