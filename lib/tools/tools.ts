import "server-only";
import { z } from "zod";
import { pagingFields } from "@/lib/list-query";
import type { Db, Tx } from "@/lib/db/client";
import type { Prisma } from "@/lib/db/generated/client.ts";
import { recordAdminEvent, recordAuditEvents, type AuditActor } from "@/lib/audit/record";
import { DomainError, NotFoundError, StaleWriteError } from "@/lib/errors";
import { approvedDefinition, laterFieldsOf, toolDefinitionHash, type ToolDefinition } from "./definition-hash";
import { diffToolDefinition, type DefinitionChange } from "./definition-diff";
import { jsonProblem, PG_INT_MAX, safeString } from "@/lib/input/rules";
import { checkInputSchema, formatInputSchemaProblem } from "./input-schema";
import { annotationsOf, RISK_TIERS, ToolAnnotationsSchema, ToolNameSchema, type RiskTier, type ToolAnnotations } from "./schemas";

// ---------- schemas ----------

/**
 * The input schema as typed in the editor (JSON text) or as an object; out
 * comes the parsed object. Problems carry their line ("Line 3: …").
 */
export const InputSchemaSchema = z
  .union([z.string().max(200_000, "Keep the input schema under 200,000 characters."), z.record(z.string(), z.unknown())])
  .transform((value, ctx) => {
    // An object is checked before it is printed: JSON.stringify overflows the stack on one nested thousands deep.
    const unstorable = typeof value === "string" ? null : jsonProblem(value);
    if (unstorable) {
      ctx.addIssue({ code: "custom", message: `The input schema cannot be stored: ${unstorable}.` });
      return z.NEVER;
    }
    const check = checkInputSchema(typeof value === "string" ? value : JSON.stringify(value, null, 2));
    if (check.ok) return check.schema;
    for (const problem of check.problems) ctx.addIssue({ code: "custom", message: formatInputSchemaProblem(problem) });
    return z.NEVER;
  });


const optionalText = (max: number) =>
  safeString()
    .trim()
    .max(max, `Keep it under ${max} characters.`)
    .nullish()
    .transform((text) => text || null);

export const ToolFieldsSchema = z.object({
  name: ToolNameSchema,
  title: optionalText(200),
  description: optionalText(10_000),
  inputSchema: InputSchemaSchema,
  annotations: ToolAnnotationsSchema,
  riskTier: z.enum(RISK_TIERS, "Choose a risk tier."),
  requiresApproval: z.boolean(),
  enabled: z.boolean().default(true),
});
export type ToolFields = z.output<typeof ToolFieldsSchema>;

const ServerRef = { environmentId: z.uuid(), serverId: z.uuid() };
const Version = z.coerce.number().int().min(1).max(PG_INT_MAX);
export const CreateToolSchema = ToolFieldsSchema.extend(ServerRef);
export const UpdateToolSchema = ToolFieldsSchema.extend({ ...ServerRef, toolId: z.uuid(), version: Version });
export const DeleteToolSchema = z.object({ ...ServerRef, toolId: z.uuid(), version: Version });
export const ApproveToolDefinitionSchema = z.object({ ...ServerRef, toolId: z.uuid(), version: Version });
export const SetToolsEnabledSchema = z.object({
  ...ServerRef,
  toolIds: z.array(z.uuid()).min(1, "Select at least one tool.").max(500),
  enabled: z.boolean(),
});

// ---------- queries ----------

export const TOOL_SORTS = ["name", "title", "riskTier", "enabled", "updatedAt"] as const;

export const ToolListQuerySchema = z.object({
  ...pagingFields(),
  sort: z.enum(TOOL_SORTS).catch("name"),
  dir: z.enum(["asc", "desc"]).catch("asc"),
  q: z.string().trim().max(200).catch(""),
  enabled: z.enum(["true", "false"]).optional().catch(undefined),
  risk: z.enum(RISK_TIERS).optional().catch(undefined),
  changed: z.enum(["true"]).optional().catch(undefined),
});
export type ToolListQuery = z.infer<typeof ToolListQuerySchema>;

export type ToolRow = {
  id: string;
  name: string;
  title: string | null;
  riskTier: RiskTier;
  destructive: boolean;
  enabled: boolean;
  requiresApproval: boolean;
  changedSinceApproval: boolean;
  grants: number;
  updatedAt: string;
  version: number;
};

export type ToolDetail = {
  id: string;
  serverId: string;
  name: string;
  title: string | null;
  description: string | null;
  inputSchema: unknown;
  annotations: ToolAnnotations;
  riskTier: RiskTier;
  enabled: boolean;
  requiresApproval: boolean;
  definitionHash: string | null;
  approvedHash: string | null;
  changedSinceApproval: boolean;
  /** The rest of the MCP definition as the server listed it; null when it gave none. */
  outputSchema: unknown;
  execution: unknown;
  icons: unknown;
  meta: unknown;
  /**
   * For a definition changed since approval: what changed, path by path, from
   * the approved one; null when the approval predates Warden keeping it.
   */
  changesSinceApproval: DefinitionChange[] | null;
  version: number;
  updatedAt: string;
};


/** A definition nobody approved yet, or one that changed after approval. */
function changedSinceApproval(tool: { definitionHash: string | null; approvedHash: string | null }): boolean {
  return tool.definitionHash !== null && tool.definitionHash !== tool.approvedHash;
}

export async function listTools(db: Db, serverId: string, query: ToolListQuery): Promise<{ rows: ToolRow[]; total: number }> {
  const filters: Prisma.ToolWhereInput[] = [
    { serverId },
    ...(query.q
      ? [{ OR: [{ name: { contains: query.q, mode: "insensitive" as const } }, { title: { contains: query.q, mode: "insensitive" as const } }] }]
      : []),
    ...(query.enabled ? [{ enabled: query.enabled === "true" }] : []),
    ...(query.risk ? [{ riskTier: query.risk }] : []),
    ...(query.changed
      ? [{ definitionHash: { not: null }, OR: [{ approvedHash: null }, { NOT: { definitionHash: { equals: db.tool.fields.approvedHash } } }] }]
      : []),
  ];
  const where: Prisma.ToolWhereInput = { AND: filters };
  const [tools, total] = await db.$transaction([
    db.tool.findMany({
      where,
      orderBy: [query.sort === "title" ? { title: { sort: query.dir, nulls: "last" } } : { [query.sort]: query.dir }, { id: "asc" }],
      skip: (query.page - 1) * query.size,
      take: query.size,
      select: {
        id: true, name: true, title: true, riskTier: true, enabled: true, requiresApproval: true, annotations: true,
        definitionHash: true, approvedHash: true, updatedAt: true, version: true, _count: { select: { grants: true } },
      },
    }),
    db.tool.count({ where }),
  ]);
  return {
    total,
    rows: tools.map((tool) => ({
      id: tool.id,
      name: tool.name,
      title: tool.title,
      riskTier: tool.riskTier,
      destructive: annotationsOf(tool.annotations).destructiveHint && !annotationsOf(tool.annotations).readOnlyHint,
      enabled: tool.enabled,
      requiresApproval: tool.requiresApproval,
      changedSinceApproval: changedSinceApproval(tool),
      grants: tool._count.grants,
      updatedAt: tool.updatedAt.toISOString(),
      version: tool.version,
    })),
  };
}

type ToolRecord = Prisma.ToolGetPayload<object>;

function toDetail(tool: ToolRecord): ToolDetail {
  return {
    id: tool.id,
    serverId: tool.serverId,
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: tool.inputSchema,
    annotations: annotationsOf(tool.annotations),
    riskTier: tool.riskTier,
    enabled: tool.enabled,
    requiresApproval: tool.requiresApproval,
    definitionHash: tool.definitionHash,
    approvedHash: tool.approvedHash,
    changedSinceApproval: changedSinceApproval(tool),
    outputSchema: tool.outputSchema,
    execution: tool.execution,
    icons: tool.icons,
    meta: tool.meta,
    changesSinceApproval:
      changedSinceApproval(tool) && tool.approvedDefinition ? diffToolDefinition(tool.approvedDefinition as unknown as ToolDefinition, tool as unknown as ToolDefinition) : null,
    version: tool.version,
    updatedAt: tool.updatedAt.toISOString(),
  };
}

/** The tool, or null when the id is not a tool of this server in this environment (including a malformed id). */
export async function getTool(db: Db, environmentId: string, serverId: string, toolId: string): Promise<ToolDetail | null> {
  if (!z.uuid().safeParse(toolId).success || !z.uuid().safeParse(serverId).success) return null;
  const tool = await db.tool.findFirst({ where: { id: toolId, serverId, server: { environmentId } } });
  return tool ? toDetail(tool) : null;
}

// ---------- commands ----------

function auditedFields(tool: ToolRecord | ToolFields) {
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: tool.inputSchema,
    annotations: tool.annotations,
    riskTier: tool.riskTier,
    requiresApproval: tool.requiresApproval,
    enabled: tool.enabled,
  };
}

async function serverOf(tx: Tx, environmentId: string, serverId: string) {
  const server = await tx.mcpServer.findFirst({ where: { id: serverId, environmentId }, select: { id: true, name: true } });
  if (!server) throw new NotFoundError("This server");
  return server;
}

const nameTaken = () => new DomainError("Some fields need attention.", { name: ["This server already has a tool with this name."] });

async function assertNameFree(tx: Tx, serverId: string, name: string, exceptId?: string) {
  const clash = await tx.tool.findFirst({ where: { serverId, name, ...(exceptId ? { NOT: { id: exceptId } } : {}) }, select: { id: true } });
  if (clash) throw nameTaken();
}

function rethrowNameClash(error: unknown): never {
  if ((error as { code?: unknown } | null)?.code === "P2002") throw nameTaken();
  throw error;
}

/**
 * The hashed definition; an admin saving it is approving it, so both hashes
 * match. The fields the form does not edit (an imported outputSchema, say)
 * are kept from the stored tool and stay part of what is approved.
 */
function definitionHashes(fields: ToolFields, stored: Parameters<typeof laterFieldsOf>[0] = {}) {
  const definition = {
    name: fields.name,
    title: fields.title,
    description: fields.description,
    inputSchema: fields.inputSchema,
    annotations: fields.annotations,
    ...laterFieldsOf(stored),
  };
  const hash = toolDefinitionHash(definition);
  return { definitionHash: hash, approvedHash: hash, approvedDefinition: approvedDefinition(definition) as Prisma.InputJsonValue };
}

export async function createTool(db: Db, actor: AuditActor, input: z.output<typeof CreateToolSchema>): Promise<ToolDetail> {
  const { environmentId, serverId, ...fields } = input;
  return db
    .$transaction(async (tx) => {
      const server = await serverOf(tx, environmentId, serverId);
      await assertNameFree(tx, serverId, fields.name);
      const tool = await tx.tool.create({
        data: { serverId, ...fields, inputSchema: fields.inputSchema as Prisma.InputJsonValue, ...definitionHashes(fields) },
      });
      await recordAdminEvent(tx, actor, {
        action: "tool.created",
        target: `tool:${tool.id}`,
        environmentId,
        details: { server: server.name, after: auditedFields(tool) },
      });
      return toDetail(tool);
    })
    .catch(rethrowNameClash);
}

/** Locks the row and refuses a write based on a version someone else has already replaced. */
async function lockTool(tx: Tx, environmentId: string, serverId: string, toolId: string, expectedVersion: number): Promise<ToolRecord> {
  await tx.$queryRaw`SELECT 1 FROM "Tool" WHERE "id" = ${toolId}::uuid FOR UPDATE`;
  const tool = await tx.tool.findFirst({ where: { id: toolId, serverId, server: { environmentId } } });
  if (!tool) throw new NotFoundError("This tool");
  if (tool.version !== expectedVersion) {
    throw new StaleWriteError(
      `${tool.name} was changed by someone else since you opened it. Their values are shown below; nothing of yours was saved. Review them and save again.`,
      toDetail(tool),
    );
  }
  return tool;
}

export async function updateTool(db: Db, actor: AuditActor, input: z.output<typeof UpdateToolSchema>): Promise<ToolDetail> {
  const { environmentId, serverId, toolId, version, ...fields } = input;
  return db
    .$transaction(async (tx) => {
      const before = await lockTool(tx, environmentId, serverId, toolId, version);
      await assertNameFree(tx, serverId, fields.name, toolId);
      const after = await tx.tool.update({
        where: { id: toolId },
        data: { ...fields, inputSchema: fields.inputSchema as Prisma.InputJsonValue, ...definitionHashes(fields, before), version: { increment: 1 } },
      });
      await recordAdminEvent(tx, actor, {
        action: "tool.updated",
        target: `tool:${toolId}`,
        environmentId,
        details: {
          before: auditedFields(before),
          after: auditedFields(after),
          ...(before.approvedHash !== after.approvedHash ? { approvedHash: after.approvedHash } : {}),
        },
      });
      return toDetail(after);
    })
    .catch(rethrowNameClash);
}

export async function deleteTool(db: Db, actor: AuditActor, input: z.output<typeof DeleteToolSchema>): Promise<{ name: string; grants: number }> {
  return db.$transaction(async (tx) => {
    const tool = await lockTool(tx, input.environmentId, input.serverId, input.toolId, input.version);
    const grants = await tx.grant.count({ where: { toolId: tool.id } });
    await tx.tool.delete({ where: { id: tool.id } });
    await recordAdminEvent(tx, actor, {
      action: "tool.deleted",
      target: `tool:${tool.id}`,
      environmentId: input.environmentId,
      details: { before: auditedFields(tool), deletedGrants: grants },
    });
    return { name: tool.name, grants };
  });
}

/** Approves the live definition of a tool that changed since its last approval (e.g. after an import). */
export async function approveToolDefinition(db: Db, actor: AuditActor, input: z.output<typeof ApproveToolDefinitionSchema>): Promise<ToolDetail> {
  return db.$transaction(async (tx) => {
    const tool = await lockTool(tx, input.environmentId, input.serverId, input.toolId, input.version);
    if (!changedSinceApproval(tool)) throw new DomainError(`The definition of ${tool.name} is already approved.`);
    const after = await tx.tool.update({
      where: { id: tool.id },
      data: { approvedHash: tool.definitionHash, approvedDefinition: approvedDefinition(tool) as Prisma.InputJsonValue, version: { increment: 1 } },
    });
    await recordAdminEvent(tx, actor, {
      action: "tool.definition_approved",
      target: `tool:${tool.id}`,
      environmentId: input.environmentId,
      details: { before: { approvedHash: tool.approvedHash }, after: { approvedHash: after.approvedHash } },
    });
    return toDetail(after);
  });
}

/**
 * Enables or disables tools of one server. Switching is idempotent, so no
 * version is needed: tools already in the wanted state are left alone and
 * not audited. One audit event per tool that changed.
 */
export async function setToolsEnabled(db: Db, actor: AuditActor, input: z.output<typeof SetToolsEnabledSchema>): Promise<{ changed: string[] }> {
  return db.$transaction(async (tx) => {
    await serverOf(tx, input.environmentId, input.serverId);
    const ids = [...new Set(input.toolIds)].sort();
    const tools = await tx.tool.findMany({ where: { id: { in: ids }, serverId: input.serverId }, select: { id: true, name: true, enabled: true } });
    if (tools.length !== ids.length) throw new NotFoundError("At least one selected tool");
    const toChange = tools.filter((tool) => tool.enabled !== input.enabled);
    if (!toChange.length) return { changed: [] };
    await tx.tool.updateMany({ where: { id: { in: toChange.map((tool) => tool.id) } }, data: { enabled: input.enabled, version: { increment: 1 } } });
    await recordAuditEvents(
      tx,
      toChange.map((tool) => ({
        source: "admin" as const,
        actor: actor.id,
        actorLabel: actor.email,
        ip: actor.ip ?? null,
        action: input.enabled ? "tool.enabled" : "tool.disabled",
        target: `tool:${tool.id}`,
        environmentId: input.environmentId,
        details: { name: tool.name, before: { enabled: tool.enabled }, after: { enabled: input.enabled } },
      })),
    );
    return { changed: toChange.map((tool) => tool.name) };
  });
}

/** How many role grants deleting the tool takes with it, for the confirmation to name. */
export async function toolGrantCount(db: Db, toolId: string): Promise<number> {
  return db.grant.count({ where: { toolId } });
}
